"""The reconciliation results in DynamoDB: one item per (date, ALB); re-running a date replaces it."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from . import client

_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize
BY_LOAD_BALANCER_INDEX = "ByLoadBalancer"


def _dynamo_value(value):
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _dynamo_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_dynamo_value(v) for v in value]
    return value


def _plain(value):
    if isinstance(value, Decimal):
        return float(value) if value.as_tuple().exponent < 0 else int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def plain_item(typed: dict) -> dict:
    """A DynamoDB item (typed JSON) as plain values: numbers as int or float, not Decimal."""
    return {k: _plain(_deserialize(v)) for k, v in typed.items()}


def batch_write(dynamodb, table_name: str, requests: list[dict]) -> None:
    """BatchWriteItem, 25 at a time, resending what DynamoDB leaves unprocessed (throttling)."""
    for start in range(0, len(requests), 25):
        pending = requests[start : start + 25]
        for attempt in range(8):
            answer = dynamodb.batch_write_item(RequestItems={table_name: pending})
            pending = answer.get("UnprocessedItems", {}).get(table_name, [])
            if not pending:
                break
            time.sleep(min(2.0, 0.05 * 2**attempt))
        if pending:
            raise RuntimeError(f"DynamoDB left {len(pending)} items of {table_name} unwritten after retries")


DAY_ITEM_KEY = "#day"  # the sort key of a day's commit item: which generation of the day is whole


def _generation(item: dict) -> str | None:
    """The run that wrote ``item`` (None: an item written before days had generations)."""
    return item.get("generation")


def whole_day(items: list[dict]) -> list[dict]:
    """The day as its last whole write left it, from every item stored under it.

    A re-run writes the day's new items beside the old ones - each overwritten item keeps the old
    values in ``previous`` - and only then moves the day item to its generation. So whatever a
    failure interrupts, the day item names a generation every one of whose ALBs is still stored
    (docs/DESIGN.md §2): the new day once committed, else the old day, never a mix."""
    commit = next((i for i in items if i["load_balancer_arn"] == DAY_ITEM_KEY), None)
    committed = commit["generation"] if commit else None
    day = []
    for item in items:
        if item["load_balancer_arn"] == DAY_ITEM_KEY:
            continue
        for version in (item, item.get("previous")):
            if version is not None and _generation(version) == committed:
                day.append({k: v for k, v in version.items() if k not in ("previous", "generation")})
                break
    return sorted(day, key=lambda i: i["load_balancer_arn"])


class ResultsTable:
    def __init__(self, table_name: str, dynamodb=None) -> None:
        self.table_name = table_name
        self._dynamodb = dynamodb or client("dynamodb")

    def _query(self, **arguments: object) -> list[dict]:
        items: list[dict] = []
        for page in self._dynamodb.get_paginator("query").paginate(TableName=self.table_name, **arguments):
            items.extend(plain_item(item) for item in page.get("Items", []))
        return items

    def _stored_under(self, day: str) -> list[dict]:
        """Every item under the day's key: its results of every generation and its day item."""
        return self._query(
            KeyConditionExpression="#d = :day",
            ExpressionAttributeNames={"#d": "date"},
            ExpressionAttributeValues={":day": {"S": day}},
        )

    def items_of_day(self, day: str) -> list[dict]:
        return whole_day(self._stored_under(day))

    def _day_items(self, days: list[str]) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for start in range(0, len(days), 100):
            keys = [
                {"date": {"S": d}, "load_balancer_arn": {"S": DAY_ITEM_KEY}}
                for d in days[start : start + 100]
            ]
            request = {self.table_name: {"Keys": keys}}
            while request:
                answer = self._dynamodb.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    plain = plain_item(item)
                    found[plain["date"]] = plain
                request = answer.get("UnprocessedKeys") or {}
        return found

    def items_of_load_balancer(self, name: str, since: str) -> list[dict]:
        """One ALB's results from ``since`` on (its name, through the ByLoadBalancer index), each
        day as its last whole write left it."""
        items = self._query(
            IndexName=BY_LOAD_BALANCER_INDEX,
            KeyConditionExpression="load_balancer = :alb AND #d >= :since",
            ExpressionAttributeNames={"#d": "date"},
            ExpressionAttributeValues={":alb": {"S": name}, ":since": {"S": since}},
        )
        commits = self._day_items(sorted({i["date"] for i in items}))
        chosen = [
            result
            for item in items
            for result in whole_day([item] + ([commits[item["date"]]] if item["date"] in commits else []))
        ]
        return sorted(chosen, key=lambda i: (i["date"], i["load_balancer_arn"]))

    def replace_day(self, day: str, items: list[dict], generation: str | None = None) -> int:
        """Writes the day's new items beside the old, commits the day to them, then removes the
        items of ALBs the new day no longer has; returns how many it removed. ``generation`` names
        the write (Persist: the execution): a retry of the same write keeps the old day's values."""
        puts, commit, stale = day_write(day, items, generation, self._stored_under(day))
        batch_write(self._dynamodb, self.table_name, [{"PutRequest": {"Item": item}} for item in puts])
        self._dynamodb.put_item(TableName=self.table_name, Item=commit)  # from here on the day is the new one
        for arn in stale:
            self._dynamodb.delete_item(
                TableName=self.table_name, Key={"date": {"S": day}, "load_balancer_arn": {"S": arn}}
            )
        return len(stale)


def day_write(
    day: str, items: list[dict], generation: str | None, stored: list[dict]
) -> tuple[list[dict], dict, list[str]]:
    """What a write of the day over ``stored`` (every item under the day) does, in DynamoDB's typed
    JSON: the new items (each keeping the committed version it overwrites as ``previous``), the
    commit item, and the ALBs whose items it then removes."""
    if any(item["date"] != day for item in items):
        raise ValueError(f"an item of another day given for {day}")
    generation = generation or f"write-{uuid.uuid4()}"
    commit = next((i for i in stored if i["load_balancer_arn"] == DAY_ITEM_KEY), None)
    committed = commit["generation"] if commit else None
    before = {i["load_balancer_arn"]: i for i in stored if i["load_balancer_arn"] != DAY_ITEM_KEY}
    puts = []
    for item in items:
        new = {k: v for k, v in item.items() if v is not None} | {"generation": generation}
        old = before.get(item["load_balancer_arn"])
        kept = None
        if old is not None:  # the committed version of this ALB, wherever it is in the old item
            kept = next(
                (v for v in (old, old.get("previous")) if v is not None and _generation(v) == committed),
                None,
            )
        if kept is not None:
            new["previous"] = {k: v for k, v in kept.items() if k != "previous"}
        puts.append({k: _serialize(_dynamo_value(v)) for k, v in new.items()})
    commit_item = {
        "date": {"S": day},
        "load_balancer_arn": {"S": DAY_ITEM_KEY},
        "generation": {"S": generation},
        "load_balancers": {"N": str(len(items))},
    }
    keep = {item["load_balancer_arn"] for item in items}
    return puts, commit_item, [arn for arn in before if arn not in keep]
