#!/usr/bin/env bash
# The project's test command: fetch/verify ONNX Runtime and the models, run every test (the API suite on SQLite),
# then the API suite again on PostgreSQL.
# Tests that need ../shared (photos, reference vectors) skip loudly without it, and fail under CI=true.
# PostgreSQL: FACEVERIFY_TEST_POSTGRES names the database (default: the local server's `test` database, trust auth);
# each test gets its own schema in it. Without a reachable server the pass is skipped loudly, except under CI=true,
# where it runs and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test --all-targets "$@"

default_pg=postgres://postgres@127.0.0.1:5432/test
pg_url=${FACEVERIFY_TEST_POSTGRES:-$default_pg}
if [[ "${CI:-}" == true || -n "${FACEVERIFY_TEST_POSTGRES:-}" ]] || (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  echo "test.sh: the API suite against PostgreSQL ($pg_url)"
  FACEVERIFY_TEST_POSTGRES=$pg_url cargo test --test api "$@"
else
  echo "SKIPPED: the API suite against PostgreSQL: nothing listens on 127.0.0.1:5432 (set FACEVERIFY_TEST_POSTGRES)" >&2
fi
