# The local stack, shared by `make dev`, `make test` and `make fuzz` (sourced, not run).
# Everything started here is stopped by `stack_stop` (installed as an EXIT trap).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
STATE="$ROOT/.local"
mkdir -p "$STATE"
export PATH="$VENV/bin:$PATH"
PIDS=()

stack_stop() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() { # URL SECONDS WHAT
  local deadline=$((SECONDS + $2))
  until curl -s -o /dev/null "$1"; do
    if ((SECONDS > deadline)); then
      echo "error: $3 did not come up at $1 within $2 s" >&2
      return 1
    fi
    sleep 0.2
  done
}

# Dev/test-only values: obviously not secrets, never used outside this script.
stack_env() { # MOTO_PORT
  export TABLE_NAME="${TABLE_NAME:-client-api-local}"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$1"
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  export AWS_ACCESS_KEY_ID=local-dev AWS_SECRET_ACCESS_KEY=local-dev
  export JWT_SECRET="dev-only-jwt-secret-NOT-FOR-PRODUCTION-0123456789"
  export SMS_HASH_KEY="dev-only-sms-hash-key-NOT-FOR-PRODUCTION-0123456789"
  export REALTIME_ENDPOINT="${REALTIME_ENDPOINT:-wss://realtime.local.example/ws}"
  export RUST_LOG="${RUST_LOG:-info}"
  # moto serves one request at a time: under the concurrency tests a call can queue for seconds.
  export DYNAMODB_ATTEMPT_TIMEOUT_MS=15000 DYNAMODB_TIMEOUT_MS=30000
}

start_moto() { # PORT
  setsid python "$ROOT/scripts/moto_serial.py" 127.0.0.1 "$1" >"$STATE/moto.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$1/moto-api/" 30 "moto"
  python "$ROOT/scripts/local_table.py" "$ROOT/template.yaml"
}

start_watch() { # PORT
  setsid cargo lambda watch --ignore-changes --concurrency 4 -A 127.0.0.1 -P "$1" >"$STATE/watch.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$1/client/v1/openapi.yaml" 120 "cargo lambda watch"
}
