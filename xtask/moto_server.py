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
import bisect
import collections
import copy
import functools
import os
import threading
from decimal import Decimal

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
from moto.dynamodb.models.table import Table
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
    _register(table, original)
    _touched(table, hash_value, range_value)


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


def _plain(value):
    """A DynamoType (or its wire dict) as a natively ordered Python value."""
    t = value if isinstance(value, DynamoType) else DynamoType(value)
    return Decimal(t.value) if t.type == "N" else t.value


_moto_query = Table.query

# Index partitions: which table keys may hold a given index hash value, so an
# index query reads its partition instead of scanning the whole table.
# {(id(table), index name, hash attribute): {plain hash value: {(hash, range): None}}},
# built by one scan on an index's first query, then kept by every write: a
# put or update registers the item under its current value; entries that went
# stale (the item was deleted, or its index key changed) are dropped when a
# query meets them. So each partition is a superset, checked item by item.
_partitions = {}


def _register(table, item):
    if item is None:
        return
    for (table_id, _index, attr), parts in _partitions.items():
        if table_id == id(table) and (v := item.attrs.get(attr)) is not None:
            parts.setdefault(_plain(v), {})[(item.hash_key, item.range_key)] = None


def _index_partition(table, index_name, attr, wanted):
    parts = _partitions.get((id(table), index_name, attr))
    if parts is None:
        parts = _partitions[(id(table), index_name, attr)] = {}
        for item in (i for part in table.items.values() for i in (part.values() if isinstance(part, dict) else (part,))):
            if (v := item.attrs.get(attr)) is not None:
                parts.setdefault(_plain(v), {})[(item.hash_key, item.range_key)] = None
    keys = parts.get(_plain(wanted))
    if not keys:
        return []
    found = []
    for ident in list(keys):
        hash_value, range_value = ident
        item = table.items.get(hash_value)
        if isinstance(item, dict):
            item = item.get(range_value)
        if item is None or (v := item.attrs.get(attr)) is None or v != wanted:
            del keys[ident]
        else:
            found.append(item)
    return found


_moto_put = Table.put_item


def _put_item(self, *args, **kwargs):
    item = _moto_put(self, *args, **kwargs)
    _register(self, item)
    _touched(self, item.hash_key, item.range_key)
    return item


Table.put_item = _put_item
_moto_update = DynamoDBBackend.update_item


def _update_item(self, table_name, *args, **kwargs):
    item = _moto_update(self, table_name, *args, **kwargs)
    table = self.get_table(table_name)
    _register(table, item)
    if item is not None:
        _touched(table, item.hash_key, item.range_key)
    return item


DynamoDBBackend.update_item = _update_item
_moto_delete = Table.delete_item


def _delete_item(self, hash_key, range_key=None):
    item = _moto_delete(self, hash_key, range_key)
    _touched(self, hash_key, range_key)
    return item


Table.delete_item = _delete_item

# Bumped by every write (under `_lock`). `_sorted` = {query shape: [generation,
# keyed, keys, members]}: a queried partition in key order as of that
# generation (`members`: each item's table key -> its sort key in `keys`).
# `_log` records the table keys each write touched, so a cached
# partition catches up with the writes since its generation (drop the touched
# items, put back those that still belong, in order) instead of being read
# and sorted again: a page costs about its own size, as on DynamoDB, however
# large the partition, while other partitions are being written.
_generation = [0]
# True while a write operation runs (under `_lock`): items may change in
# place then, so `_item_size` measures them afresh.
_writing = [False]
_sorted = {}
_log = collections.deque()
_LOG_MAX = 50_000
# The generation of the newest entry dropped from `_log`: a cache older than
# that can no longer catch up and is rebuilt.
_log_floor = [0]


def _touched(table, hash_value, range_value):
    _log.append((_generation[0], id(table), hash_value, range_value))
    if len(_log) > _LOG_MAX:
        _log_floor[0] = _log.popleft()[0]


def _lookup(table, hash_value, range_value):
    item = table.items.get(hash_value)
    return item.get(range_value) if isinstance(item, dict) else item


