#!/usr/bin/env python3
"""`make bench`, and the round-trip check `make test` runs.

Usage:
  bench.py bench --moto URL [--quick] [--runs 20] [--requests 1000] [--no-tls] [--no-peers] [--out bench/results]
  bench.py round-trips --moto URL [--bin-dir target/debug]
  bench.py callgrind --moto URL [--functions bench-baseline catalog] [--bin-dir target/release]

Each function binary runs as Lambda runs it: started with a Runtime API to talk to (here a fake
one on loopback), asking it for the next event, posting the answer. Every AWS call goes through
a proxy in front of moto, which records each request's interval on the wire, so the time a
function waits on DynamoDB/SNS is known apart from its own time, and its round trips are counted
where they happen, whatever the code does. The same scenarios serve both commands:

- `bench` (release build): cold starts (exec → first `/next`, exec → first answer), warm latency
  per route, peak RSS, sizes, the same over a TLS endpoint, and GET /cards by the peers (a Python
  and a Node team's handler, bench/peers/); a table, results.json and plot.svg. Progress lines say
  where it is (`bench:   catalog cold 3/20`); `--quick` is a before/after check in < 3 minutes.
- `round-trips` (debug build, seconds): each route's sequential DynamoDB round trips against
  the table in README.md ("Performance"); a route whose count changed, a route of
  shared/src/http/routes.rs with no row, or a measured row without a scenario fails.

Adding a route: one scenario in SCENARIOS below and one row in README's round-trip table (or a
row saying `not yet measured` until it has a scenario).
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import http.client
import io
import json
import os
import queue
import random
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
TEST_MOBILE, TEST_CODE = "13800000000", "246810"
BASELINE = "bench-baseline"
NOT_MEASURED = "not yet measured"
OPEN_COMPETITION = {
    "competition_id": "cmp_bench_open", "display_name": "Bench Open", "competition_status": "upcoming",
    "competition_start_at": "2099-01-01T00:00:00+08:00", "competition_end_at": "2099-01-02T00:00:00+08:00",
    "leaderboard_enabled": False, "realtime_board_enabled": False,
    "registration": {"enabled": True, "required": False, "opens_at": "2026-01-01T00:00:00+08:00", "closes_at": "2098-12-31T23:59:59+08:00"},
    "events": [{"event_id": "sample-classic-001", "is_default": True, "relation_status": "active"}],
}


def now() -> float:
    return time.perf_counter()


# ---------------------------------------------------------------------------------------------
# HTTP/1.1 on a socket, just enough for the Runtime API and the proxy (both sides keep-alive).


def read_message(rfile) -> tuple[str, dict[str, str], bytes] | None:
    line = rfile.readline()
    if not line:
        return None
    headers: dict[str, str] = {}
    while True:
        h = rfile.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int(rfile.readline().split(b";")[0], 16)
            if size == 0:
                while rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                break
            body += rfile.read(size)
            rfile.readline()
    else:
        body = rfile.read(int(headers.get("content-length", "0")))
    return line.decode("latin-1").rstrip("\r\n"), headers, body


def answer(sock, status: str, body: bytes, headers: dict[str, str] | None = None) -> None:
    head = f"HTTP/1.1 {status}\r\ncontent-length: {len(body)}\r\n"
    for k, v in (headers or {}).items():
        head += f"{k}: {v}\r\n"
    sock.sendall(head.encode("latin-1") + b"\r\n" + body)


def serve(sock: socket.socket, on_connection: Callable) -> None:
    """Accepts connections on `sock` until it is closed, one thread each."""

    def loop():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=on_connection, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def listener() -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


# ---------------------------------------------------------------------------------------------
# The wire: every upstream call a function makes, as (start, end, kind, operation).


class Wire:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[tuple[float, float, str, str]] = []

    def record(self, start: float, end: float, kind: str, op: str) -> None:
        with self.lock:
            self.calls.append((start, end, kind, op))

    def between(self, t0: float, t1: float) -> list[tuple[float, float, str, str]]:
        found = []
        with self.lock:
            for c in reversed(self.calls):  # appended as they end: the recent ones are last
                if c[1] < t0:
                    break
                if c[0] >= t0 and c[1] <= t1:
                    found.append(c)
        return found


def wait_of(calls) -> float:
    """Time covered by at least one call: what the function spent waiting, not computing."""
    total, end = 0.0, float("-inf")
    for s, e, *_ in sorted(calls):
        if e > end:
            total += e - max(s, end)
            end = e
    return total


def round_trips(calls, kind: str = "dynamodb") -> int:
    """Sequential round trips: calls that overlap (sent together) count once."""
    steps, end = 0, float("-inf")
    for s, e, k, _ in sorted(calls):
        if k != kind:
            continue
        if s >= end:
            steps += 1
        end = max(end, e)
    return steps


class Proxy:
    """moto behind a recording proxy, plain HTTP or TLS (a certificate only the bench trusts)."""

    def __init__(self, moto: str, wire: Wire, tls: ssl.SSLContext | None = None):
        self.upstream = moto.removeprefix("http://").rstrip("/")
        self.wire, self.tls = wire, tls
        self.sock = listener()
        self.port = self.sock.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        serve(self.sock, self.connection)

    def connection(self, conn: socket.socket) -> None:
        try:
            if self.tls:
                conn = self.tls.wrap_socket(conn, server_side=True)
            rfile = conn.makefile("rb")
            upstream = http.client.HTTPConnection(self.upstream, timeout=60)
            while True:
                first = rfile.peek(1) if hasattr(rfile, "peek") else b""
                if not first:
                    return
                start = now()
                msg = read_message(rfile)
                if msg is None:
                    return
                line, headers, body = msg
                method, path, _ = line.split(" ", 2)
                target = headers.get("x-amz-target", "")
                if target.startswith("DynamoDB"):
                    kind, op = "dynamodb", target.split(".")[-1]
                else:
                    action = re.search(rb"Action=(\w+)", body)
                    kind, op = ("sns", action.group(1).decode()) if action else ("other", f"{method} {path}")
                fwd = {k: v for k, v in headers.items() if k not in ("transfer-encoding", "connection")}
                fwd["content-length"] = str(len(body))
                upstream.request(method, path, body=body, headers=fwd)
                res = upstream.getresponse()
                data = res.read()
                out = {k: v for k, v in res.getheaders() if k.lower() not in ("content-length", "transfer-encoding", "connection")}
                # Recorded before the answer leaves: the function may be done before this thread runs again.
                self.wire.record(start, now(), kind, op)
                answer(conn, f"{res.status} {res.reason}", data, out)
        except (OSError, ssl.SSLError, ValueError):
            return
        finally:
            conn.close()


class FakeWechat:
    """WeChat's code exchange: every code is a person, openid derived from it."""

    def __init__(self, wire: Wire):
        self.wire = wire
        self.sock = listener()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        serve(self.sock, self.connection)

    def connection(self, conn: socket.socket) -> None:
        rfile = conn.makefile("rb")
        try:
            while (msg := read_message(rfile)) is not None:
                start = now()
                code = re.search(r"(?:js_code|code)=([^&\s]+)", msg[0])
                openid = f"o_bench_{code.group(1) if code else 'none'}"
                self.wire.record(start, now(), "wechat", "code2session")
                answer(conn, "200 OK", json.dumps({"openid": openid, "session_key": "bench"}).encode(), {"content-type": "text/plain"})
        except OSError:
            pass
        finally:
            conn.close()


