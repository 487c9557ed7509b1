"""Starts moto's server with DynamoDB operations serialised.

moto's DynamoDB backend is not thread-safe: `transact_write_items` snapshots
the tables and, when a condition fails, restores the snapshot, which erases
writes that other request threads made in between. Real DynamoDB isolates
transactions; this launcher restores that by running every DynamoDB backend
operation under one lock (the server stays threaded, so SQS long polls do not
block it). Usage is the same as moto_server: -H HOST -p PORT.
"""
import functools
import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

_lock = threading.RLock()

for _name in (
    "put_item", "get_item", "query", "scan", "update_item", "delete_item",
    "transact_write_items", "transact_get_items", "batch_get_item",
):
    _method = getattr(DynamoDBBackend, _name, None)
    if _method is None:
        continue

    def _locked(method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            with _lock:
                return method(*args, **kwargs)
        return wrapper

    setattr(DynamoDBBackend, _name, _locked(_method))

if __name__ == "__main__":
    main()
