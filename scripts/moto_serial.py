"""moto's server (DynamoDB + SNS), answering one request at a time.

moto's own threaded server races on concurrent TransactWriteItems (it deep-copies the table
for rollback while another thread writes: "dictionary changed size during iteration"), so the
concurrency tests would measure moto's 500s instead of our conditions. Serial handling gives
the per-item serializability DynamoDB itself guarantees.

Usage: moto_serial.py HOST PORT
"""
import os
import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