# ---------------------------------------------------------------------------------------------
# A fake Lambda Runtime API, and a function process that uses it.


@dataclass
class Answer:
    status: int
    body: dict
    sent: float  # the event left /next
    done: float  # the answer's last byte arrived


class Runtime:
    PREFIX = "/2018-06-01/runtime"

    def __init__(self):
        self.events: queue.Queue = queue.Queue()
        self.answers: queue.Queue = queue.Queue()
        self.first_next = threading.Event()
        self.first_next_at = 0.0
        self.sent_at: dict[str, float] = {}
        self.count = 0
        self.sock = listener()
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        serve(self.sock, self.connection)

    def close(self) -> None:
        self.sock.close()
        self.events.put(None)

    def connection(self, conn: socket.socket) -> None:
        rfile = conn.makefile("rb")
        try:
            while (msg := read_message(rfile)) is not None:
                line, _, body = msg
                method, path, _ = line.split(" ", 2)
                if method == "GET" and path == f"{self.PREFIX}/invocation/next":
                    if not self.first_next.is_set():
                        self.first_next_at = now()
                        self.first_next.set()
                    event = self.events.get()
                    if event is None:
                        return
                    self.count += 1
                    rid = f"bench-{self.count}"
                    payload = json.dumps(event).encode()
                    headers = {
                        "content-type": "application/json",
                        "lambda-runtime-aws-request-id": rid,
                        "lambda-runtime-deadline-ms": str(int(time.time() * 1000) + 60_000),
                        "lambda-runtime-invoked-function-arn": "arn:aws:lambda:us-east-1:123456789012:function:bench",
                        "lambda-runtime-trace-id": "Root=1-00000000-000000000000000000000000;Sampled=0",
                    }
                    self.sent_at[rid] = now()
                    answer(conn, "200 OK", payload, headers)
                elif method == "POST" and path.endswith("/response"):
                    done = now()
                    rid = path.split("/")[-2]
                    answer(conn, "202 Accepted", b"{}")
                    self.answers.put((rid, done, body))
                elif method == "POST" and path.endswith("/error"):
                    answer(conn, "202 Accepted", b"{}")
                    self.answers.put((path.split("/")[-2], now(), b'{"error": ' + json.dumps(body.decode("utf-8", "replace")).encode() + b"}"))
                else:
                    answer(conn, "404 Not Found", b"{}")
        except OSError:
            pass
        finally:
            conn.close()

    def invoke(self, event: dict, timeout: float = 60) -> Answer:
        self.events.put(event)
        try:
            rid, done, body = self.answers.get(timeout=timeout)
        except queue.Empty:
            raise SystemExit(f"bench: no answer within {timeout} s") from None
        out = json.loads(body)
        if "statusCode" not in out:
            raise SystemExit(f"bench: the function failed the invocation: {out}")
        return Answer(out["statusCode"], parse_body(out), self.sent_at[rid], done)


def parse_body(out: dict) -> dict:
    """An answer's body if it is JSON (every answer but the static OpenAPI file), else {"text": …}."""
    if "json" not in str(out.get("headers", {}).get("content-type", "")):
        return {"text": out.get("body")}
    return json.loads(out.get("body") or "{}")


def enveloped(body: dict) -> bool:
    return "text" in body or str(body.get("request_id", "")).startswith("req_")


LIVE: set["Process"] = set()  # every process started and not yet stopped: stopped on any exit


class Process:
    """One function (a binary, or a peer's interpreter and handler) under its own Runtime API, as a
    Lambda execution environment."""

    def __init__(self, command: list[str], name: str, env: dict[str, str], log: Path, event: dict | None = None, cwd: Path | None = None):
        self.runtime = Runtime()
        if event is not None:  # Lambda hands the first event over at the first /next
            self.runtime.events.put(event)
        env = {
            **env,
            "AWS_LAMBDA_RUNTIME_API": self.runtime.address,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
            "AWS_LAMBDA_LOG_GROUP_NAME": "bench",
        }
        self.log = open(log, "ab")
        self.started = now()
        self.proc = subprocess.Popen(command, env=env, stdout=self.log, stderr=self.log, cwd=cwd)
        LIVE.add(self)

    def init_ms(self, timeout: float = 30) -> float:
        if not self.runtime.first_next.wait(timeout):
            raise SystemExit(f"bench: {self.proc.args[0]} never asked for an event (see {self.log.name})")
        return (self.runtime.first_next_at - self.started) * 1000

    def peak_rss_kb(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))

    def stop(self) -> None:
        if self not in LIVE:
            return
        LIVE.discard(self)
        self.proc.kill()
        self.proc.wait()
        self.runtime.close()
        self.log.close()


def stop_all() -> None:
    for p in list(LIVE):
        try:
            p.stop()
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------
# Scenarios: one per route, on an events/ file, made valid and repeatable by `prepare`.


