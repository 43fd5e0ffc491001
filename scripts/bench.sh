#!/usr/bin/env bash
# `make bench`: the functions and the baseline built with the release profile, measured against a
# moto of their own (scripts/bench.py), with the peers (GET /cards in Python and Node, bench/peers/).
# Not part of `make test`. `make bench BENCH_ARGS=--quick` for a before/after check (< 3 min once
# built). Interrupted (Ctrl-C) or killed with TERM or HUP (`timeout`), it stops everything it
# started: bench.py its function processes, stack.sh's traps moto.
source "$(dirname "$0")/stack.sh"
stack_traps
MOTO_PORT=$(free_port)
stack_env "$MOTO_PORT"
echo "==> building the functions and the baseline (release)"
nice -n 15 cargo build --release --workspace --bins
echo "==> moto on :$MOTO_PORT"
start_moto "$MOTO_PORT"
python "$ROOT/scripts/bench.py" bench --moto "http://127.0.0.1:$MOTO_PORT" "$@"
echo "==> bench: done in ${SECONDS} s, build included"
