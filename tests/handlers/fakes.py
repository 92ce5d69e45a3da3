"""In-memory adapters: the Protocols of alb_egress.ports, kept in dicts, so a handler test runs in
milliseconds. mypy checks each against its Protocol (the assignments at the end, `make lint`);
tests/handlers/test_fake_contracts.py runs the same scenarios on these and on the real adapters
(over moto), so a fake that drifts from what its adapter does fails there."""

from __future__ import annotations

import csv
import fnmatch
import gzip
import io
import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from alb_egress import ports
from alb_egress.discovery import DESCRIPTION_FILTERS
from alb_egress.inventory import SOURCE_DISCOVERY, EniCreated, EniDeleted, EniRecord
from alb_egress.timeutil import FAR_FUTURE, day_bounds
from albrecon.local.template import Resolver, Template
from aws_adapters.inventory_table import DAY_ATTRIBUTES, MEMBER_STACK_TYPE, ORPHAN_TTL_SECONDS
from aws_adapters.objects import s3_uri, split_uri


class MissingObject(KeyError):
    """What S3's NoSuchKey is to the real adapter."""


@dataclass
class InMemoryObjects:
    """Objects by (bucket, key), as bytes: what the real adapter would have put in S3."""

    objects: dict[tuple[str, str], bytes] = field(default_factory=dict)

    def put(self, bucket: str, key: str, body: bytes) -> str:
        self.objects[bucket, key] = body
        return s3_uri(bucket, key)

    def body(self, uri: str) -> bytes:
        try:
            return self.objects[split_uri(uri)]
        except KeyError:
            raise MissingObject(uri) from None

    def put_csv(self, bucket: str, key: str, rows: list[tuple[str, ...]]) -> str:
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        return self.put(bucket, key, text.getvalue().encode())

    def get_csv(self, uri: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO(self.body(uri).decode())))

    def put_json(self, bucket: str, key: str, value: object) -> str:
        return self.put(bucket, key, json.dumps(value, separators=(",", ":")).encode())

    def put_json_lines(self, bucket: str, key: str, rows: list[dict]) -> str:
        text = "".join(json.dumps(row, separators=(",", ":"), default=str) + "\n" for row in rows)
        return self.put(bucket, key, gzip.compress(text.encode(), mtime=0))

    def get_json(self, uri: str) -> object:
        return json.loads(self.body(uri))

    def get_json_object(self, uri: str) -> dict:
        value = self.get_json(uri)
        if not isinstance(value, dict):
            raise ValueError(f"{uri} does not hold a JSON object")
        return value

    def get_json_or_none(self, bucket: str, key: str) -> object | None:
        return json.loads(self.objects[bucket, key]) if (bucket, key) in self.objects else None

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        return sorted(k for b, k in self.objects if b == bucket and k.startswith(prefix))

    def first_key(self, bucket: str, prefix: str) -> str | None:
        return next(iter(self.list_keys(bucket, prefix)), None)

    def first_line(self, bucket: str, key: str) -> str:
        data = self.objects[bucket, key]
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        return data.split(b"\n", 1)[0].decode("utf-8", errors="replace")

    def subfolders(self, bucket: str, prefix: str) -> list[str]:
        rests = (k[len(prefix) :] for k in self.list_keys(bucket, prefix))
        return sorted({rest.split("/", 1)[0] for rest in rests if "/" in rest})


@dataclass
class InMemoryQueryResults:
    """Finished queries' rows by query execution id, every value a string or None as Athena's."""

    by_id: dict[str, list[dict[str, str | None]]] = field(default_factory=dict)

    def add(self, query_id: str, rows: list[dict[str, object]]) -> str:
        self.by_id[query_id] = [{k: None if v is None else str(v) for k, v in r.items()} for r in rows]
        return query_id

    def rows(self, query_execution_id: str) -> list[dict[str, str | None]]:
        return self.by_id[query_execution_id]


@dataclass
class InMemoryDeadLetters:
    """Parked bodies as SQS would hold them (JSON, so an event that cannot be sent fails here too)."""

    bodies: list[dict] = field(default_factory=list)

    def park(self, queue_url: str, event: object, reason: str) -> None:
        self.bodies.append(json.loads(json.dumps({"reason": reason, "event": event}, default=str)))


@dataclass
class InMemoryInterfaces:
    """ENIs by (account, region) as DescribeNetworkInterfaces gives them, with EC2's server-side
    description filter applied; places listed in ``unreachable`` raise as a missing role does."""

    by_place: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    unreachable: set[tuple[str, str]] = field(default_factory=set)

    def elb_interfaces(self, account: str, region: str) -> list[dict]:
        if (account, region) in self.unreachable:
            raise ports.Unreachable(f"not authorized to assume the member role in {account}")
        return [
            interface
            for interface in self.by_place.get((account, region), [])
            if any(fnmatch.fnmatchcase(interface.get("Description", ""), f) for f in DESCRIPTION_FILTERS)
        ]