class Context:
    """What scenarios need: a logged-in user, codes sent, helper invocations of other functions."""

    def __init__(self, bench: "Bench", table: str):
        self.bench, self.table = bench, table
        self.helpers: dict[str, Process] = {}
        self.session: dict | None = None
        self.run: dict | None = None  # a running session of the user (launch's answer)
        self.finished: dict | None = None  # a finished one, with a track
        self.n = 0

    def unique(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{os.getpid()}x{int(time.time() * 1000) % 10**9}x{self.n}"

    def call(self, function: str, event_name: str, adjust: Callable[[dict], None] | None = None) -> Answer:
        if function not in self.helpers:
            self.helpers[function] = self.bench.start(function, self.table, "helper")
            self.helpers[function].init_ms()
        event = load_event(event_name)
        if adjust:
            adjust(event)
        return self.helpers[function].runtime.invoke(event)

    def send_code(self) -> None:
        a = self.call("sms-send", "sms-send", lambda e: set_body(e, mobile=TEST_MOBILE, device_id="dev_bench"))
        if a.status != 200:
            raise SystemExit(f"bench: sending the test code failed: {a.body}")

    def login(self, fresh: bool = False) -> dict:
        if fresh or self.session is None:
            self.send_code()
            a = self.call("sms-login", "sms-login", lambda e: set_body(e, mobile=TEST_MOBILE, sms_code=TEST_CODE, login_request_id=self.unique("login_"), device_id="dev_bench"))
            if a.status != 200:
                raise SystemExit(f"bench: the test login failed: {a.body}")
            self.session = a.body["data"]
        return self.session

    def bearer(self, event: dict, fresh: bool = False) -> dict:
        s = self.login(fresh)
        event["headers"]["authorization"] = f"Bearer {s['access_token']}"
        return s

    def close(self) -> None:
        for p in self.helpers.values():
            p.stop()


def load_event(name: str) -> dict:
    return json.loads((ROOT / "events" / f"{name}.json").read_text())


def set_body(event: dict, **fields) -> None:
    body = json.loads(event.get("body") or "{}")
    body.update(fields)
    event["body"] = json.dumps(body)


@dataclass
class Scenario:
    route: str  # "METHOD /path" as in routes.rs, without /client/v1
    function: str
    event: str  # events/<event>.json
    what: str  # what is measured, for the README
    prepare: Callable[[dict, Context], None] = lambda e, c: None
    status: int = 200


def sms_send(e, c):
    set_body(e, mobile=f"139{random.randrange(10**8):08}", device_id=c.unique("dev_"))


def sms_login(e, c):
    c.send_code()
    set_body(e, mobile=TEST_MOBILE, sms_code=TEST_CODE, login_request_id=c.unique("login_"), device_id="dev_bench")


def at_open_competition(e: dict) -> None:
    """The demo's competitions have started, so a registration there can no longer be cancelled."""
    replace_in(e, "cmp_classic_demo_001", OPEN_COMPETITION["competition_id"])


def replace_in(e: dict, old: str, new: str) -> None:
    """The event with every `old` in it (path, path parameters, body) made `new`."""
    text = json.dumps(e).replace(old, new)
    e.clear()
    e.update(json.loads(text))


def registered(e, c, competition=at_open_competition):
    c.bearer(e)
    competition(e)
    a = c.call("registration", "registration", lambda h: (c.bearer(h), competition(h)))
    if a.status != 200 and a.body["error"]["code"] != "registration_exists":
        raise SystemExit(f"bench: registering failed: {a.body}")


def unregistered(e, c):
    c.bearer(e)
    at_open_competition(e)
    a = c.call("registration", "registration-cancel", lambda h: (c.bearer(h), at_open_competition(h)))
    if a.status != 200 and a.body["error"]["code"] != "registration_not_found":
        raise SystemExit(f"bench: cancelling failed: {a.body}")


def launch(e, c):
    if c.session is None:  # the first launch of this user: registered once, for every launch after
        registered(e, c, competition=lambda e: None)
    c.bearer(e)
    set_body(e, launch_request_id=c.unique("launch_"))


def now_ms() -> int:
    return int(time.time() * 1000)


def a_run(c, fresh: bool = False) -> dict:
    """A session of the logged-in user, launched by direct entry on the demo classic course."""
    if fresh or c.run is None:
        a = c.call("launch", "launch-direct", lambda h: (c.bearer(h), set_body(h, launch_request_id=c.unique("launch_"))))
        if a.status != 200:
            raise SystemExit(f"bench: launching a session failed: {a.body}")
        c.run = {**a.body["data"], "next_punch": 0, "next_batch": 0}
    return c.run


def at_session(e: dict, session_id: str) -> None:
    replace_in(e, "ses_01J9Z9G7H8J9", session_id)


def with_session_token(e: dict, run: dict) -> None:
    e["headers"]["authorization"] = f"Bearer {run['session_token']}"


def samples(n: int) -> list[dict]:
    t = now_ms() - n * 1000
    return [{"t": t + i * 1000, "lat": 31.0440 + i * 1e-5, "lng": 121.2150, "accuracy_m": 5, "heart_rate_bpm": 120 + i % 40} for i in range(n)]


def upload(e, c):
    r = a_run(c)
    r["next_batch"] += 1
    with_session_token(e, r)
    set_body(e, session_id=r["session_id"], batch_seq=r["next_batch"] % 2000, coord_sys="wgs84", samples=samples(30))


def punch(e, c):
    r = a_run(c)
    if r["next_punch"] > 999:
        r = a_run(c, fresh=True)
    r["next_punch"] += 1
    with_session_token(e, r)
    set_body(e, session_id=r["session_id"], punch_seq=r["next_punch"] - 1, t=now_ms())


def finish(e, c):
    r = a_run(c, fresh=True)  # one not finished yet
    with_session_token(e, r)
    at_session(e, r["session_id"])
    set_body(e, last_punch_seq=None, reason="abandoned", finished_at=now_ms())


def finished_run(e, c):
    """The caller's finished session with a track, to read."""
    if c.finished is None:
        r = a_run(c, fresh=True)
        batch = lambda h: (with_session_token(h, r), set_body(h, session_id=r["session_id"], batch_seq=0, coord_sys="wgs84", samples=samples(300)))
        ends = lambda h: (with_session_token(h, r), at_session(h, r["session_id"]), set_body(h, last_punch_seq=None, reason="completed", finished_at=now_ms()))
        for event, adjust in [("sessions-session-uploads", batch), ("sessions-finish", ends)]:
            if (a := c.call("sessions", event, adjust)).status != 200:
                raise SystemExit(f"bench: preparing a finished session failed: {a.body}")
        c.finished = r
    c.bearer(e)
    at_session(e, c.finished["session_id"])


def logout(e, c):
    s = c.bearer(e, fresh=True)
    set_body(e, refresh_token=s["refresh_token"])


def delete_me(e, c):
    c.bearer(e, fresh=True)
    c.send_code()
    set_body(e, mobile=TEST_MOBILE, sms_code=TEST_CODE)
    c.session = None  # the user is gone after this


SCENARIOS = [
    Scenario("POST /auth/sms/send", "sms-send", "sms-send", "a new mobile and device", sms_send),
    Scenario("POST /auth/login/sms", "sms-login", "sms-login", "returning user, code just sent", sms_login),
    Scenario("POST /auth/login/wechat", "wechat-login", "wechat-login", "returning mini-program user",
             lambda e, c: set_body(e, login_request_id=c.unique("login_"))),
    Scenario("POST /auth/refresh", "token-refresh", "token-refresh", "no rotation",
             lambda e, c: set_body(e, refresh_token=c.login()["refresh_token"])),
    Scenario("GET /me", "account", "account-me", "", lambda e, c: c.bearer(e)),
    Scenario("GET /me/registrations", "account", "account-registrations", "", lambda e, c: c.bearer(e)),
    Scenario("POST /auth/logout", "account", "account-logout", "a fresh login's refresh token", logout),
    Scenario("DELETE /me", "account", "account-delete", "a fresh login, code just sent", delete_me),
    Scenario("PUT /me/body-profile", "body-profile", "body-profile", "", lambda e, c: c.bearer(e)),
    Scenario("GET /cards", "catalog", "catalog-cards", "anonymous, demo catalog"),
    Scenario("GET /competitions/{competition_id}", "catalog", "catalog-competition", "anonymous"),
    Scenario("GET /competitions/{competition_id}/events/{event_id}", "catalog", "catalog-competition-event", "anonymous"),
    Scenario("GET /maps", "catalog", "catalog-maps", "anonymous"),
    Scenario("GET /maps/{map_id}", "catalog", "catalog-map", "anonymous"),
    Scenario("GET /events", "catalog", "catalog-events", "anonymous"),
    Scenario("GET /events/{event_id}", "catalog", "catalog-event", "anonymous"),
    Scenario("POST /competitions/{competition_id}/registrations", "registration", "registration", "not registered before", unregistered),
    Scenario("DELETE /competitions/{competition_id}/registrations", "registration", "registration-cancel", "registered before", registered),
    Scenario("POST /competitions/{competition_id}/events/{event_id}/launch", "launch", "launch-competition", "registered, new launch_request_id", launch),
    Scenario("POST /events/{event_id}/launch", "launch", "launch-direct", "new launch_request_id", launch),
    Scenario("GET /openapi.yaml", "sessions", "sessions-openapi", "static"),
    Scenario("GET /competitions/{competition_id}/leaderboard", "catalog", "catalog-leaderboard", "anonymous (signed in, and off the page: + a GetItem beside it, then a COUNT Query)"),
    Scenario("GET /competitions/{competition_id}/live", "catalog", "catalog-live", "anonymous: the competition, then its punches and positions side by side"),
    Scenario("POST /session-uploads", "sessions", "sessions-session-uploads", "a new batch_seq", upload),
    Scenario("POST /punches", "sessions", "sessions-punches", "a new punch_seq", punch),
    Scenario("POST /sessions/{session_id}/finish", "sessions", "sessions-finish", "abandoned (an OK run in a competition: + 1, its leaderboard offer)", finish),
    Scenario("GET /sessions/{session_id}/result", "sessions", "sessions-result", "finished", finished_run),
    Scenario("GET /sessions/{session_id}/gps-track", "sessions", "sessions-gps-track", "finished, 300 samples", finished_run),
    Scenario("GET /sessions/{session_id}/heart-rate", "sessions", "sessions-heart-rate", "the body profile read beside the session", finished_run),
    Scenario("GET /sessions/{session_id}/replay-summary", "sessions", "sessions-replay-summary", "then the route's results, for leg ranks", finished_run),
    Scenario("GET /me/sessions", "sessions", "sessions-me-sessions", "", lambda e, c: c.bearer(e)),
]


def routes_rs() -> list[str]:
    text = (ROOT / "shared/src/http/routes.rs").read_text()
    return [f"{m} {p.removeprefix('/client/v1')}" for m, p in re.findall(r'r\("(\w+)", "([^"]+)", "[\w-]+", Operation::', text)]


def readme_round_trips() -> dict[str, int | str]:
    """The round-trip table of README.md: route → count, or NOT_MEASURED."""
    text = (ROOT / "README.md").read_text()
    section = text.split("<!-- round-trips -->")
    if len(section) < 3:
        raise SystemExit("README.md: the round-trip table must sit between two `<!-- round-trips -->` lines")
    table = {}
    for row in re.findall(r"^\|\s*`?((?:GET|POST|PUT|DELETE) [^|`]+?)`?\s*\|\s*([^|]+?)\s*\|", section[1], re.M):
        route, count = row
        table[route] = int(count) if count.isdigit() else count
    return table


# ---------------------------------------------------------------------------------------------


def stats(xs: list[float]) -> dict:
    xs = sorted(xs)
    pick = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))]
    return {"n": len(xs), "median": statistics.median(xs), "min": xs[0], "max": xs[-1], "p50": pick(0.5), "p99": pick(0.99)}