def _catch_up(table, cached, belongs, order):
    """`cached` brought to the current generation, or None if it cannot be."""
    gen, keyed, keys, members = cached
    if gen < _log_floor[0]:
        return None
    touched = set()
    for g, table_id, h, r in reversed(_log):
        if g <= gen:
            break
        if table_id == id(table):
            touched.add((h, r))
    # Each touched member is found by its sort key (`members` keeps it), not
    # by a pass over the partition: deleting a 100,000-item partition a page
    # at a time stays linear.
    for ident in touched:
        k = members.pop(ident, None)
        if k is not None:
            at = bisect.bisect_left(keys, k)
            if at < len(keys) and keys[at] == k:
                del keys[at]
                del keyed[at]
    for h, r in touched:
        item = _lookup(table, h, r)
        if item is not None and belongs(item):
            k = tuple(_plain(item.attrs[a]) for a in order)
            at = bisect.bisect_right(keys, k)
            keys.insert(at, k)
            keyed.insert(at, (k, item))
            members[(h, r)] = k
    return [_generation[0], keyed, keys, members]


def _query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
           projection_expressions, index_name=None, consistent_read=False, filter_expression=None,
           hash_key_conditions=None, range_key_conditions=None, **filter_kwargs):
    if (filter_kwargs or (hash_key_conditions and len(hash_key_conditions) > 1)
            or (range_key_conditions and len(range_key_conditions) > 1) or not self.range_key_attr):
        return _moto_query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                           scan_index_forward, projection_expressions, index_name, consistent_read,
                           filter_expression, hash_key_conditions=hash_key_conditions,
                           range_key_conditions=range_key_conditions, **filter_kwargs)
    table_pk, table_sk = self.hash_key_attr, self.range_key_attr
    if index_name:
        index = self.get_index(index_name, error_if_not=True)
        hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
        ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
        if len(hashes) != 1 or len(ranges) > 1:
            return _moto_query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                               scan_index_forward, projection_expressions, index_name, consistent_read,
                               filter_expression, hash_key_conditions=hash_key_conditions,
                               range_key_conditions=range_key_conditions, **filter_kwargs)
        pk_attr, sk_attr = hashes[0], (ranges[0] if ranges else None)
        order = (sk_attr, table_pk, table_sk) if sk_attr else (table_pk, table_sk)
    else:
        pk_attr, sk_attr = table_pk, table_sk
        order = (table_sk,)
    wanted = hash_key if hash_key is not None else DynamoType(dict(hash_key_conditions)[pk_attr])
    # The partition's items in key order, kept between queries and brought up
    # to date with the writes since (see `_catch_up`).
    cache_key = (id(self), index_name, _plain(wanted), range_comparison,
                 tuple(_plain(o) for o in (range_objs or ())) if range_comparison and sk_attr else ())
    def belongs(item):
        v = item.attrs.get(pk_attr)
        if v is None or v != wanted or (sk_attr is not None and sk_attr not in item.attrs):
            return False
        return not (range_comparison and sk_attr) or item.attrs[sk_attr].compare(range_comparison, range_objs)

    cached = _sorted.get(cache_key)
    if cached is not None and cached[0] != _generation[0]:
        cached = _catch_up(self, cached, belongs, order)
    if cached is None:
        if index_name:
            candidates = [i for i in _index_partition(self, index_name, pk_attr, wanted) if belongs(i)]
        else:
            candidates = [i for i in self.items.get(wanted, {}).values() if belongs(i)]
        keyed = sorted(((tuple(_plain(i.attrs[a]) for a in order), i) for i in candidates), key=lambda p: p[0])
        cached = [_generation[0], keyed, [k for k, _ in keyed], {(i.hash_key, i.range_key): k for k, i in keyed}]
        if len(_sorted) > 512:
            _sorted.clear()
    _sorted[cache_key] = cached
    _, keyed, keys, _ = cached
    # Walk from the cursor (or the end) in the asked direction, one page's worth.
    if scan_index_forward is False:
        end = bisect.bisect_left(keys, tuple(_plain(exclusive_start_key[a]) for a in order)) if exclusive_start_key else len(keyed)
        ordered = (keyed[p][1] for p in range(end - 1, -1, -1))
    else:
        begin = bisect.bisect_right(keys, tuple(_plain(exclusive_start_key[a]) for a in order)) if exclusive_start_key else 0
        ordered = (keyed[p][1] for p in range(begin, len(keyed)))
    results, size, last_evaluated_key = [], 0, None
    for item in ordered:
        if len(results) == limit or size + item.size() > 1_000_000:
            last_evaluated_key = self._get_last_evaluated_key(results[-1], index_name)
            break
        results.append(item)
        size += item.size()
    scanned = len(results)
    # The answer is serialised after the lock is released, so it must not be
    # the table's own items: each answered item is copied once (a projection
    # is itself a copy). Index projection and filter only read the items.
    if index_name:
        results = [self.get_index(index_name).project(r) for r in results]
    if filter_expression is not None:
        results = [r for r in results if filter_expression.expr(r)]
    if projection_expressions:
        results = [r.project(projection_expressions) for r in results]
    else:
        results = [copy.deepcopy(r) for r in results]
    return results, scanned, last_evaluated_key


