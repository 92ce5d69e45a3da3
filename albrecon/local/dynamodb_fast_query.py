"""A speed patch for moto's DynamoDB ``Table.query``: the same page, without re-sorting by objects.

For every page of a paginated Query, moto collects the matching items, sorts them by comparing
``DynamoType`` objects (each comparison converts both values again), walks every item of the
previous pages one comparison at a time to find where the page starts, sums each item's size twice
and deep-copies the page. At 21,000 ENIs a night that is most of FindEnis. Here the key values are
converted once per item (``cast_value``: what moto's comparisons compare), sorted by those, and the
page's start is found by bisection; the page itself is then filled by moto's own loop (the 1 MB
size check on every candidate, ``Limit``, the range comparison, ``ScannedCount`` as moto counts
it), and the index projection, FilterExpression and ProjectionExpression are moto's. The page is
not deep-copied: moto's one caller only reads it into the answer.

Anything outside the plain case goes to moto's own code, which then answers (or refuses) as moto
does: the legacy ``KeyConditions``/``QueryFilter`` form, a multi-attribute key, a query without a
hash key on the table, an unknown index, a consistent read of a GSI, a key value that is not S, N
keys of mixed types, or an ``ExclusiveStartKey`` without every key attribute.
``tests/local/test_dynamodb_hooks.py`` compares both on pages of tables and indexes."""

from __future__ import annotations

import bisect
from decimal import Decimal
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, GlobalSecondaryIndex, Table

_ORIGINAL_QUERY = Table.query
_SORTABLE = ("S", "N")  # B: stored as text or bytes, left to moto


class _NotPlain(Exception):
    """The query is not of the plain shape: moto's own code answers it."""


def query(
    table: Table,
    hash_key: DynamoType | None,
    range_comparison: str | None,
    range_objs: list[DynamoType],
    limit: int,
    exclusive_start_key: dict[str, Any],
    scan_index_forward: bool,
    projection_expressions: list[list[str]] | None,
    index_name: str | None = None,
    consistent_read: bool = False,
    filter_expression: Any = None,
    hash_key_conditions: list[tuple[str, DynamoType]] | None = None,
    range_key_conditions: list[tuple[str, str, list[DynamoType]]] | None = None,
    **filter_kwargs: Any,
) -> tuple[list[Item], int, dict[str, Any] | None]:
    arguments = (hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward)
    keywords = {
        "index_name": index_name,
        "consistent_read": consistent_read,
        "filter_expression": filter_expression,
        "hash_key_conditions": hash_key_conditions,
        "range_key_conditions": range_key_conditions,
        **filter_kwargs,
    }
    try:
        if filter_kwargs or (range_key_conditions and len(range_key_conditions) > 1):
            raise _NotPlain
        ordered, index_range_key = _ordered(
            table,
            hash_key,
            exclusive_start_key,
            scan_index_forward,
            index_name,
            consistent_read,
            range_comparison,
            hash_key_conditions,
        )
    except _NotPlain:
        return _ORIGINAL_QUERY(table, *arguments, projection_expressions, **keywords)
    last_range_key_name = range_key_conditions[-1][0] if range_key_conditions else None
    compared = last_range_key_name or (
        index_range_key["AttributeName"] if index_name and index_range_key else None
    )
    results, scanned_count, last_evaluated_key = _filled(
        table, ordered, limit, range_comparison, range_objs, compared, index_name
    )
    if index_name:
        index = table.get_index(index_name)
        results = [index.project(r) for r in results]
    if filter_expression is not None:
        results = [item for item in results if filter_expression.expr(item)]
    if projection_expressions:
        results = [r.project(projection_expressions) for r in results]
    # moto deep-copies the page first; its one caller (DynamoHandler.query, via the backend) only
    # reads the items into its answer (tests/local/test_moto_hooks.py), so the table's own are given
    return results, scanned_count, last_evaluated_key


def _ordered(
    table: Table,
    hash_key: DynamoType | None,
    exclusive_start_key: dict[str, Any] | None,
    scan_index_forward: bool,
    index_name: str | None,
    consistent_read: bool,
    range_comparison: str | None,
    hash_key_conditions: list[tuple[str, DynamoType]] | None,
) -> tuple[list[Item], dict[str, str] | None]:
    """The candidates in moto's order, from just after the start key; and the index's range key."""
    index_range_key: dict[str, str] | None = None
    if index_name:
        candidates, hash_attrs, range_attrs, index_range_key = _index_candidates(
            table, index_name, consistent_read, range_comparison, hash_key_conditions
        )
    else:
        if hash_key is None:
            raise _NotPlain
        hash_attrs, range_attrs = [table.hash_key_attr], [table.range_key_attr]
        entry = table.items.get(hash_key)
        if entry is None:
            candidates = []
        elif table.range_key_attr:
            candidates = [item for item in entry.values() if isinstance(item, Item)]
        else:
            candidates = [entry] if isinstance(entry, Item) else []
    sort_attrs = table._generate_attr_to_sort_by(hash_attrs, range_attrs)
    # an index orders by all its sort attributes; a table by the range key (one hash key per page)
    order_attrs = sort_attrs if index_name else sort_attrs[1:]
    types, keyed = _keyed(candidates, order_attrs)
    keyed.sort(key=lambda pair: pair[0])
    ordered = [item for _, item in keyed]
    start = 0
    if exclusive_start_key is not None:
        start_types, start_key = _native(exclusive_start_key, sort_attrs)
        if not index_name:
            # moto compares the start key's hash key first: another hash key than the page's would
            # put the whole page before or after it
            if _sortable(hash_key) != (start_types[0], start_key[0]):
                raise _NotPlain
            start_types, start_key = start_types[1:], start_key[1:]
        if ordered and start_types != types:
            raise _NotPlain
        keys = [key for key, _ in keyed]
        # moto skips what comes before or at the start key: a prefix of the page in its order
        start = (
            bisect.bisect_right(keys, start_key)
            if scan_index_forward
            else len(keys) - bisect.bisect_left(keys, start_key)
        )
    if scan_index_forward is False:
        ordered.reverse()
    return ordered[start:], index_range_key