@dataclass
class InMemoryInventory:
    """Items by ENI id with the attributes InventoryTable writes; the index's query is a filter."""

    items: dict[str, dict] = field(default_factory=dict)
    now: float = 0.0  # the clock of record_deleted's placeholder TTL

    def _set(self, change: EniCreated) -> None:
        item = self.items.setdefault(change.eni_id, {"eni_id": change.eni_id})
        item.update(change.attributes())
        item["active_until"] = item.get("deleted_at", FAR_FUTURE)
        item.pop("expires_at", None)

    def record_created(self, change: EniCreated) -> None:
        self._set(change)

    def record_discovered(self, change: EniCreated) -> bool:
        source = self.items.get(change.eni_id, {}).get("source")
        if source not in (None, SOURCE_DISCOVERY):
            return False
        self._set(change)
        return True

    def record_deleted(self, change: EniDeleted) -> None:
        item = self.items.setdefault(change.eni_id, {"eni_id": change.eni_id})
        item.setdefault("deleted_at", change.deleted_at)
        item.setdefault("active_until", item["deleted_at"])
        if "load_balancer_type" not in item:
            item.setdefault("expires_at", int(self.now + ORPHAN_TTL_SECONDS))

    def records_alive_on(self, day: date, load_balancer_type: str = "app") -> list[EniRecord]:
        start, _ = day_bounds(day)
        found = [  # the attributes the adapter's query projects
            EniRecord.from_item({k: v for k, v in item.items() if k in DAY_ATTRIBUTES})
            for item in self.items.values()
            if item.get("load_balancer_type") == load_balancer_type and item["active_until"] >= start
        ]
        return [record for record in found if record.belongs_on(day)]

    def register_member_stack(self, account: str, region: str, deployed_at: str) -> None:
        item = self.items.setdefault(f"{MEMBER_STACK_TYPE}#{account}#{region}", {})
        item |= {"load_balancer_type": MEMBER_STACK_TYPE, "active_until": FAR_FUTURE}
        item |= {"account_id": account, "region": region, "last_deployed_at": deployed_at}
        item.setdefault("first_deployed_at", deployed_at)

    def member_stacks(self) -> set[tuple[str, str]]:
        return {
            (item["account_id"], item["region"])
            for item in self.items.values()
            if item.get("load_balancer_type") == MEMBER_STACK_TYPE
        }


@dataclass
class InMemoryResults:
    """Days of results; a replacement is atomic here, so a retry has nothing to keep."""

    days: dict[str, dict[str, dict]] = field(default_factory=dict)

    def replace_day(self, day: str, items: list[dict], generation: str | None = None) -> int:
        if any(item["date"] != day for item in items):
            raise ValueError(f"an item of another day given for {day}")
        before = self.days.get(day, {})
        self.days[day] = {
            item["load_balancer_arn"]: {k: v for k, v in item.items() if v is not None} for item in items
        }
        return len(before.keys() - self.days[day].keys())

    def items_of_day(self, day: str) -> list[dict]:
        return [self.days.get(day, {})[arn] for arn in sorted(self.days.get(day, {}))]


@cache
def template_yaml() -> Template:
    return Template.load()


def environment(function: str, **parameters: str) -> dict[str, str]:
    """The environment template.yaml gives ``function`` (its Globals and its own variables), with
    the parameters' defaults unless given, each resource's name its logical id in lower case."""
    template = template_yaml()
    resolver = Resolver(
        parameters={name: str(p.get("Default", "")) for name, p in template.parameters.items()}
        | {"FlowLogsBucket": "flow-logs", "CurBucket": "cur", "CurReportName": "cur"}  # required
        | parameters,
        refs={name: name.lower() for name in template.resources},
        conditions=template.conditions,
    )
    variables = {
        **template.function_globals().get("Environment", {}).get("Variables", {}),
        **template.resources[function]["Properties"].get("Environment", {}).get("Variables", {}),
    }
    return {name: str(value) for name, value in resolver.resolve(variables).items()} | {
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_REGION": resolver.region,
    }


# mypy (make lint): every fake is what its Protocol says.
_objects: ports.ObjectStore = InMemoryObjects()
_queries: ports.QueryResults = InMemoryQueryResults()
_dead_letters: ports.DeadLetters = InMemoryDeadLetters()
_inventory: ports.Inventory = InMemoryInventory()
_interfaces: ports.ElbInterfaces = InMemoryInterfaces()
_results: ports.Results = InMemoryResults()