Table.query = _query

# Writes move the table state on: the sorted partitions `_query` cached are
# then recomputed (items change in place, so no cached order survives a write).
_SCHEMA_CHANGES = {"create_table", "delete_table", "update_table"}
_WRITES = {"put_item", "update_item", "delete_item", "transact_write_items", "create_table", "delete_table", "update_table"}

for _name in (
    "put_item", "get_item", "query", "scan", "update_item", "delete_item",
    "transact_write_items", "transact_get_items", "batch_get_item",
    "create_table", "delete_table", "update_table",
):
    _method = getattr(DynamoDBBackend, _name, None)
    if _method is None:
        continue

    def _locked(method, writes):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            with _lock:
                if writes:
                    _generation[0] += 1
                if method.__name__ in _SCHEMA_CHANGES:
                    _partitions.clear()
                    _sorted.clear()
                outer = _writing[0]
                _writing[0] = outer or writes
                try:
                    return method(*args, **kwargs)
                finally:
                    _writing[0] = outer
        return wrapper

    setattr(DynamoDBBackend, _name, _locked(_method, _name in _WRITES))

# --- Writes and measuring without moto's per-attribute overheads ----------
# Where a `BatchWriteItem` of keyword-sized items spent the server's time
# (py-spy and cProfile, 3 Dec): moto's request parser walks every
# `AttributeValue` against its ten-member botocore shape (~20 %);
# `Item.__init__` assigns attributes one by one into a dict that re-measures
# the whole item on every assignment (quadratic in the attribute count; ~21 %);
# and `BatchGetItem` measures every item it answers twice with
# `DynamoType.size` (~55 % of its time). Below: an `AttributeValue` is parsed
# by its one present member (blobs still decoded, maps and lists walked); an
# item is measured once, against the same 405,000-byte limit moto applies; the
# size rules are moto's, without its per-call predicates and copies (checked
# equal on 20,000 random values of every type), and an item keeps its size
# until the next write operation. Server CPU per batch-written keyword item
# 469 -> 268 us, per `BatchGetItem` key ~101 -> ~60 us.
# `IGNY8_EMULATOR_PLAIN_WRITES=1` keeps moto's own. `tests/tests/emulator.rs`
# checks every attribute type written by `PutItem` and `BatchWriteItem` reads
# back exactly, and that an oversized item is refused and not stored.
from moto.core.parse import BaseJSONParser as _BaseJSONParser
from moto.dynamodb.exceptions import ItemSizeTooLarge as _ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import Item as _Item, LimitedSizeDict as _LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize as _bytesize

_PLAIN_MEMBERS = frozenset(("S", "N", "SS", "NS", "BOOL", "NULL"))
_new = object.__new__


