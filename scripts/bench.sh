#!/usr/bin/env bash
# `make bench`: the functions and the baseline built with the release profile, measured against a
# moto of their own (scripts/bench.py). Not part of `make test`: a few minutes.
source "$(dirname "$0")/stack.sh"
stack_traps
MOTO_PORT=$(free_port)
stack_env "$MOTO_PORT"
echo "==> building the functions and the baseline (release)"
nice -n 10 cargo build --release --workspace --bins
echo "==> moto on :$MOTO_PORT"
start_moto "$MOTO_PORT"
python "$ROOT/scripts/bench.py" bench --moto "http://127.0.0.1:$MOTO_PORT" "$@"
