"""Starts moto's server with DynamoDB operations serialised.

moto's DynamoDB backend is not thread-safe: its `transact_write_items`
snapshots the tables and, when a condition fails, restores the snapshot, which
erases writes that other request threads made in between. Real DynamoDB
isolates transactions; this launcher restores that by running every DynamoDB
backend operation under one lock (the server stays threaded, so SQS long polls
do not block it). Usage is the same as moto_server: -H HOST -p PORT.

With the lock held nothing else can change the table, so a transaction needs
no snapshot of it: `transact_write_items` below checks every condition first,
then applies every write, keeping a copy of only the items it touches so that
a write failing half-way is undone. Its cost is that of its writes, whatever
the table size (moto's own deep-copies every table for each transaction:
~900 ms at 12,000 items). Cancellation reasons are reported per item, in
order, as DynamoDB does: `ConditionalCheckFailed` (with `Item` when the
operation asked for ReturnValuesOnConditionCheckFailure=ALL_OLD and the item
exists) or `None`.

"""
import copy
import functools
import threading

from moto.dynamodb.exceptions import (
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.comparisons import get_filter_expression as _condition
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.server import main

_lock = threading.RLock()

_OPS = ("ConditionCheck", "Put", "Delete", "Update")


def _item_key(table, op_type, op):
    """The key attributes an operation addresses, and their typed values."""
    if op_type == "Put":
        attrs = op["Item"]
        key = {table.hash_key_attr: attrs[table.hash_key_attr]}
        if table.range_key_attr is not None:
            key[table.range_key_attr] = attrs[table.range_key_attr]
    else:
        key = op["Key"]
    if table.hash_key_attr not in key or (table.has_range_key and table.range_key_attr not in key):
        raise MockValidationException("The provided key element does not match the schema")
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.has_range_key else None
    return key, hash_value, range_value


def _restore(table, hash_value, range_value, original):
    """Puts an item back as it was before the transaction (absent or a copy)."""
    if original is None:
        table.delete_item(hash_value, range_value)
    elif range_value is not None:
        table.items[hash_value][range_value] = original
    else:
        table.items[hash_value] = original


def transact_write_items(self, transact_items):
    """All or nothing, conditions first, no table snapshot (runs under `_lock`)."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    # 1. Shape: one operation per entry, one entry per item.
    plan = []
    seen = set()
    for entry in transact_items:
        if len(entry) > 1:
            raise TransactWriteSingleOpException()
        op_type, op = next(iter(entry.items()))
        if op_type not in _OPS:
            raise MockValidationException(f"Unsupported transaction operation {op_type}")
        table = self.get_table(op["TableName"])
        key, hash_value, range_value = _item_key(table, op_type, op)
        ident = (op["TableName"], hash_value, range_value)
        if ident in seen:
            raise MultipleTransactionsException()
        seen.add(ident)
        plan.append((op_type, op, table, key, hash_value, range_value))
    # 2. Every condition, against the table as it is.
    reasons = []
    for op_type, op, table, _key, hash_value, range_value in plan:
        current = table.get_item(hash_value, range_value)
        condition = op.get("ConditionExpression")
        if condition is not None:
            check = _condition(condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues"))
            if not check.expr(current):
                item = None
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None:
                    item = current.to_json()["Attributes"]
                reasons.append(("ConditionalCheckFailed", "The conditional request failed", item))
                continue
        reasons.append((None, None, None))
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    # 3. Every write; a write that fails undoes the ones before it.
    applied = []
    for index, (op_type, op, table, key, hash_value, range_value) in enumerate(plan):
        if op_type == "ConditionCheck":
            continue
        original = copy.deepcopy(table.get_item(hash_value, range_value))
        try:
            if op_type == "Put":
                table.put_item(op["Item"])
            elif op_type == "Delete":
                table.delete_item(hash_value, range_value)
            else:
                self.update_item(
                    op["TableName"],
                    key,
                    update_expression=op["UpdateExpression"],
                    expression_attribute_names=op.get("ExpressionAttributeNames"),
                    expression_attribute_values=op.get("ExpressionAttributeValues"),
                )
            applied.append((table, hash_value, range_value, original))
        except Exception as e:  # noqa: BLE001 - any failure cancels the whole transaction
            # update_item may have created or changed the item before failing
            applied.append((table, hash_value, range_value, original))
            for t, h, r, o in reversed(applied):
                _restore(t, h, r, o)
            if isinstance(e, MockValidationException):
                raise
            failed = [(None, None, None)] * len(plan)
            failed[index] = (type(e).__name__, str(e), None)
            raise TransactionCanceledException(failed)


DynamoDBBackend.transact_write_items = transact_write_items

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
