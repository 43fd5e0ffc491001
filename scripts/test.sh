#!/usr/bin/env bash
# `make test`: everything CI runs, on its own ports, stopping what it started.
source "$(dirname "$0")/stack.sh"
trap stack_stop EXIT
started=$SECONDS
MOTO_PORT=$(free_port)
API_PORT=$(free_port)
stack_env "$MOTO_PORT"
export TABLE_NAME="client-api-test"
export SMS_TEST_NUMBERS="+8613800000000=246810"

echo "==> cfn-lint template.yaml"
cfn-lint template.yaml
echo "==> openapi-spec-validator docs/openapi.yaml"
openapi-spec-validator docs/openapi.yaml

echo "==> building (debug)"
cargo build --workspace --all-targets
echo "==> local stack: moto on :$MOTO_PORT, API on :$API_PORT"
start_moto "$MOTO_PORT"
start_watch "$API_PORT"
export MOTO_URL="http://127.0.0.1:$MOTO_PORT" API_URL="http://127.0.0.1:$API_PORT"
export MOTO_PYTHON="$VENV/bin/python"

echo "==> the test suites"
cargo test --workspace --no-fail-fast 2>&1 | tee "$STATE/test.log"
status=${PIPESTATUS[0]}

echo "==> bounded schemathesis run against the served API"
bash "$ROOT/scripts/fuzz.sh" --bounded || status=1

summary=$(grep -E '^test result:' "$STATE/test.log" | awk '{p+=$4; f+=$6} END {print p" passed, "f" failed"}')
echo
grep -E '^(sms|wechat|registrations|profile|launch|login|bad input|tokens|ownership|faults|fuzz)[^:]*:' "$STATE/test.log" | sort -u || true
echo "make test: $summary in $((SECONDS - started)) s"
exit "$status"
