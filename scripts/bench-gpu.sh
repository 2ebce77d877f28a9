#!/usr/bin/env bash
# CUDA path check and benchmark on a machine with an NVIDIA GPU, CUDA 13 and cuDNN 9 libraries on the loader path
# (LD_LIBRARY_PATH or ld.so.conf). Runs the criterion pipeline bench on CUDA and then on the CPU, same machine, then
# the HTTP load bench on CUDA without and with the embedding batcher (docs/benchmarks.md, GPU section).
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
for batch in 1 8; do
  echo "== HTTP load on CUDA, 8 workers, models.embed_batch=$batch"
  FACEVERIFY__MODELS__DEVICE=cuda FACEVERIFY__MODELS__WORKERS=8 FACEVERIFY__MODELS__MAX_IN_FLIGHT=64 \
  FACEVERIFY__MODELS__EMBED_BATCH=$batch target/release/faceverify bench --selfie $faces/img20.jpg \
    --document ../shared/data/faces/documents/passporteye/100_pass-uto.jpg --concurrency 1,8,16 --seconds 6 --json "gpu-http-batch$batch.json" \
    --svg "gpu-http-batch$batch.svg"
done
