"""The reconciliation results in DynamoDB: one item per (date, ALB); re-running a date replaces it."""

from __future__ import annotations

import time
from decimal import Decimal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from . import client

_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize
BY_LOAD_BALANCER_INDEX = "ByLoadBalancer"


def _dynamo_value(value):
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _plain(value):
    if isinstance(value, Decimal):
        return float(value) if value.as_tuple().exponent < 0 else int(value)
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


class ResultsTable:
    def __init__(self, table_name: str, dynamodb=None) -> None:
        self.table_name = table_name
        self._dynamodb = dynamodb or client("dynamodb")

    def _query(self, **arguments: object) -> list[dict]:
        items = []
        for page in self._dynamodb.get_paginator("query").paginate(TableName=self.table_name, **arguments):
            items.extend(plain_item(item) for item in page.get("Items", []))
        return items

    def items_of_day(self, day: str) -> list[dict]:
        items = self._query(
            KeyConditionExpression="#d = :day",
            ExpressionAttributeNames={"#d": "date"},
            ExpressionAttributeValues={":day": {"S": day}},
        )
        return sorted(items, key=lambda i: i["load_balancer_arn"])

    def _arns_of_day(self, day: str) -> list[str]:
        """The day's keys only: the stale check reads a key per ALB, not its whole result."""
        items = self._query(
            KeyConditionExpression="#d = :day",
            ProjectionExpression="load_balancer_arn",
            ExpressionAttributeNames={"#d": "date"},
            ExpressionAttributeValues={":day": {"S": day}},
        )
        return [item["load_balancer_arn"] for item in items]

    def items_of_load_balancer(self, name: str, since: str) -> list[dict]:
        """One ALB's results from ``since`` on (its name, through the ByLoadBalancer index)."""
        items = self._query(
            IndexName=BY_LOAD_BALANCER_INDEX,
            KeyConditionExpression="load_balancer = :alb AND #d >= :since",
            ExpressionAttributeNames={"#d": "date"},
            ExpressionAttributeValues={":alb": {"S": name}, ":since": {"S": since}},
        )
        return sorted(items, key=lambda i: (i["date"], i["load_balancer_arn"]))

    def replace_day(self, day: str, items: list[dict]) -> int:
        """Writes the day's items and removes that day's items of ALBs no longer reported."""
        keep = {item["load_balancer_arn"] for item in items}
        if any(item["date"] != day for item in items):
            raise ValueError(f"an item of another day given for {day}")
        puts = [
            {
                "PutRequest": {
                    "Item": {k: _serialize(_dynamo_value(v)) for k, v in item.items() if v is not None}
                }
            }
            for item in items
        ]
        batch_write(self._dynamodb, self.table_name, puts)
        stale = [arn for arn in self._arns_of_day(day) if arn not in keep]
        for arn in stale:
            self._dynamodb.delete_item(
                TableName=self.table_name, Key={"date": {"S": day}, "load_balancer_arn": {"S": arn}}
            )
        return len(stale)
