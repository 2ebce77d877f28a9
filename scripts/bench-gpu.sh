#!/usr/bin/env bash
# CUDA path check and benchmark on a machine with an NVIDIA GPU, CUDA 13 and cuDNN 9 libraries on the loader path
# (LD_LIBRARY_PATH or ld.so.conf). Runs the criterion pipeline bench on CUDA and then on the CPU, same machine, then
# the HTTP load bench on CUDA without batchers, with every model batched (detector, liveness, SFace; bytes into the
# graph), and with two sessions (CUDA streams) per batcher (docs/benchmarks.md, GPU section).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --gpu
export ORT_DYLIB_PATH=$PWD/.runtime/onnxruntime-gpu/onnxruntime/capi/libonnxruntime.so.1.31.1
for device in cuda cpu; do
  echo "== device=$device"
  FACEVERIFY__MODELS__DEVICE=$device cargo bench --features cuda --bench pipeline -- --noplot
done
cargo build --release --features cuda
faces=../shared/data/faces/images/deepface
# name workers detect_batch liveness_batch embed_batch batch_streams
while read -r name workers detect live embed streams; do
  echo "== HTTP load on CUDA: $name ($workers workers, batches $detect/$live/$embed, $streams stream(s) per batcher)"
  FACEVERIFY__MODELS__DEVICE=cuda FACEVERIFY__MODELS__WORKERS=$workers FACEVERIFY__MODELS__MAX_IN_FLIGHT=256 \
  FACEVERIFY__MODELS__DETECT_BATCH=$detect FACEVERIFY__MODELS__LIVENESS_BATCH=$live \
  FACEVERIFY__MODELS__EMBED_BATCH=$embed FACEVERIFY__MODELS__BATCH_STREAMS=$streams \
  target/release/faceverify bench --selfie $faces/img20.jpg \
    --document ../shared/data/faces/documents/passporteye/100_pass-uto.jpg --concurrency 1,16,64 --seconds 6 \
    --json "gpu-http-$name.json" --svg "gpu-http-$name.svg"
done <<'RUNS'
unbatched 16 1 1 1 1
batched 16 8 8 8 1
streams 16 8 8 8 2
RUNS
