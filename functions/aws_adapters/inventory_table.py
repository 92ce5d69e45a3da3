"""The ENI inventory in DynamoDB.

Item per ENI (key ``eni_id``). The sparse GSI ``ByActiveUntil`` (partition
``load_balancer_type``, sort ``active_until`` = deletion time, or FAR_FUTURE while the ENI
lives) answers "ENIs of type app alive at or after D" with one paginated query; the creation
bound is a filter. Delete events that arrive before their create (or for ENIs that are not
ELB ENIs) leave a placeholder without ``load_balancer_type`` - invisible to the index - that
expires through the table's TTL unless a create completes it.
"""

from __future__ import annotations

import time
from datetime import date

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from alb_egress.inventory import SOURCE_DISCOVERY, EniCreated, EniDeleted, EniRecord
from alb_egress.timeutil import FAR_FUTURE, day_bounds

from . import client

ACTIVE_INDEX = "ByActiveUntil"
DAY_ATTRIBUTES = (
    "eni_id",
    "load_balancer_name",
    "load_balancer_arn",
    "load_balancer_type",
    "account_id",
    "region",
    "created_at",
    "deleted_at",
    "created_at_known",
)
ORPHAN_TTL_SECONDS = 30 * 24 * 3600
MEMBER_STACK_TYPE = "member-stack"  # the index's partition of member-stack registrations
_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class InventoryTable:
    def __init__(self, table_name: str, dynamodb=None) -> None:
        self.table_name = table_name
        self._dynamodb = dynamodb or client("dynamodb")

    def _set_attributes(self, change: EniCreated) -> tuple[list[str], dict, dict]:
        names, values, assignments = {}, {}, []
        for i, (attribute, value) in enumerate(sorted(change.attributes().items())):
            names[f"#a{i}"] = attribute
            values[f":v{i}"] = _serialize(value)
            assignments.append(f"#a{i} = :v{i}")
        assignments.append("active_until = if_not_exists(deleted_at, :far_future)")
        values[":far_future"] = _serialize(FAR_FUTURE)
        return assignments, names, values

    def record_created(self, change: EniCreated) -> None:
        """Create events are authoritative: they complete placeholders and replace discovery data."""
        assignments, names, values = self._set_attributes(change)
        self._dynamodb.update_item(
            TableName=self.table_name,
            Key={"eni_id": {"S": change.eni_id}},
            UpdateExpression="SET " + ", ".join(assignments) + " REMOVE expires_at",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def record_discovered(self, change: EniCreated) -> bool:
        """Backfill; never overwrites event-recorded data. Returns whether it wrote."""
        assignments, names, values = self._set_attributes(change)
        names["#source"] = "source"
        values[":discovery"] = _serialize(SOURCE_DISCOVERY)
        try:
            self._dynamodb.update_item(
                TableName=self.table_name,
                Key={"eni_id": {"S": change.eni_id}},
                UpdateExpression="SET " + ", ".join(assignments) + " REMOVE expires_at",
                ConditionExpression="attribute_not_exists(#source) OR #source = :discovery",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def record_deleted(self, change: EniDeleted, now: float | None = None) -> None:
        """First deletion time wins (duplicates are no-ops). Unknown ENIs get an expiring placeholder."""
        deleted = {":deleted": _serialize(change.deleted_at)}
        key = {"eni_id": {"S": change.eni_id}}
        stamp = (
            "SET deleted_at = if_not_exists(deleted_at, :deleted),"
            " active_until = if_not_exists(deleted_at, :deleted)"
        )
        expires = int((now if now is not None else time.time()) + ORPHAN_TTL_SECONDS)
        # Two conditional branches so that a create racing this delete is never given a TTL.
        for _ in range(3):
            try:
                self._dynamodb.update_item(
                    TableName=self.table_name,
                    Key=key,
                    UpdateExpression=stamp,
                    ConditionExpression="attribute_exists(load_balancer_type)",
                    ExpressionAttributeValues=deleted,
                )
                return
            except ClientError as error:
                if not _is_condition_failure(error):
                    raise
            try:
                self._dynamodb.update_item(
                    TableName=self.table_name,
                    Key=key,
                    UpdateExpression=stamp + ", expires_at = if_not_exists(expires_at, :expires)",
                    ConditionExpression="attribute_not_exists(load_balancer_type)",
                    ExpressionAttributeValues={**deleted, ":expires": {"N": str(expires)}},
                )
                return
            except ClientError as error:
                if not _is_condition_failure(error):
                    raise
        raise RuntimeError(f"could not record deletion of {change.eni_id}: item kept changing")

    def records_alive_on(
        self, day: date, load_balancer_type: str = "app", page_size: int | None = None
    ) -> list[EniRecord]:
        """Every ENI of that type that belonged to its load balancer on ``day`` (docs/DESIGN.md §3)."""
        start, end = day_bounds(day)
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table_name,
            IndexName=ACTIVE_INDEX,
            KeyConditionExpression="load_balancer_type = :type AND active_until >= :start",
            FilterExpression="attribute_not_exists(created_at) OR created_at < :end",
            # only what a night reads: less to transfer (and, locally, to serialise) per ENI
            ProjectionExpression=", ".join(f"#p{i}" for i in range(len(DAY_ATTRIBUTES))),
            ExpressionAttributeNames={f"#p{i}": name for i, name in enumerate(DAY_ATTRIBUTES)},
            ExpressionAttributeValues={
                ":type": {"S": load_balancer_type},
                ":start": {"S": start},
                ":end": {"S": end},
            },
            PaginationConfig={"PageSize": page_size} if page_size else {},
        )
        records = []
        for page in pages:
            for item in page.get("Items", []):
                record = EniRecord.from_item({k: _deserialize(v) for k, v in item.items()})
                if record.belongs_on(day):  # the key bounds and filter are the same rule
                    records.append(record)
        return records

    def all_records(self) -> list[dict]:
        """Every item, placeholders included (operators' inspection and the demo)."""
        items: list[dict] = []
        for page in self._dynamodb.get_paginator("scan").paginate(TableName=self.table_name):
            items.extend({k: _deserialize(v) for k, v in item.items()} for item in page.get("Items", []))
        return sorted(items, key=lambda item: item["eni_id"])

    # ------------------------------------------------------------------ member stacks
    def register_member_stack(self, account: str, region: str, deployed_at: str) -> None:
        """Remembers that a member stack runs in ``account``/``region`` (its CloudFormation
        completion was forwarded): ``*`` scopes then discover it every day, ALB events or not.
        An item of its own type in the index, so no night's ENI query ever reads it."""
        self._dynamodb.update_item(
            TableName=self.table_name,
            Key={"eni_id": {"S": f"{MEMBER_STACK_TYPE}#{account}#{region}"}},
            UpdateExpression=(
                "SET load_balancer_type = :type, active_until = :far_future, account_id = :account,"
                " #region = :region, last_deployed_at = :at,"
                " first_deployed_at = if_not_exists(first_deployed_at, :at)"
            ),
            ExpressionAttributeNames={"#region": "region"},
            ExpressionAttributeValues={
                ":type": {"S": MEMBER_STACK_TYPE},
                ":far_future": {"S": FAR_FUTURE},
                ":account": {"S": account},
                ":region": {"S": region},
                ":at": {"S": deployed_at},
            },
        )

    def member_stacks(self) -> set[tuple[str, str]]:
        """Every (account, region) a member stack was seen deployed in."""
        found: set[tuple[str, str]] = set()
        pages = self._dynamodb.get_paginator("query").paginate(
            TableName=self.table_name,
            IndexName=ACTIVE_INDEX,
            KeyConditionExpression="load_balancer_type = :type",
            ProjectionExpression="account_id, #region",
            ExpressionAttributeNames={"#region": "region"},
            ExpressionAttributeValues={":type": {"S": MEMBER_STACK_TYPE}},
        )
        for page in pages:
            found.update((item["account_id"]["S"], item["region"]["S"]) for item in page.get("Items", []))
        return found
