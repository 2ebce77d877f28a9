#!/usr/bin/env bash
# CUDA path check and benchmark on a machine with an NVIDIA GPU, CUDA 13 and cuDNN 9 libraries on the loader path
# (LD_LIBRARY_PATH or ld.so.conf). Runs the criterion pipeline bench on CUDA and then on the CPU, same machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --gpu
export ORT_DYLIB_PATH=$PWD/.runtime/onnxruntime-gpu/onnxruntime/capi/libonnxruntime.so.1.31.1
for device in cuda cpu; do
  echo "== device=$device"
  FACEVERIFY__MODELS__DEVICE=$device cargo bench --features cuda --bench pipeline -- --noplot
done
