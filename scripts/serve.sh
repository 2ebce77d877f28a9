#!/usr/bin/env bash
# Runs the service on http://127.0.0.1:8080 with the embedded SQLite database (data/faceverify.db).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec cargo run --release -- serve "$@"
