#!/usr/bin/env bash
# `make test`: everything CI runs, on its own ports, stopping what it started.
source "$(dirname "$0")/stack.sh"
stack_traps
started=$SECONDS
MOTO_PORT=$(free_port)
API_PORT=$(free_port)
stack_env "$MOTO_PORT"
export TABLE_NAME="client-api-test"
export SMS_TEST_NUMBERS="+8613800000000=246810"

echo "==> moto_serial.py's check of the moto internals it patches"
python scripts/test_moto_serial_guard.py
echo "==> cfn-lint template.yaml"
cfn-lint template.yaml
echo "==> make ci-check (workflows, change detection, SAM template; offline)"
make --no-print-directory ci-check
echo "==> openapi-spec-validator docs/openapi.yaml"
openapi-spec-validator docs/openapi.yaml

# Two builds, because features unify per selection: the functions as `cargo lambda watch` builds
# them (so no request waits on a compile), then the suites, whose dev-dependencies (wiremock)
# turn on more of hyper and regex. `--all-targets` would link every function a second time.
echo "==> building the functions (debug)"
cargo build --workspace --bins
echo "==> building the test suites (debug)"
cargo build --workspace --tests
echo "==> local stack: moto on :$MOTO_PORT, API on :$API_PORT"
start_moto "$MOTO_PORT"
start_watch "$API_PORT"
export MOTO_URL="http://127.0.0.1:$MOTO_PORT" API_URL="http://127.0.0.1:$API_PORT"
export MOTO_PYTHON="$VENV/bin/python"

echo "==> the test suites"
# --show-output prints what passing tests print: their figures (lines with "→").
set +e
cargo test --workspace --no-fail-fast -- --show-output 2>&1 | tee "$STATE/test.log"
status=${PIPESTATUS[0]}
set -e

echo "==> sequential DynamoDB round trips per route, against README's table"
set +e
python "$ROOT/scripts/bench.py" round-trips --moto "$MOTO_URL" --table-prefix "$TABLE_NAME" 2>&1 | tee -a "$STATE/test.log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
set -e

echo "==> bounded schemathesis run against the served API"
set +e
bash "$ROOT/scripts/fuzz.sh" --bounded 2>&1 | tee -a "$STATE/test.log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
set -e

summary=$(grep -E '^test result:' "$STATE/test.log" | awk '{p+=$4; f+=$6} END {print p" passed, "f" failed"}')
echo
echo "figures:"
grep -E '^[a-z][a-z -]*: .*→|^fuzz: ' "$STATE/test.log" | sort -u || true
echo "make test took $((SECONDS - started)) s"
echo "tests: $summary"
exit "$status"