class Bench:
    def __init__(self, args):
        self.args = args
        self.bins = ROOT / args.bin_dir
        self.wire = Wire()
        self.proxy = Proxy(args.moto, self.wire)
        self.wechat = FakeWechat(self.wire)
        self.logs = ROOT / ".local" / "bench"
        self.logs.mkdir(parents=True, exist_ok=True)
        for old in self.logs.glob("*.log"):
            old.unlink()
        self.tables: set[str] = set()
        self.retried_503 = 0
        self.endpoint = self.proxy.url
        self.extra_env: dict[str, str] = {}
        self.peers: dict[str, Peer] = {}

    def env(self, table: str) -> dict[str, str]:
        # Not the machine's SSL_CERT_FILE/SSL_CERT_DIR: Lambda sets neither, and the functions add
        # SSL_CERT_FILE's certificates to their roots (only the TLS table sets one, its own CA).
        inherited = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
        return {
            **inherited,
            "TABLE_NAME": table,
            "AWS_ENDPOINT_URL": self.endpoint,
            "SMS_TEST_NUMBERS": f"+86{TEST_MOBILE}={TEST_CODE}",
            # The scenarios log the test number in once per request, and ask for many codes.
            "SMS_COOLDOWN_SEC": "0",
            "SMS_DAILY_LIMIT_PER_MOBILE": "1000000",
            "SMS_DAILY_LIMIT_PER_DEVICE": "1000000",
            "SMS_HOURLY_LIMIT_PER_IP": "1000000",
            "SMS_HOURLY_LIMIT_GLOBAL": "1000000",
            "WECHAT_API_BASE": self.wechat.url,
            "WECHAT_MINI_APP_ID": "wx_bench",
            "WECHAT_MINI_APP_SECRET": "bench-secret",
            **self.extra_env,
        }

    def catalog(self) -> Path:
        """The demo catalog and a competition whose registration is open and can be cancelled."""
        import yaml

        demo = ROOT / "catalog/demo.yaml"
        text = re.sub(r"(iof_xml:\s*)(\S+)", lambda m: m.group(1) + str(demo.parent / m.group(2)), demo.read_text())
        catalog = yaml.safe_load(text)
        catalog["competitions"].append(OPEN_COMPETITION)
        path = self.logs / "catalog.yaml"
        path.write_text(yaml.safe_dump(catalog, sort_keys=False, allow_unicode=True))
        return path

    def table(self, function: str) -> str:
        table = f"{self.args.table_prefix}-{function}"
        if table not in self.tables:
            env = {**os.environ, "TABLE_NAME": table, "AWS_ENDPOINT_URL": self.args.moto}
            for cmd in ([sys.executable, str(ROOT / "scripts/local_table.py"), str(ROOT / "template.yaml")],
                        [str(self.bins / "catalog-tool"), "import", str(self.catalog())]):
                out = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if out.returncode != 0:
                    raise SystemExit(f"bench: {' '.join(cmd)} failed:\n{out.stdout}{out.stderr}")
            self.tables.add(table)
        return table

    def start(self, function: str, table: str, role: str, event: dict | None = None) -> Process:
        log = self.logs / f"{function}.{role}.log"
        if function in self.peers:
            peer = self.peers[function]
            return Process(peer.command, function, self.env(table), log, event, cwd=peer.home)
        return Process([str(self.bins / function)], function, self.env(table), log, event)

    def measure(self, p: Process, event: dict, scenario: Scenario) -> dict:
        a = p.runtime.invoke(event)
        if a.status == 503 and scenario.status != 503 and enveloped(a.body):
            # moto now and then closes a kept-alive connection under a request (the SDK's one retry
            # can meet a second stale one): answered 503 `service_unavailable`, which says "retry",
            # so the bench does, as a client would, and counts it.
            self.retried_503 += 1
            print(f"bench: {scenario.route} answered 503 (moto dropped a connection): retried", flush=True)
            a = p.runtime.invoke(event)
        if a.status != scenario.status or not enveloped(a.body):
            raise SystemExit(f"bench: {scenario.route} answered {a.status}, expected {scenario.status}: {a.body}")
        calls = self.wire.between(a.sent, a.done)
        return {"total": (a.done - a.sent) * 1000, "wait": wait_of(calls) * 1000, "trips": round_trips(calls),
                "ops": [op for *_, k, op in sorted(calls) if k == "dynamodb"], "body": a.body}


