#!/usr/bin/env bash
# The project's test command: fetch/verify ONNX Runtime and the models, then run every test.
# Tests that need ../shared (photos, reference vectors) skip loudly without it, and fail under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test --all-targets "$@"
