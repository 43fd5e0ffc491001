#!/usr/bin/env bash
# `make dev`: the whole API on 127.0.0.1 for a client developer — moto (DynamoDB + SNS), the
# table from template.yaml, the demo catalog, and every function under `cargo lambda watch`.
source "$(dirname "$0")/stack.sh"
MOTO_PORT="${MOTO_PORT:-5000}"
API_PORT="${API_PORT:-9000}"
for port in "$MOTO_PORT" "$API_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: 127.0.0.1:$port is in use (set MOTO_PORT / API_PORT to choose others)" >&2
    exit 1
  fi
done
stack_traps
started=$SECONDS

stack_env "$MOTO_PORT"
# A test number for store review and local work: fixed code, never sent. Dev only.
export SMS_TEST_NUMBERS="${SMS_TEST_NUMBERS:-+8613800000000=246810}"

echo "==> building every function (so the first request is not a compile)"
cargo build --workspace --bins
echo "==> starting moto on 127.0.0.1:$MOTO_PORT"
start_moto "$MOTO_PORT"
echo "==> loading the demo catalog"
cargo run -q -p catalog-tool -- import catalog/demo.yaml
echo "==> starting cargo lambda watch on 127.0.0.1:$API_PORT"
start_watch "$API_PORT"

API="http://127.0.0.1:$API_PORT/client/v1"
cat <<BANNER

client-api is serving at $API   (ready in $((SECONDS - started)) s)

  curl -s $API/cards
  curl -s -XPOST $API/auth/sms/send -H 'content-type: application/json' \\
    -d '{"scene":"client_login","country_code":"86","mobile":"13800000000","client_type":"app","device_id":"dev_local_1"}'
  curl -s -XPOST $API/auth/login/sms -H 'content-type: application/json' \\
    -d '{"login_request_id":"login-1","country_code":"86","mobile":"13800000000","sms_code":"246810","client_type":"app","device_id":"dev_local_1"}'

SMS codes sent to any other number: http://127.0.0.1:$MOTO_PORT/moto-api/data.json (sns.SMS)
+86 13800000000 is a dev test number: code 246810, never sent.
OpenAPI: $API/openapi.yaml     Logs: .local/watch.log, .local/moto.log
Ctrl-C stops everything.
BANNER
wait