def check_tables(measured: dict[str, int] | None) -> list[str]:
    """What disagrees between routes.rs, the README table and SCENARIOS (and the counts measured)."""
    readme = readme_round_trips()
    problems = []
    scenarios = {s.route for s in SCENARIOS}
    for route in routes_rs():
        if route not in readme:
            problems.append(f"{route}: in routes.rs, but no row in README's round-trip table (a count, or `{NOT_MEASURED}`)")
    for route, count in readme.items():
        if count == NOT_MEASURED:
            if route in scenarios:
                problems.append(f"{route}: has a scenario, so its README row needs its count, not `{NOT_MEASURED}`")
        elif route not in scenarios:
            problems.append(f"{route}: README gives {count} round trips, but bench.py has no scenario that measures it")
        elif measured is not None and measured.get(route) != count:
            problems.append(f"{route}: {measured.get(route)} sequential DynamoDB round trips measured, README says {count}")
    for route in scenarios - set(readme):
        problems.append(f"{route}: has a scenario but no row in README's round-trip table")
    return problems


def run_round_trips(args) -> int:
    bench = Bench(args)
    measured, shown = {}, []
    by_function: dict[str, list[Scenario]] = {}
    for s in SCENARIOS:
        by_function.setdefault(s.function, []).append(s)
    for function, scenarios in by_function.items():
        table = bench.table("round-trips")
        ctx = Context(bench, table)
        p = bench.start(function, table, "round-trips")
        try:
            p.init_ms()
            for s in scenarios:
                counts = set()
                for i in range(4):  # the first may meet another state (a first login creates the user)
                    event = load_event(s.event)
                    s.prepare(event, ctx)
                    m = bench.measure(p, event, s)
                    if i > 0:
                        counts.add(m["trips"])
                if len(counts) != 1:
                    print(f"round trips: {s.route} varies between requests: {sorted(counts)}")
                measured[s.route] = max(counts)
                shown.append(f"  {s.route:<62} {max(counts)}  {' '.join(m['ops'])}")
        finally:
            p.stop()
            ctx.close()
    print("sequential DynamoDB round trips per route (README, Round trips):")
    print("\n".join(shown))
    problems = check_tables(measured)
    for p in problems:
        print(f"round trips: FAIL {p}")
    verdict = "as README says" if not problems else f"{len(problems)} problem(s)"
    print(f"round trips: {len(measured)} routes measured → {verdict}")
    return 1 if problems else 0


def size_figures(binary: Path) -> dict:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(binary, "bootstrap")
    return {"binary_bytes": binary.stat().st_size, "zip_bytes": len(buf.getvalue())}


