"""Schemathesis hooks for `scripts/fuzz.sh` (loaded through SCHEMATHESIS_HOOKS).

An auth provider that logs a test user in the way the app does — POST auth/sms/send to a fresh
random +86 mobile, read the 6-digit code from moto's SNS log (GET {MOTO_URL}/moto-api/data.json,
`sns.SMS[]`), POST auth/login/sms — once, and reuses the access token for the whole run.

It applies to the operations whose `security` lists `bearerAuth`:
- bearer routes (`security: [{bearerAuth: []}]`) always get the token (the `ignored_auth` check
  covers the anonymous and broken-token cases);
- optional-bearer routes (`security: [{}, {bearerAuth: []}]`) get it on every other case, so
  both the anonymous and the authenticated answers are fuzzed.

Also: one filter for the local stack (`filter_case`: bodies `cargo lambda watch` cannot carry),
and one check (`only_the_expected_5xx`: the documented 5xx, by status and error code, per operation).

Needs API_URL and MOTO_URL in the environment (fuzz.sh exports them).
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import threading
import time
import uuid

import requests

import schemathesis

API_URL = os.environ["API_URL"].rstrip("/")
MOTO_URL = os.environ["MOTO_URL"].rstrip("/")
# The access token lives 1 h by default; log in again well before that in a long run.
TOKEN_TTL_SEC = 1800


def _fresh_mobile() -> str:
    # 11 digits, `1` then 3–9: a valid mainland number no test shares (random 9-digit tail).
    # `secrets`, not `random`: Hypothesis seeds `random`, and a seeded run would reuse its mobiles.
    return "1" + secrets.choice("3456789") + "".join(secrets.choice("0123456789") for _ in range(9))


def _post(path: str, body: dict) -> dict:
    res = requests.post(f"{API_URL}/client/v1{path}", json=body, timeout=30)
    if res.status_code != 200:
        raise RuntimeError(f"fuzz auth: POST {path} answered {res.status_code}: {res.text}")
    return res.json()["data"]


def _code_sent_to(e164: str, deadline_sec: float = 20.0) -> str:
    end = time.monotonic() + deadline_sec
    while True:
        data = requests.get(f"{MOTO_URL}/moto-api/data.json", timeout=30).json()
        messages = [m.get("message", "") for m in data.get("sns", {}).get("SMS", []) if m.get("phone_number") == e164]
        if messages:
            match = re.search(r"(?<!\d)\d{6}(?!\d)", messages[-1])
            if match:
                return match.group(0)
        if time.monotonic() > end:
            raise RuntimeError(f"fuzz auth: no SMS code for {e164} in moto's SNS log")
        time.sleep(0.3)


def sms_login() -> str:
    """Logs a fresh random mobile in through SMS; returns its access token."""
    mobile = _fresh_mobile()
    device = f"dev_fuzz_{uuid.uuid4().hex[:12]}"
    _post("/auth/sms/send", {"scene": "client_login", "country_code": "86", "mobile": mobile, "client_type": "app", "device_id": device})
    code = _code_sent_to(f"+86{mobile}")
    data = _post(
        "/auth/login/sms",
        {"login_request_id": f"login_fuzz_{uuid.uuid4().hex}", "country_code": "86", "mobile": mobile, "sms_code": code, "client_type": "app", "device_id": device},
    )
    print(f"fuzz auth: logged in +86{mobile} as {data['user_id']}", flush=True)
    return data["access_token"]


def _security(operation) -> list:
    return operation.definition.raw.get("security", [])


def _uses_bearer(ctx) -> bool:
    return any("bearerAuth" in requirement for requirement in _security(ctx.operation))


def _bearer_optional(operation) -> bool:
    return any(requirement == {} for requirement in _security(operation))


# retry_on=[]: a 401 is an answer under test (bad codes, bad refresh tokens, `ignored_auth`), not a
# reason to log in again — every login spends SMS quota. The provider caches the token itself.
@schemathesis.auth(refresh_interval=TOKEN_TTL_SEC, retry_on=[]).apply_to(_uses_bearer)
class SmsLoginAuth:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token: str | None = None
        self._at = 0.0
        self._turn = itertools.count()

    def get(self, case, ctx):
        with self._lock:
            if self._token is None or time.monotonic() - self._at > TOKEN_TTL_SEC:
                self._token = sms_login()
                self._at = time.monotonic()
            return self._token

    def set(self, case, data, ctx):
        if _bearer_optional(ctx.operation) and next(self._turn) % 2:
            return  # an anonymous caller of an optional-bearer route
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


_TEXT_MEDIA = re.compile(r"^(application/([\w.+-]*\+)?json|text/[\w.+-]+)\s*(;|$)", re.I)


@schemathesis.hook
def filter_case(ctx, case) -> bool:
    """Drops a body of raw bytes that are not UTF-8, sent with a JSON or text Content-Type.

    `cargo lambda watch` cannot turn such a request into a Lambda event: it answers 500 itself
    (`{"type":"https://httpstatuses.com/500",…}`, text/plain) and the function is never invoked.
    API Gateway hands the function a base64 body instead, and the functions answer that with 400
    `invalid_request` (checked by invoking sms-login with such an event directly). So these cases
    test the emulator, not the API.
    """
    body = case.body
    if isinstance(body, (bytes, bytearray)) and _TEXT_MEDIA.match(case.media_type or ""):
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


# The 5xx the contract documents and the local stack really answers, per operation, by error code:
# `[checks.not_a_server_error] expected-statuses` in schemathesis.toml can only allow a status;
# this holds each allowed 5xx to its one code (a 503 `service_unavailable` from wechat login, say,
# is still a failure).
EXPECTED_5XX = {
    # No WeChat app is configured on the local stack.
    "loginWithWechat": (503, "wechat_not_configured"),
    "bindWechat": (503, "wechat_not_configured"),
}


@schemathesis.check
def only_the_expected_5xx(ctx, response, case):
    """A 5xx is only ever the operation's documented one (status and `error.code`), nothing else."""
    if response.status_code < 500:
        return None
    operation_id = case.operation.definition.raw.get("operationId")
    expected = EXPECTED_5XX.get(operation_id)
    try:
        code = response.json()["error"]["code"]
    except Exception:
        code = None
    if expected is None or (response.status_code, code) != expected:
        want = f"{expected[0]} `{expected[1]}`" if expected else "no 5xx at all"
        raise AssertionError(f"{operation_id} answered {response.status_code} `{code}`; expected {want}")
    return None
