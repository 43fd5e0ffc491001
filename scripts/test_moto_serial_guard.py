"""Proves scripts/moto_serial.py's check_moto() fires: each case removes or reshapes one moto
internal the script relies on (in this process, then puts it back) and expects a non-zero exit
whose one-line message names that internal and moto's version. Fast, no network.

Usage: .venv/bin/python scripts/test_moto_serial_guard.py
"""
import contextlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto  # noqa: E402
import moto_serial  # noqa: E402
from moto.core.common_models import BaseModel  # noqa: E402
from moto.core.model_instances import model_data  # noqa: E402
from moto.dynamodb.models import DynamoDBBackend  # noqa: E402
from moto.dynamodb.models.table import Table  # noqa: E402
import moto.moto_server.werkzeug_app as werkzeug_app  # noqa: E402
import werkzeug.serving  # noqa: E402

MISSING = object()


@contextlib.contextmanager
def replaced(obj, name, value=MISSING):
    """obj.name (or obj[name] for a dict) set to value, or removed, for the duration."""
    store = obj if isinstance(obj, dict) else vars(obj)
    had, old = name in store, store.get(name)
    setter = obj.__setitem__ if isinstance(obj, dict) else lambda k, v: setattr(obj, k, v)
    deleter = obj.__delitem__ if isinstance(obj, dict) else lambda k: delattr(obj, k)
    if value is MISSING:
        deleter(name)
    else:
        setter(name, value)
    try:
        yield
    finally:
        if had:
            setter(name, old)
        elif name in store:
            deleter(name)


def no_deepcopy(self, transact_items):
    return None


def new_without_tracking(cls, *args, **kwargs):
    return object.__new__(cls)


CASES = [  # (what is broken, how, words the message must contain)
    ("transact_write_items gone", lambda: replaced(DynamoDBBackend, "transact_write_items"), "transact_write_items"),
    ("transact_write_items without deepcopy", lambda: replaced(DynamoDBBackend, "transact_write_items", no_deepcopy), "copy.deepcopy"),
    ('model_data["dynamodb"] gone', lambda: replaced(model_data, "dynamodb"), 'model_data["dynamodb"]'),
    ("Table.instances_tracked gone", lambda: replaced(Table, "instances_tracked"), '["Table"].instances_tracked'),
    ("BaseModel.__new__ not tracking", lambda: replaced(BaseModel, "__new__", staticmethod(new_without_tracking)), "instances_tracked.append"),
    ("MotoRequestHandler gone", lambda: replaced(werkzeug_app, "MotoRequestHandler"), "werkzeug_app.MotoRequestHandler"),
    ("moto.dynamodb.models.table unimportable", lambda: replaced(sys.modules, "moto.dynamodb.models.table", None), "cannot import moto.dynamodb.models.table"),
    ("run_simple without request_handler=", lambda: replaced(werkzeug.serving, "run_simple", lambda host, port, app: None), "request_handler"),
]


def fires(words) -> str:
    """'' if check_moto() exits non-zero with a one-line message naming words and moto's version."""
    try:
        moto_serial.check_moto()
    except SystemExit as exit:
        msg = str(exit.code)
        if exit.code in (0, None) or "\n" in msg or words not in msg or moto.__version__ not in msg:
            return f"wrong exit: {exit.code!r}"
        return ""
    return "did not fire"


def main() -> int:
    failures = []
    moto_serial.check_moto()  # the installed moto passes
    for what, breaking, words in CASES:
        with breaking():
            problem = fires(words)
        if problem:
            failures.append(f"{what}: {problem}")
    moto_serial.check_moto()  # every case put moto back

    # End to end: the script itself exits non-zero before serving when an internal is missing.
    sabotage = (
        "import runpy, sys; from moto.dynamodb.models import DynamoDBBackend as D; del D.transact_write_items; "
        f"sys.argv = ['moto_serial.py', '127.0.0.1', '0']; runpy.run_path({moto_serial.__file__!r}, run_name='__main__')"
    )
    run = subprocess.run([sys.executable, "-c", sabotage], capture_output=True, text=True, timeout=30)
    if run.returncode == 0 or "transact_write_items" not in run.stderr or len(run.stderr.strip().splitlines()) != 1:
        failures.append(f"moto_serial.py end to end: exit {run.returncode}, stderr {run.stderr.strip()!r}")

    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    print(f"moto_serial guard: {len(CASES) + 1 - len(failures)}/{len(CASES) + 1} broken internals caught (moto {moto.__version__})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
