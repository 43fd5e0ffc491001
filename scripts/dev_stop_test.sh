#!/usr/bin/env bash
# `make dev-stop-test` (or `bash scripts/dev_stop_test.sh [ROUNDS]`, default 10): starts `make dev`
# ROUNDS times on free ports, each in a session and process group of its own; once the API answers
# (and a function has started), stops it the way a terminal or a supervisor would — TERM to the whole
# process group, or INT (Ctrl-C) in alternate rounds; in every other pair of rounds a second time, 0 to
# 0.3 s later, like an impatient Ctrl-C Ctrl-C — then checks that nothing from that run is left:
# no process of any session it had (make, moto_serial.py, cargo lambda watch, each function), none
# with its moto port in its environment (AWS_ENDPOINT_URL: whatever scripts/dev.sh started), and
# nothing listening on its ports.
# Last line: `dev stop: N/N clean (TERM a, INT b; c sent twice)`; exits non-zero on any leftover.
# Logs: .local/dev-stop/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-10}
LOGS=.local/dev-stop
mkdir -p "$LOGS"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Every process descended from $1, as "pid sid" lines.
tree() {
  ps -eo pid=,ppid=,sid= | awk -v root="$1" '
    { parent[$1] = $2; sid[$1] = $3 }
    END { for (p in parent) for (q = p; q; q = parent[q]) if (q == root) { print p, sid[p]; break } }'
}

clean=0 term=0 int=0 twice=0
for ((round = 1; round <= ROUNDS; round++)); do
  sig=TERM what=TERM
  ((round % 2 == 0)) && sig=INT what=INT
  ((round % 4 == 3 || round % 4 == 0)) && what="$sig twice"
  moto_port=$(free_port) api_port=$(free_port)
  log="$LOGS/round-$round.log"
  # env: a background job of a script starts with INT ignored, and a shell cannot trap a signal
  # ignored at entry; a terminal's `make dev` has it. setsid (not forking here): make is the leader
  # of a new session and process group, whose id is $!.
  MOTO_PORT=$moto_port API_PORT=$api_port env --default-signal=INT,TERM,HUP setsid make dev </dev/null >"$log" 2>&1 &
  leader=$!
  api="http://127.0.0.1:$api_port/client/v1"
  deadline=$((SECONDS + 1200)) # the first round may build cold
  until curl -sf -o /dev/null "$api/openapi.yaml"; do
    if ! kill -0 "$leader" 2>/dev/null || ((SECONDS > deadline)); then
      echo "round $round: make dev did not come up (log: $log):" >&2
      tail -20 "$log" >&2
      kill -TERM -- "-$leader" 2>/dev/null || true
      exit 1
    fi
    sleep 0.5
  done
  curl -s -o /dev/null -m 60 "$api/cards" || true # starts a function process too

  started=$(tree "$leader")
  sessions=$(awk '{print $2}' <<<"$started" | sort -u | tr '\n' ' ')
  t0=$SECONDS
  kill "-$sig" -- "-$leader"
  if [[ $what == *twice ]]; then
    sleep "0.$((RANDOM % 4))"
    kill "-$sig" -- "-$leader" 2>/dev/null || true
  fi
  # Until make and scripts/dev.sh (its session) are gone: 30 s at most.
  for ((i = 0; i < 300; i++)); do pgrep -s "$leader" >/dev/null || break; sleep 0.1; done
  wait "$leader" 2>/dev/null || true

  left=$( (for sid in $sessions; do pgrep -s "$sid"; done
    grep -lzx "AWS_ENDPOINT_URL=http://127.0.0.1:$moto_port" /proc/[0-9]*/environ | cut -d/ -f3
  ) 2>/dev/null | sort -nu | paste -sd, -) || true
  busy=
  for port in "$moto_port" "$api_port"; do
    if listening "$port"; then busy+=" $port"; fi
  done
  if [[ -n $left || -n $busy ]]; then
    echo "round $round ($what): LEFT BEHIND (log: $log) processes: ${left:-none}; ports in use:${busy:- none}"
    [[ -n $left ]] && ps -o pid,ppid,sid,stat,args -p "$left" | cut -c1-160
    for sid in $sessions; do pkill -KILL -s "$sid" || true; done # this run's processes only
    kill -KILL ${left//,/ } 2>/dev/null || true
  else
    clean=$((clean + 1))
    echo "round $round ($what): clean, $(wc -l <<<"$started") processes stopped in $((SECONDS - t0)) s"
  fi
  [[ $sig == TERM ]] && term=$((term + 1)) || int=$((int + 1))
  if [[ $what == *twice ]]; then twice=$((twice + 1)); fi
done

echo "dev stop: $clean/$ROUNDS clean (TERM $term, INT $int; $twice sent twice)"
((clean == ROUNDS))