def _filled(
    table: Table,
    ordered: list[Item],
    limit: int,
    range_comparison: str | None,
    range_objs: list[DynamoType],
    compared: str | None,
    index_name: str | None,
) -> tuple[list[Item], int, dict[str, Any] | None]:
    """moto's page loop: every candidate is size-checked, ``ScannedCount`` counts what is kept."""
    results: list[Item] = []
    result_size = 0
    scanned_count = 0
    last_evaluated_key = None
    for result in ordered:
        size = result.size()
        if len(results) == limit or (result_size + size) > RESULT_SIZE_LIMIT:
            last_evaluated_key = table._get_last_evaluated_key(results[-1], index_name)
            break
        if range_comparison:
            value = result.attrs.get(compared) if compared else None
            if value is not None:
                kept = value.compare(range_comparison, range_objs)
            else:
                kept = not index_name and result.range_key.compare(range_comparison, range_objs)  # type: ignore[union-attr]
            if not kept:
                continue
        results.append(result)
        result_size += size
        scanned_count += 1
    return results, scanned_count, last_evaluated_key


def _index_candidates(
    table: Table,
    index_name: str,
    consistent_read: bool,
    range_comparison: str | None,
    hash_key_conditions: list[tuple[str, DynamoType]] | None,
) -> tuple[list[Item], list[str], list[str | None], dict[str, str] | None]:
    indexes = {i.name: i for i in table.all_indexes()}
    index = indexes.get(index_name)
    if index is None or (consistent_read and index in table.global_indexes):
        raise _NotPlain  # moto's own error
    index_hash_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    index_range_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    if len(index_hash_keys) != 1 or len(index_range_keys) > 1:
        raise _NotPlain
    index_range_key: dict[str, str] | None = None
    if not index_range_keys:
        if range_comparison:
            raise _NotPlain
        if isinstance(index, GlobalSecondaryIndex) and table.range_key_attr:
            index_range_key = {"AttributeName": table.range_key_attr}
        else:
            index_range_key = {"AttributeName": table.hash_key_attr}
        range_attrs: list[str | None] = [index_range_key["AttributeName"], table.range_key_attr]
    else:
        index_range_key = {"AttributeName": index_range_keys[0]}
        range_attrs = [index_range_keys[0], table.range_key_attr]
    hash_attrs = [*index_hash_keys, table.hash_key_attr]
    if not hash_key_conditions:
        raise _NotPlain
    wanted = [(name, _sortable(value)) for name, value in hash_key_conditions]
    candidates = []
    for item in _items(table):
        if not isinstance(item, Item):
            continue
        if not all(_matches(item.attrs.get(name), expected) for name, expected in wanted):
            continue
        if index_range_keys and item.attrs.get(index_range_keys[0]) is None:
            continue
        candidates.append(item)
    return candidates, hash_attrs, range_attrs, index_range_key


def _items(table: Table) -> list[Item]:
    """``Table.all_items`` without its sort (the page is sorted by its keys afterwards, with no ties:
    the table's own key is among them)."""
    if table.range_key_attr:
        return [item for hash_set in table.items.values() for item in hash_set.values()]
    return list(table.items.values())  # type: ignore[arg-type]


def _sortable(value: DynamoType) -> tuple[str, Any]:
    if value.type not in _SORTABLE:
        raise _NotPlain
    return value.type, value.cast_value


def _matches(value: DynamoType | None, expected: tuple[str, Any]) -> bool:
    """moto's ``not value or value != expected`` turned round, over converted values."""
    if value is None or value.type != expected[0]:
        return False
    return value.cast_value == expected[1]


def _keyed(items: list[Item], attrs: list[str]) -> tuple[list[str], list[tuple[tuple, Item]]]:
    """Each item with its sort key converted as ``cast_value`` converts an S or an N; the one type
    of each attribute (else moto's code)."""
    types: list[str] | None = None
    keyed = []
    for item in items:
        try:
            values = [item.attrs[a] for a in attrs]
        except KeyError:
            raise _NotPlain from None
        item_types = [v.type for v in values]
        if types is None:
            if any(t not in _SORTABLE for t in item_types):
                raise _NotPlain
            types = item_types
        elif item_types != types:
            raise _NotPlain
        keyed.append((tuple(v.value if v.type == "S" else Decimal(v.value) for v in values), item))
    return types or [], keyed


def _native(key: dict[str, Any], attrs: list[str]) -> tuple[list[str], tuple]:
    types, values = [], []
    for attr in attrs:
        raw = key.get(attr)
        if not isinstance(raw, dict) or len(raw) != 1:
            raise _NotPlain
        value = DynamoType(raw)
        if value.type not in _SORTABLE:
            raise _NotPlain
        types.append(value.type)
        values.append(value.cast_value)
    return types, tuple(values)