class Progress:
    """`bench: <what> <phase> n/N` lines: the first, about every tenth, the last."""

    def __init__(self, what: str, phase: str, total: int):
        self.what, self.phase, self.total, self.done = what, phase, total, 0
        self.step = max(1, total // 10)

    def tick(self) -> None:
        self.done += 1
        if self.done == 1 or self.done == self.total or self.done % self.step == 0:
            print(f"bench:   {self.what} {self.phase} {self.done}/{self.total}", flush=True)


def cold_starts(bench: Bench, function: str, table: str, scenario: Scenario | None, runs: int, ctx: Context | None, phase: str = "cold") -> dict:
    inits, init_waits, firsts, waits = [], [], [], []
    progress = Progress(function, phase, runs)
    for _ in range(runs):
        event = load_event(scenario.event if scenario else "catalog-cards")
        if scenario:
            scenario.prepare(event, ctx)
        p = bench.start(function, table, "cold", event)
        try:
            inits.append(p.init_ms())
            init_waits.append(wait_of(bench.wire.between(p.started, p.runtime.first_next_at)) * 1000)
            try:
                rid, done, body = p.runtime.answers.get(timeout=60)
            except queue.Empty:
                raise SystemExit(f"bench: {function} gave no first answer within 60 s (see {p.log.name})") from None
            out = json.loads(body)
            if "statusCode" not in out or not enveloped(parse_body(out)):
                raise SystemExit(f"bench: {function}'s first answer is not enveloped: {out}")
            firsts.append((done - p.started) * 1000)
            waits.append(wait_of(bench.wire.between(p.started, done)) * 1000)
        finally:
            p.stop()
        progress.tick()
    return {"init": stats(inits), "init_wait": stats(init_waits), "init_own": stats([i - w for i, w in zip(inits, init_waits)]),
            "first": stats(firsts), "first_wait": stats(waits),
            "first_own": stats([f - w for f, w in zip(firsts, waits)])}


def warm(bench: Bench, s: Scenario, requests: int, function: str | None = None, table: str | None = None) -> tuple[dict, int, dict]:
    """`requests` answers of one route by one process, on a table of the route's own: moto copies
    a whole table in every transaction, so one route's thousands of items would slow the next.
    `function` and `table` for a peer, which answers the route on its function's table."""
    function = function or s.function
    if table is None:
        table = "none" if s.function == BASELINE else bench.table(re.sub(r"[^a-z0-9]+", "-", f"{s.function} {s.route}".lower()).strip("-"))
    ctx = Context(bench, table)
    p = bench.start(function, table, "warm")
    progress = Progress(function, f"warm {s.route}", requests)
    try:
        p.init_ms()
        ms, first_body = [], None
        for i in range(requests + 10):
            event = load_event(s.event)
            s.prepare(event, ctx)
            m = bench.measure(p, event, s)
            first_body = first_body or m["body"]
            if i >= 10:  # the first requests of a process are the cold start's business
                ms.append(m)
                progress.tick()
        figures = {"function": function, "trips": ms[-1]["trips"], "total": stats([m["total"] for m in ms]),
                   "wait": stats([m["wait"] for m in ms]), "own": stats([m["total"] - m["wait"] for m in ms])}
        return figures, p.peak_rss_kb(), first_body
    finally:
        p.stop()
        ctx.close()


# ---------------------------------------------------------------------------------------------
# Peers: GET /cards as a Python team (boto3, awslambdaric) and a Node team (AWS SDK v3) write it,
# installed here from bench/peers/ (pinned) into .local/bench/peers/, run under the same fake
# Runtime API against the same moto and table as `catalog`. Never deployed.

PEERS_SRC = ROOT / "bench" / "peers"
PEERS_HOME = ROOT / ".local" / "bench" / "peers"
PEER_ROUTE = "GET /cards"


@dataclass
class Peer:
    name: str
    what: str
    command: list[str]
    home: Path
    package_files: list[Path]  # what a deployment of it would zip: the handler and its dependencies

    def package_bytes(self) -> int:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for top in self.package_files:
                for f in sorted([top] if top.is_file() else top.rglob("*")):
                    if f.is_file() and "__pycache__" not in f.parts:
                        z.write(f, f.relative_to(top.parent))
        return len(buf.getvalue())


def stamp_ok(home: Path, sources: list[Path]) -> tuple[bool, str]:
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()
    stamp = home / ".installed"
    return stamp.exists() and stamp.read_text() == digest, digest


def install_python_peer() -> Peer:
    src, home = PEERS_SRC / "python", PEERS_HOME / "python"
    ok, digest = stamp_ok(home, [src / "requirements.txt"])
    venv = home / "venv"
    if not ok:
        print("bench: installing the Python peer (boto3, awslambdaric; bench/peers/python/requirements.txt)", flush=True)
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        python = shutil.which("python3.11") or shutil.which("python3.12") or shutil.which("python3.13") or sys.executable
        run([python, "-m", "venv", str(venv)])
        run([str(venv / "bin/pip"), "install", "--quiet", "--disable-pip-version-check", "--no-deps", "-r", str(src / "requirements.txt")])
        (home / ".installed").write_text(digest)
    shutil.copy(src / "handler.py", home / "handler.py")
    site = next(venv.glob("lib/python3.*/site-packages"))
    # What its zip would hold: the handler and boto3 with its dependencies (pinned, as a team ships
    # them); not the runtime interface client, which Lambda's managed Python runtime provides.
    deps = [d for d in site.iterdir() if not re.match(r"(pip|setuptools|_distutils_hack|distutils-precedence|awslambdaric|runtime_client|snapshot_restore_py)", d.name)]
    return Peer("peer-python", "Python 3.11, boto3, awslambdaric", [str(venv / "bin/python"), "-m", "awslambdaric", "handler.handler"],
                home, [home / "handler.py", *deps])


def install_node_peer() -> Peer:
    src, home = PEERS_SRC / "node", PEERS_HOME / "node"
    node = shutil.which("node")
    if node is None or int(subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip().lstrip("v").split(".")[0]) < 20:
        raise SystemExit("bench: the Node peer needs Node.js 20 or later (--no-peers to skip the peers)")
    ok, digest = stamp_ok(home, [src / "package.json", src / "package-lock.json"])
    if not ok:
        print("bench: installing the Node peer (@aws-sdk/client-dynamodb v3; bench/peers/node/package-lock.json)", flush=True)
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        for f in ("package.json", "package-lock.json"):
            shutil.copy(src / f, home / f)
        run(["npm", "ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], cwd=home)
        (home / ".installed").write_text(digest)
    for f in ("index.mjs", "runtime.mjs"):
        shutil.copy(src / f, home / f)
    return Peer("peer-node", f"Node {subprocess.run([node, '--version'], capture_output=True, text=True).stdout.strip()}, @aws-sdk/client-dynamodb v3",
                [node, "runtime.mjs"], home, [home / "index.mjs", home / "node_modules"])


def run(cmd: list[str], cwd: Path | None = None) -> None:
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed:\n{out.stdout}{out.stderr}")


def peers_bench(bench: Bench, args, results: dict) -> None:
    scenario = next(s for s in SCENARIOS if s.route == PEER_ROUTE)
    table = bench.table(scenario.function)  # the very table `catalog` answers from
    reference = results.get("peer_reference")
    for install in (install_python_peer, install_node_peer):
        peer = install()
        bench.peers[peer.name] = peer
        print(f"bench: {peer.name} ({peer.what}), {PEER_ROUTE}", flush=True)
        r = results["peers"][peer.name] = {"what": peer.what, "package_zip_bytes": peer.package_bytes()}
        r.update(cold_starts(bench, peer.name, table, scenario, args.runs, None))
        r["warm"], r["peak_rss_kb"], body = warm(bench, scenario, args.requests, function=peer.name, table=table)
        if reference is not None and body.get("data") != reference:
            raise SystemExit(f"bench: {peer.name} answers {PEER_ROUTE} with other data than catalog:\n{body.get('data')}\n!=\n{reference}")


def run_bench(args) -> int:
    started = time.monotonic()
    bench = Bench(args)
    out_dir = ROOT / args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    functions = [BASELINE] + sorted({s.function for s in SCENARIOS})
    # Other builds on the machine show here: compare runs made under a similar load.
    results: dict = {"runs": args.runs, "requests": args.requests, "quick": args.quick, "load_before": os.getloadavg(),
                     "functions": {}, "routes": {}, "tls": {}, "peers": {}}
    first_scenario = {}
    for s in SCENARIOS:
        first_scenario.setdefault(s.function, s)
    for n, function in enumerate(functions, 1):
        print(f"bench: [{n}/{len(functions)}] {function}", flush=True)
        r = results["functions"][function] = size_figures(bench.bins / function)
        table = bench.table(function) if function != BASELINE else "none"
        ctx = Context(bench, table)
        scenario = first_scenario.get(function)
        try:
            r.update(cold_starts(bench, function, table, scenario, args.runs, ctx))
        finally:
            ctx.close()
        r["peak_rss_kb"] = 0
        routes = [s for s in SCENARIOS if s.function == function] or [Scenario("GET /baseline", BASELINE, "catalog-cards", "")]
        if args.quick:  # the first route of each function, and GET /cards for the peers' comparison
            routes = [s for i, s in enumerate(routes) if i == 0 or s.route == PEER_ROUTE]
        for s in routes:
            results["routes"][s.route], rss, body = warm(bench, s, args.requests)
            r["peak_rss_kb"] = max(r["peak_rss_kb"], rss)
            if s.route == PEER_ROUTE:
                results["peer_reference"] = body.get("data")
    if args.tls:
        tls_bench(bench, args, results, first_scenario)
    if args.peers:
        peers_bench(bench, args, results)
    results["load_after"] = os.getloadavg()
    results["wall_s"] = time.monotonic() - started
    results["retried_503"] = bench.retried_503
    results.pop("peer_reference", None)
    (out_dir / "results.json").write_text(json.dumps(results, indent=1))
    report = table_text(results)
    (out_dir / "table.txt").write_text(report)
    (out_dir / "plot.svg").write_text(plot_svg(results))
    print(report)
    print(f"bench: figures in {args.out}/results.json, table.txt, plot.svg; logs in .local/bench/; {results['wall_s']:.0f} s")
    missed = missed_targets(results)
    for line in missed:
        print(f"bench: target missed: {line}")
    if missed and args.quick:
        print("bench: --quick: 5 cold starts decide nothing, so the targets are only reported; a full run fails on them")
    return 1 if missed and not args.quick else 0


# The README's cold-start targets, each function's median against the baseline's of the same run.
TARGETS = {"init_own": ("init, own time", 2.0), "first_own": ("first answer, own time", 2.0)}


def missed_targets(res: dict) -> list[str]:
    """Each function whose init or first answer (own time, median) is more than its target times
    the baseline's: what makes a full `make bench` fail."""
    base = res["functions"][BASELINE]
    missed = []
    for name, r in res["functions"].items():
        for key, (what, limit) in TARGETS.items():
            ratio = r[key]["median"] / base[key]["median"]
            if ratio > limit:
                missed.append(f"{name}: {what} {r[key]['median']:.1f} ms = {ratio:.2f}× the baseline's {base[key]['median']:.1f} ms (target ≤ {limit}×)")
    return missed


def tls_bench(bench: Bench, args, results: dict, first_scenario: dict) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-tls-"))
    cert, key = make_cert(tmp)
    ctx_ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx_ssl.load_cert_chain(cert, key)
    tls_proxy = Proxy(args.moto, bench.wire, ctx_ssl)
    bench.endpoint = tls_proxy.url
    # Trusted by the bench's function processes only: shared::store::tls adds SSL_CERT_FILE's
    # certificates to its compiled-in roots.
    bench.extra_env = {"SSL_CERT_FILE": str(tmp / "ca.pem")}
    try:
        functions = sorted({s.function for s in SCENARIOS})
        for n, function in enumerate(functions, 1):
            print(f"bench: [{n}/{len(functions)}] {function} over TLS", flush=True)
            table = bench.table(function)
            ctx = Context(bench, table)
            try:
                results["tls"][function] = cold_starts(bench, function, table, first_scenario[function], args.runs, ctx, phase="cold TLS")
            finally:
                ctx.close()
    finally:
        bench.endpoint, bench.extra_env = bench.proxy.url, {}
        shutil.rmtree(tmp, ignore_errors=True)


def make_cert(tmp: Path) -> tuple[str, str]:
    """A throwaway CA and a certificate for 127.0.0.1 it signs (rustls refuses a CA as a server)."""
    def ossl(*a):
        subprocess.run(["openssl", *a], check=True, capture_output=True, cwd=tmp)
    ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
         "-subj", "/CN=client-api bench CA", "-keyout", "ca.key", "-out", "ca.pem")
    ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1",
         "-keyout", "server.key", "-out", "server.csr")
    (tmp / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n")
    ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
         "-extfile", "ext.cnf", "-out", "server.pem")
    return str(tmp / "server.pem"), str(tmp / "server.key")




def fmt(s: dict, key: str = "median") -> str:
    return f"{s[key]:.1f} ({s['min']:.1f}–{s['max']:.1f})"


def mb(n: float) -> str:
    return f"{n / 2**20:.1f}MB"


def table_text(res: dict) -> str:
    f = res["functions"]
    base = f[BASELINE]
    base_warm = res["routes"]["GET /baseline"]
    ratio = lambda r, key: r[key]["median"] / base[key]["median"]
    lines = [f"cold start, ms: median (min–max) of {res['runs']} runs; wait = on DynamoDB/SNS; own = the rest; × = own ÷ the baseline's own",
             f"{'function':<14} {'init':>20} {'wait':>5} {'own':>5} {'×':>5} {'first answer':>22} {'wait':>6} {'own':>5} {'×':>5} {'peak RSS':>9} {'binary':>7} {'zip':>6}"]
    for name, r in f.items():
        lines.append(
            f"{name:<14} {fmt(r['init']):>20} {r['init_wait']['median']:>5.1f} {r['init_own']['median']:>5.1f} {ratio(r, 'init_own'):>5.2f} "
            f"{fmt(r['first']):>22} {r['first_wait']['median']:>6.1f} {r['first_own']['median']:>5.1f} {ratio(r, 'first_own'):>5.2f} "
            f"{r['peak_rss_kb'] / 1024:>7.1f}MB {r['binary_bytes'] / 2**20:>5.1f}MB {r['zip_bytes'] / 2**20:>4.1f}MB")
    lines += ["", f"warm, ms over {res['requests']} requests per route in one process: p50 / p99; own = total − wait; × = own p50 ÷ the baseline's",
              f"{'route':<62} {'trips':>5} {'total p50/p99':>14} {'wait p50':>8} {'own p50/p99':>12} {'×':>5}"]
    for route, r in res["routes"].items():
        lines.append(f"{route:<62} {r['trips']:>5} {r['total']['p50']:>6.2f}/{r['total']['p99']:<7.2f} {r['wait']['p50']:>8.2f} "
                     f"{r['own']['p50']:>5.2f}/{r['own']['p99']:<6.2f} {r['own']['p50'] / base_warm['own']['p50']:>5.2f}")
    if res["tls"]:
        lines += ["", "cold start with moto behind a local TLS proxy, ms: median (min–max)",
                  f"{'function':<14} {'init':>20} {'wait':>5} {'first answer':>22} {'wait':>6} {'own':>5}"]
        for name, r in res["tls"].items():
            lines.append(f"{name:<14} {fmt(r['init']):>20} {r['init_wait']['median']:>5.1f} {fmt(r['first']):>22} "
                         f"{r['first_wait']['median']:>6.1f} {r['first_own']['median']:>5.1f}")
    rows = peer_rows(res)
    if len(rows) > 1:
        lines += ["", f"{PEER_ROUTE} against the stacks a team would pick instead: same moto, table, Runtime API and event; ms, medians "
                      f"of {res['runs']} cold starts, {res['requests']} warm requests; (×) = ÷ catalog's",
                  f"{'stack':<12} {'init':>13} {'first answer':>14} {'first own':>13} {'warm p50':>13} {'warm p99':>14} {'warm own p50':>13} {'peak RSS':>15} {'package':>15}"]
        c = rows[0][1]
        x = lambda v, ref, w, fmt_: f"{fmt_(v)} ({v / ref:.1f}×)".rjust(w) if ref else fmt_(v).rjust(w)
        ms = lambda v: f"{v:.1f}"
        ms2 = lambda v: f"{v:.2f}"
        for name, r in rows:
            lines.append(f"{name:<12} {x(r['init'], c['init'], 13, ms)} {x(r['first'], c['first'], 14, ms)} {x(r['first_own'], c['first_own'], 13, ms)} "
                         f"{x(r['p50'], c['p50'], 13, ms)} {x(r['p99'], c['p99'], 14, ms)} {x(r['own_p50'], c['own_p50'], 13, ms2)} {x(r['rss'], c['rss'], 15, mb)} {x(r['zip'], c['zip'], 15, mb)}")
        for name, peer in res["peers"].items():
            lines.append(f"  {name}: {peer['what']}; package = its zip with its dependencies")
    lines += ["", f"load average (1 min) {res['load_before'][0]:.1f} before, {res['load_after'][0]:.1f} after, on {os.cpu_count()} cores"
                  + (f"; {res['wall_s']:.0f} s" if "wall_s" in res else "") + ("; --quick" if res.get("quick") else "")
                  + (f"; {res['retried_503']} answers 503 retried (moto dropped a connection)" if res.get("retried_503") else "")]
    return "\n".join(lines) + "\n"


def peer_rows(res: dict) -> list[tuple[str, dict]]:
    """catalog's GET /cards figures, then each peer's: init, first answer (and its own time), warm
    p50/p99 of the whole invocation, peak RSS, zip bytes."""
    rows = []
    cat, route = res["functions"].get("catalog"), res["routes"].get(PEER_ROUTE)
    if cat is None or route is None:
        return rows
    row = lambda r, w, rss, z: {"init": r["init"]["median"], "first": r["first"]["median"], "first_own": r["first_own"]["median"],
                                "p50": w["total"]["p50"], "p99": w["total"]["p99"], "own_p50": w["own"]["p50"], "rss": rss * 1024, "zip": z}
    rows.append(("catalog", row(cat, route, cat["peak_rss_kb"], cat["zip_bytes"])))
    for name, p in res["peers"].items():
        rows.append((name, row(p, p["warm"], p["peak_rss_kb"], p["package_zip_bytes"])))
    return rows


def plot_svg(res: dict) -> str:
    """Bar charts, ms: cold start (init, first answer's own time) and warm own p50 per function
    against the baseline; then GET /cards of catalog against the peers, with the ratios."""
    f = res["functions"]
    names = list(f)
    warm = {}
    for route, r in res["routes"].items():
        warm.setdefault(r["function"], []).append(r["own"]["p50"])
    charts = [("init, own time (median)", names, [f[n]["init_own"]["median"] for n in names], "#4c78a8", BASELINE),
              ("first answer, own time (median)", names, [f[n]["first_own"]["median"] for n in names], "#f58518", BASELINE),
              ("warm own p50 (median of routes)", names, [statistics.median(warm[n]) for n in names], "#54a24b", BASELINE)]
    rows = peer_rows(res)
    if len(rows) > 1:
        peer_names = [n for n, _ in rows]
        for key, title in [("init", "init"), ("first", "first answer"), ("p50", "warm p50 (whole invocation)"), ("own_p50", "warm own p50"),
                           ("rss", "peak RSS, MB"), ("zip", "package zip, MB")]:
            values = [r[key] / (2**20 if key in ("rss", "zip") else 1) for _, r in rows]
            charts.append((f"{PEER_ROUTE} against the peers: {title} (× catalog)", peer_names, values, "#b279a2", "catalog"))
    w, row, left = 760, 22, 130
    h = 60 + sum(len(c[1]) * row + 40 for c in charts)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<text x="10" y="20" font-size="14">client-api bench: each function against {BASELINE} (ms, release build), and the peers</text>']
    y = 40
    for title, labels, values, colour, reference in charts:
        scale = (w - left - 120) / max(values)
        ref = values[labels.index(reference)]
        out.append(f'<text x="10" y="{y + 12}" font-weight="bold">{title}</text>')
        y += 20
        for n, v in zip(labels, values):
            out.append(f'<text x="10" y="{y + 14}">{n}</text>')
            c = "#999" if n == reference else colour
            out.append(f'<rect x="{left}" y="{y + 3}" width="{max(1, v * scale):.1f}" height="{row - 6}" fill="{c}"/>')
            out.append(f'<text x="{left + v * scale + 4:.1f}" y="{y + 14}">{v:.2f} ({v / ref:.1f}×)</text>' if ref else
                       f'<text x="{left + v * scale + 4:.1f}" y="{y + 14}">{v:.2f}</text>')
            y += row
        y += 20
    out.append("</svg>")
    return "\n".join(out) + "\n"


def run_callgrind(args) -> int:
    """Instructions of each function's init (exec → the first /next, then the process exits as the
    Runtime API closes), counted by callgrind: the same count whatever else the machine runs. The
    warm-up GetItem goes to the bench's moto, as in a cold start; under valgrind it may outlast
    WARM_WITHIN (the log says so), which the count then shows."""
    bench = Bench(args)
    if args.refused:  # the warm-up's connection refused at once: a count that valgrind's speed does not change
        closed = listener()
        bench.endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"
        closed.close()
    out_dir = ROOT / ".local" / "bench" / "callgrind"
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for function in args.functions:
        table = bench.table(function) if function != BASELINE else "none"
        out = out_dir / f"callgrind.{function}.out"
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(bench.bins / function)]
        env = bench.env(table)
        if args.slow_clock:  # time 50× slower for the function: its 500 ms warm-up limit is not reached under valgrind
            env |= {"LD_PRELOAD": args.slow_clock, "FAKETIME": "+0 x0.02"}
        p = Process(cmd, function, env, bench.logs / f"{function}.callgrind.log")
        try:
            p.init_ms(timeout=300)
            p.runtime.close()  # the function's /next ends without an event: it exits
            p.proc.wait(timeout=300)
        finally:
            p.stop()
        summary = re.search(r"^(?:summary|totals):\s+(\d+)", out.read_text(), re.M)
        counts[function] = int(summary.group(1))
        print(f"callgrind: {function:<16} init {counts[function] / 1e6:6.2f} M instructions ({out.relative_to(ROOT)})", flush=True)
    return 0