def _attrs(typed):
    """An item's attribute dict of already typed values, without
    `LimitedSizeDict`'s per-assignment measuring (the caller measured)."""
    attrs = _LimitedSizeDict.__new__(_LimitedSizeDict)
    dict.__init__(attrs, typed)
    return attrs


def _measure(attrs):
    """An item's size by DynamoDB's rules as moto counts them."""
    return sum(_bytesize(key) + _value_size(value) for key, value in attrs.items())
_moto_parse_structure = _BaseJSONParser._parse_structure


def _attribute_value(parser, value):
    if value is None:
        return None
    if len(value) == 1 and parser.MAP_TYPE is dict:
        member = next(iter(value))
        if member in _PLAIN_MEMBERS and value[member] is not None:
            return value  # already what parsing gives (a fresh dict from json.loads)
    parsed = parser.MAP_TYPE()
    for member, v in value.items():
        if v is None:
            continue
        if member in _PLAIN_MEMBERS:
            parsed[member] = v
        elif member == "M":
            parsed[member] = parser.MAP_TYPE((k, _attribute_value(parser, x)) for k, x in v.items())
        elif member == "L":
            parsed[member] = [_attribute_value(parser, x) for x in v]
        elif member == "B":
            parsed[member] = parser._blob_parser(v)
        elif member == "BS":
            parsed[member] = [parser._blob_parser(x) for x in v]
    return parsed


def _parse_structure(self, shape, value):
    if shape.name == "AttributeValue" and isinstance(value, dict):
        return _attribute_value(self, value)
    return _moto_parse_structure(self, shape, value)


_moto_parse_map = _BaseJSONParser._parse_map


def _parse_map(self, shape, value):
    """An item (attribute name -> AttributeValue) without a parse per name."""
    if shape.value.name == "AttributeValue" and isinstance(value, dict):
        return self.MAP_TYPE((k, _attribute_value(self, v)) for k, v in value.items())
    return _moto_parse_map(self, shape, value)


def _item_init(self, hash_key, range_key, attrs):
    self.hash_key = hash_key
    self.range_key = range_key
    typed = {key: DynamoType(value) for key, value in attrs.items()}
    if _measure(typed) > 405000:
        raise _ItemSizeTooLarge
    self.attrs = _attrs(typed)


def _value_size(value):
    """`DynamoType.size` (DynamoDB's size rules as moto counts them) without
    its per-call type predicates and copies: every `BatchGetItem` and page
    measures every item it answers (~55 % of a `BatchGetItem`'s time)."""
    kind, v = value.type, value.value
    if kind == "S":
        return _bytesize(v)
    if kind == "N":
        return len(str(v))
    if kind == "M":
        return sum(_bytesize(k) + _value_size(x if type(x) is DynamoType else DynamoType(x)) for k, x in v.items())
    if kind == "L":
        return sum(_value_size(x) for x in v)
    if kind == "NS":
        return sum(len(str(x)) for x in v)
    if kind in ("SS", "BS"):
        return sum(_bytesize(x) for x in v)
    if isinstance(v, bool):
        return 1
    return _bytesize(v)


def _copy_value(value, memo=None):
    """`DynamoType.__deepcopy__` without the memo bookkeeping (values are
    trees): a query page copies every item it answers (~80 % of its time)."""
    if type(value) is not DynamoType:
        return copy.deepcopy(value)
    copied = _new(DynamoType)
    kind, v = value.type, value.value
    copied.type = kind
    if kind == "L":
        copied.value = [_copy_value(x) for x in v]
    elif kind == "M":
        copied.value = {k: _copy_value(x) for k, x in v.items()}
    elif kind in ("SS", "NS", "BS"):
        copied.value = list(v)
    else:
        copied.value = v
    return copied


def _copy_item(self, memo=None):
    copied = _new(_Item)
    copied.hash_key = _copy_value(self.hash_key) if self.hash_key is not None else None
    copied.range_key = _copy_value(self.range_key) if self.range_key is not None else None
    copied.attrs = _attrs({k: _copy_value(v) for k, v in self.attrs.items()})
    return copied


_moto_project = _Item.project


