#!/usr/bin/env bash
# API schema fuzzing: schemathesis (PyPI) generates requests from /openapi.json against a real server on loopback,
# authenticated as the onboarding client, and fails on any 5xx. Bounded by --max-examples per operation; a fixed
# seed makes a CI run reproducible.
#   scripts/schemathesis.sh [MAX_EXAMPLES] [SEED]      defaults 25, 1
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-25}
SEED=${2:-1}
PY=${PYTHON:-python3}
"$PY" -m pip install --quiet --upgrade schemathesis hypothesis hypothesis-jsonschema >&2
scripts/setup.sh
cargo build --quiet
WORK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export FACEVERIFY__DATABASE__URL="sqlite://$WORK/st.db" FACEVERIFY__VAULT__DEV_KEK_FILE="$WORK/dev-kek.key"
export FACEVERIFY__SERVER__PORT=$PORT RUST_LOG=warn
KEY=$(target/debug/faceverify accounts add-service schemathesis 2>/dev/null | tail -n1)
target/debug/faceverify serve > "$WORK/serve.log" 2>&1 &
SERVER=$!
"$PY" - "$PORT" <<'PYEOF'
import sys, time, urllib.request
for _ in range(300):
    try:
        if urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=2).status == 200:
            sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit("the server did not become ready")
PYEOF
"$PY" -m schemathesis.cli run "http://127.0.0.1:$PORT/openapi.json" \
  -H "Authorization: Bearer $KEY" -H "X-Purpose: identification" \
  --checks not_a_server_error --max-examples "$N" --seed "$SEED" --request-timeout 60 \
  --generation-database none