def exit_on(signum: int) -> None:
    """A signal unwinds through the `finally`s that stop what was started, then exits 128+signum."""
    def handler(*_):
        signal.signal(signum, signal.SIG_IGN)  # make passes a TERM on: the second must not cut the cleanup short
        sys.exit(128 + signum)
    signal.signal(signum, handler)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["bench", "round-trips", "callgrind"])
    ap.add_argument("--moto", required=True, help="the moto endpoint, http://127.0.0.1:PORT")
    ap.add_argument("--bin-dir", default=None)
    ap.add_argument("--runs", type=int, default=None, help="cold starts per function (20; --quick: 5)")
    ap.add_argument("--requests", type=int, default=None, help="warm requests per route (1000; --quick: 50)")
    ap.add_argument("--quick", action="store_true", help="a before/after check in under 3 minutes: 5 cold starts, 50 warm "
                    "requests of each function's first route (and GET /cards), no TLS table unless --tls")
    ap.add_argument("--out", default="bench/results")
    ap.add_argument("--table-prefix", default="bench")
    ap.add_argument("--tls", dest="tls", action="store_true", default=None, help="the TLS table (default, but with --quick)")
    ap.add_argument("--no-tls", dest="tls", action="store_false")
    ap.add_argument("--peers", action=argparse.BooleanOptionalAction, default=True,
                    help="GET /cards by a Python (boto3) and a Node (AWS SDK v3) peer, installed into .local/bench/peers/ (default: on)")
    ap.add_argument("--slow-clock", metavar="LIBFAKETIME", default=None,
                    help="callgrind: libfaketimeMT.so (Debian's faketime) to run the function's clock 50× slower")
    ap.add_argument("--refused", action="store_true", help="callgrind: the AWS endpoint is a closed port (the warm-up fails at once)")
    ap.add_argument("--functions", nargs="*", default=[BASELINE, "catalog"], help="callgrind: the functions whose init is counted")
    args = ap.parse_args()
    args.runs = args.runs or (5 if args.quick else 20)
    args.requests = args.requests or (50 if args.quick else 1000)
    args.tls = (not args.quick) if args.tls is None else args.tls
    # TERM (make's Ctrl-C, stack.sh's cleanup, `timeout`), HUP, INT: every process started is stopped.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        exit_on(signum)
    try:
        if args.command == "round-trips":
            args.bin_dir = args.bin_dir or "target/debug"
            return run_round_trips(args)
        args.bin_dir = args.bin_dir or "target/release"
        if args.command == "callgrind":
            return run_callgrind(args)
        return run_bench(args)
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