def _project(self, projection_expressions):
    """`Item.project` for top-level names (what the app's projections are):
    the named attributes, copied. moto's turns the whole item into plain JSON
    and back once per path (~1.2 ms per item for 8 names: a 1,000-item
    projected page took 400 ms). Nested paths go to moto's."""
    if not all(len(path) == 1 and "[" not in path[0] for path in projection_expressions):
        return _moto_project(self, projection_expressions)
    projected = _new(_Item)
    projected.hash_key = self.hash_key
    projected.range_key = self.range_key
    projected.attrs = _attrs({path[0]: _copy_value(self.attrs[path[0]]) for path in projection_expressions if path[0] in self.attrs})
    return projected


def _item_size(self):
    """An item's size, kept on the item for the current generation: items
    change only in write operations, each of which bumps `_generation`; reads
    (a `BatchGetItem` measures each item twice, a query page every item it
    answers) reuse it."""
    if not _writing[0]:
        kept = self.__dict__.get("_igny8_size")
        if kept is not None and kept[0] == _generation[0]:
            return kept[1]
    size = _measure(self.attrs)
    if not _writing[0]:
        self._igny8_size = (_generation[0], size)
    return size


# werkzeug logs a line per request (~13 % of the server's time during a bulk
# run; xtask discards the server's output anyway): warnings and errors only.
import logging as _logging

_logging.getLogger("werkzeug").setLevel(_logging.WARNING)

# Every request asks which service a host names by listing moto's package
# directory (a `listdir` and ~57 `stat`s, ~1 ms per request): it never changes.
import moto.backends as _backends

_modules = tuple(_backends.list_of_moto_modules())
_backends.list_of_moto_modules = lambda: _modules

if os.environ.get("IGNY8_EMULATOR_PLAIN_WRITES") != "1":
    _BaseJSONParser._parse_structure = _parse_structure
    _BaseJSONParser._parse_map = _parse_map
    _Item.__init__ = _item_init
    _Item.size = _item_size
    DynamoType.size = _value_size
    DynamoType.__deepcopy__ = _copy_value
    _Item.__deepcopy__ = _copy_item
    _Item.project = _project


# --- Item-carrying answers as JSON directly -------------------------------
# moto converts every answer attribute by attribute (`dynamo_to_dict`, then
# its generic botocore-shape serializer): ~4 ms per item answered. GetItem,
# BatchGetItem, Query and Scan answers hold only wire-named members and
# items, so they are written as DynamoDB JSON in one `json.dumps`.
import base64 as _base64
import json as _json
import moto.dynamodb.responses as _responses
from moto.core.responses import ActionResult as _ActionResult


def _wire(o):
    if isinstance(o, DynamoType):
        return o.to_json()
    if isinstance(o, (bytes, bytearray)):
        return _base64.b64encode(o).decode("ascii")
    if isinstance(o, Decimal):
        return int(o) if o == o.to_integral_value() else float(o)
    raise TypeError(f"not DynamoDB JSON: {type(o).__name__}")


class _JsonResult(_ActionResult):
    def execute_result(self, context):
        body = {k: v for k, v in self.result.items() if v is not None}
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, _json.dumps(body, default=_wire, separators=(",", ":"))


_fast = threading.local()
_moto_result = _responses.DynamoResult


def _dynamo_result(result):
    return _JsonResult(result) if getattr(_fast, "on", False) else _moto_result(result)


def _json_answer(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        _fast.on = True
        try:
            return method(self, *args, **kwargs)
        finally:
            _fast.on = False
    return wrapper


# `IGNY8_EMULATOR_PLAIN_READS=1` keeps moto's own answers (for
# `xtask/emulator/compare_answers.py`, which checks both give the same).
if os.environ.get("IGNY8_EMULATOR_PLAIN_READS") != "1":
    _responses.DynamoResult = _dynamo_result
    for _name in ("get_item", "batch_get_item", "query", "scan"):
        setattr(_responses.DynamoHandler, _name, _json_answer(getattr(_responses.DynamoHandler, _name)))


if __name__ == "__main__":
    main()
