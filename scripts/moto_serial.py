"""moto's server (DynamoDB + SNS), answering one request at a time.

moto's own threaded server races on concurrent TransactWriteItems (it deep-copies the table
for rollback while another thread writes: "dictionary changed size during iteration"), so the
concurrency tests would measure moto's 500s instead of our conditions. Serial handling gives
the per-item serializability DynamoDB itself guarantees.

It also copies a table once per transaction for rollback, not once per item of the
transaction as moto does (an 8-item login would copy the whole table 8 times), and it does not
keep every DynamoDB object it ever made (each copy's items included) for its /moto-api/data.json
dashboard: that list only grows, and dumping it made reading the SMS log take seconds.

These patches reach into moto internals, so `check_moto()` first verifies each one is there with
the shape relied on, and exits with one line naming what changed: a moto upgrade fails loudly here
instead of silently undoing a patch. `scripts/test_moto_serial_guard.py` proves the check fires.

Usage: moto_serial.py HOST PORT
"""
import copy
import importlib
import inspect
import os
import sys

import moto

# Everything imported from moto (and werkzeug) below, by module.
IMPORTED = {
    "moto.core.common_models": ["BaseModel"],
    "moto.core.model_instances": ["model_data"],
    "moto.dynamodb.models": ["DynamoDBBackend"],
    "moto.dynamodb.models.table": ["Table"],
    "moto.moto_server.werkzeug_app": ["DomainDispatcherApplication", "MotoRequestHandler", "create_backend_app"],
    "werkzeug.serving": ["run_simple"],
}


def _source(obj) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def check_moto() -> None:
    """Exit non-zero, with one line naming the internal and moto's version, unless every moto
    internal this script imports or patches exists with the shape the patches rely on."""

    def need(ok, what):
        if not ok:
            sys.exit(f"moto_serial.py: moto {moto.__version__}: {what}; the patches in this script need updating")

    mods = {}
    for name, attrs in IMPORTED.items():
        try:
            mods[name] = importlib.import_module(name)
        except ImportError:
            need(False, f"cannot import {name}")
        for attr in attrs:
            need(hasattr(mods[name], attr), f"{name}.{attr} is missing")

    # The once-per-table copy swaps copy.deepcopy while moto's transaction runs.
    transact = getattr(mods["moto.dynamodb.models"].DynamoDBBackend, "transact_write_items", None)
    need(inspect.isfunction(transact), "DynamoDBBackend.transact_write_items is missing or not a function")
    need(
        "copy.deepcopy(" in _source(transact) and transact.__globals__.get("copy") is copy,
        "DynamoDBBackend.transact_write_items no longer calls copy.deepcopy (via the copy module)",
    )

    # The untracked dashboard: moto appends each new instance to its class's own instances_tracked.
    need(
        "instances_tracked.append(" in _source(mods["moto.core.common_models"].BaseModel.__new__),
        "BaseModel.__new__ no longer calls cls.instances_tracked.append",
    )
    dynamodb = mods["moto.core.model_instances"].model_data.get("dynamodb")
    need(isinstance(dynamodb, dict) and "Table" in dynamodb, 'model_data["dynamodb"]["Table"] is missing')
    for name, model in dynamodb.items():
        need(isinstance(vars(model).get("instances_tracked"), list), f'model_data["dynamodb"]["{name}"].instances_tracked is missing')

    params = inspect.signature(mods["werkzeug.serving"].run_simple).parameters
    need({"threaded", "request_handler"} <= params.keys(), "werkzeug.serving.run_simple takes no threaded= / request_handler=")


def patch_moto() -> None:
    from moto.core.model_instances import model_data
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    _deepcopy = copy.deepcopy
    _transact = DynamoDBBackend.transact_write_items

    def transact_copying_each_table_once(self, transact_items):
        backups = {}

        def deepcopy(obj, memo=None):
            if isinstance(obj, Table):
                if id(obj) not in backups:
                    backups[id(obj)] = _deepcopy(obj, memo)
                return backups[id(obj)]
            return _deepcopy(obj, memo)

        # Safe only because requests are served one at a time (main).
        copy.deepcopy = deepcopy
        try:
            return _transact(self, transact_items)
        finally:
            copy.deepcopy = _deepcopy

    DynamoDBBackend.transact_write_items = transact_copying_each_table_once

    class Untracked(list):
        def append(self, _instance):
            pass

    for model in model_data["dynamodb"].values():
        model.instances_tracked = Untracked()


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    check_moto()
    patch_moto()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
