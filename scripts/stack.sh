# The local stack, shared by `make dev`, `make test` and `make fuzz` (sourced, not run).
# Everything started here runs in a session of its own (setsid) and is stopped by `stack_stop`,
# which `stack_traps` runs on exit and on INT, TERM and HUP.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
STATE="$ROOT/.local"
mkdir -p "$STATE"
export PATH="$VENV/bin:$PATH"
PIDS=()

stack_traps() {
  trap stack_stop EXIT
  trap 'trap "" INT TERM HUP; exit 130' INT
  trap 'trap "" INT TERM HUP; exit 143' TERM
  trap 'trap "" INT TERM HUP; exit 129' HUP
}

# Stops everything started here: TERM to every session under this shell (moto's, cargo lambda
# watch's, and the one cargo lambda watch gives each function it starts), then waits until they are
# empty, and KILLs what is left after 10 s.
stack_stop() {
  # First ignore further signals: GNU make passes on a TERM it gets, so a TERM to `make dev`'s process
  # group reaches this script twice, and the second one used to cut this cleanup short.
  trap '' INT TERM HUP
  local sid deadline=$((SECONDS + 10))
  local sids=($(printf '%s\n' "${PIDS[@]}" $(stack_sessions) | sort -u))
  local children=($(pgrep -P $$)) # one started but not yet in its session when the signal came
  kill "${children[@]}" 2>/dev/null || true
  for sid in "${sids[@]}"; do
    pkill -TERM -s "$sid" || true
  done
  for sid in "${sids[@]}"; do
    while pgrep -s "$sid" >/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    pkill -KILL -s "$sid" || true
  done
  PIDS=()
}

# The sessions of the processes under this shell, other than its own session.
stack_sessions() {
  ps -eo pid=,ppid=,sid= | awk -v root=$$ '
    { parent[$1] = $2; sid[$1] = $3 }
    END { for (p in parent) for (q = parent[p]; q; q = parent[q]) if (q == root) { if (sid[p] != sid[root]) print sid[p]; break } }'
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
  # The manifest bucket in moto's S3, read path-style: what a release's manifest_url points at.
  export MANIFEST_BUCKET="${MANIFEST_BUCKET:-client-api-manifests-local}"
  export MANIFEST_BASE_URL="http://127.0.0.1:$1/$MANIFEST_BUCKET"
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  export AWS_ACCESS_KEY_ID=local-dev AWS_SECRET_ACCESS_KEY=local-dev
  export JWT_SECRET="dev-only-jwt-secret-NOT-FOR-PRODUCTION-0123456789"
  export SMS_HASH_KEY="dev-only-sms-hash-key-NOT-FOR-PRODUCTION-0123456789"
  export REALTIME_ENDPOINT="${REALTIME_ENDPOINT:-wss://realtime.local.example/ws}"
  export RUST_LOG="${RUST_LOG:-info}"
  # moto serves one request at a time: under the concurrency tests a call can queue for seconds.
  export DYNAMODB_ATTEMPT_TIMEOUT_MS=15000 DYNAMODB_TIMEOUT_MS=30000
  # Every local caller is 127.0.0.1, and the suites send hundreds of codes an hour: the per-IP
  # and global SMS caps are exercised through the Lambda event shape, with their own addresses.
  export SMS_HOURLY_LIMIT_PER_IP="${SMS_HOURLY_LIMIT_PER_IP:-100000}" SMS_HOURLY_LIMIT_GLOBAL="${SMS_HOURLY_LIMIT_GLOBAL:-100000}"
}

start_moto() { # PORT
  setsid python "$ROOT/scripts/moto_serial.py" 127.0.0.1 "$1" >"$STATE/moto.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$1/moto-api/" 30 "moto"
  python "$ROOT/scripts/local_table.py" "$ROOT/template.yaml"
  python "$ROOT/scripts/local_bucket.py"
}

start_watch() { # PORT
  setsid cargo lambda watch --ignore-changes --concurrency 4 -A 127.0.0.1 -P "$1" >"$STATE/watch.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$1/client/v1/openapi.yaml" 120 "cargo lambda watch"
}
