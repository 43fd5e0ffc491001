"""moto's server (DynamoDB + SNS), answering one request at a time.

moto's own threaded server races on concurrent TransactWriteItems (it deep-copies the table
for rollback while another thread writes: "dictionary changed size during iteration"), so the
concurrency tests would measure moto's 500s instead of our conditions. Serial handling gives
the per-item serializability DynamoDB itself guarantees.

It also copies a table once per transaction for rollback, not once per item of the
transaction as moto does (an 8-item login would copy the whole table 8 times), and it does not
keep every DynamoDB object it ever made (each copy's items included) for its /moto-api/data.json
dashboard: that list only grows, and dumping it made reading the SMS log take seconds.

Usage: moto_serial.py HOST PORT
"""
import copy
import os
import sys

from moto.core.model_instances import model_data
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

_deepcopy = copy.deepcopy
_transact = DynamoDBBackend.transact_write_items


def _transact_copying_each_table_once(self, transact_items):
    backups = {}

    def deepcopy(obj, memo=None):
        if isinstance(obj, Table):
            if id(obj) not in backups:
                backups[id(obj)] = _deepcopy(obj, memo)
            return backups[id(obj)]
        return _deepcopy(obj, memo)

    # Safe only because requests are served one at a time (below).
    copy.deepcopy = deepcopy
    try:
        return _transact(self, transact_items)
    finally:
        copy.deepcopy = _deepcopy


DynamoDBBackend.transact_write_items = _transact_copying_each_table_once


class _Untracked(list):
    def append(self, _instance):
        pass


for _model in model_data["dynamodb"].values():
    _model.instances_tracked = _Untracked()


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
