#!/usr/bin/env bash
# Bounded fuzzing of the input parsers (needs the nightly toolchain and cargo-fuzz: `cargo install cargo-fuzz`).
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     default 60
# Seeds the image target with the reference test images when ../shared is present. Prints libFuzzer's final
# statistics (executions = inputs tried); a crash leaves its input under fuzz/artifacts/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
mkdir -p fuzz/corpus/decode_image fuzz/corpus/parse_request
if [ -d ../shared/models/testdata ]; then cp -n ../shared/models/testdata/* fuzz/corpus/decode_image/ 2>/dev/null || true; fi
printf '{"applicant_ref":"A-1","purpose":"identification","consent_ref":"C-1"}' > fuzz/corpus/parse_request/meta.json
for target in decode_image parse_request; do
  echo "== $target, ${SECS}s"
  set +e
  cargo +nightly fuzz run "$target" "fuzz/corpus/$target" -- -max_total_time="$SECS" -rss_limit_mb=2048 \
    > "fuzz/last-$target.log" 2>&1
  status=$?
  set -e
  grep -E "^Done [0-9]+ runs|panicked|ERROR: libFuzzer" "fuzz/last-$target.log" || true
  [ "$status" -eq 0 ] || { echo "fuzz: $target failed, see fuzz/last-$target.log and fuzz/artifacts/$target/" >&2; exit "$status"; }
done
