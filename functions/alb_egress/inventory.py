"""The ENI inventory: which ENI belonged to which load balancer, and when.

One record per ENI. ENI ids are never reused, so the id alone identifies the record, and
create / delete events can be applied in any order and any number of times.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from .identity import InvalidIdentifier, Scope, load_balancer_of
from .timeutil import day_bounds

SOURCE_EVENT = "event"
SOURCE_DISCOVERY = "discovery"


@dataclass(frozen=True, slots=True)
class EniCreated:
    """An ELB created an ENI for a load balancer (from CloudTrail, or seen by discovery)."""

    eni_id: str
    load_balancer_name: str
    load_balancer_arn: str
    load_balancer_type: str
    created_at: str | None  # None: discovery could not tell (no attachment time)
    vpc_id: str | None
    subnet_id: str | None
    availability_zone: str | None
    source: str  # SOURCE_EVENT or SOURCE_DISCOVERY

    def attributes(self) -> dict[str, str | bool]:
        """Non-empty attributes to store; ``created_at_known`` flags guessed creation times."""
        values = {k: v for k, v in asdict(self).items() if v is not None and k != "eni_id"}
        values["created_at_known"] = self.created_at is not None
        lb = load_balancer_of(self.load_balancer_arn)  # the account and region, readable in the table
        values["account_id"], values["region"] = lb.account, lb.region
        return values


@dataclass(frozen=True, slots=True)
class EniDeleted:
    """An ELB deleted an ENI. The event names only the ENI id."""

    eni_id: str
    deleted_at: str


@dataclass(frozen=True, slots=True)
class EniRecord:
    eni_id: str
    load_balancer_name: str
    load_balancer_arn: str
    load_balancer_type: str
    created_at: str | None = None
    deleted_at: str | None = None
    vpc_id: str | None = None
    subnet_id: str | None = None
    availability_zone: str | None = None
    source: str = SOURCE_EVENT
    created_at_known: bool = True
    # Stored since the organisation release; items written before it have neither: the ARN says.
    account_id: str | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        if self.account_id is None or self.region is None:
            try:
                lb = load_balancer_of(self.load_balancer_arn)
            except InvalidIdentifier:
                return
            object.__setattr__(self, "account_id", self.account_id or lb.account)
            object.__setattr__(self, "region", self.region or lb.region)

    @classmethod
    def from_item(cls, item: dict) -> EniRecord:
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in item.items() if k in fields})

    def belongs_on(self, day: date) -> bool:
        """docs/DESIGN.md §3: created before D+1 and not deleted before D.

        An unknown creation time (discovery without attachment time) counts as "long before".
        """
        start, end = day_bounds(day)
        created_in_time = self.created_at is None or self.created_at < end
        not_gone = self.deleted_at is None or self.deleted_at >= start
        return created_in_time and not_gone


@dataclass(frozen=True, slots=True)
class DayEni:
    """One row of the day's ENI table (docs/DESIGN.md §2 step 4): an in-scope ALB's ENI on D."""

    eni_id: str
    load_balancer_arn: str
    account_id: str
    region: str
    created_at: str  # "" when unknown (discovery without attachment time)
    deleted_at: str  # "" while it lives

    def row(self) -> tuple[str, ...]:
        return (
            self.eni_id,
            self.load_balancer_arn,
            self.account_id,
            self.region,
            self.created_at,
            self.deleted_at,
        )


def enis_of_day(records: list[EniRecord], day: date, scope: Scope) -> list[DayEni]:
    """The ENIs of in-scope ALBs that belonged to them on ``day``, sorted by ALB then ENI."""
    rows = {
        record.eni_id: DayEni(
            eni_id=record.eni_id,
            load_balancer_arn=record.load_balancer_arn,
            account_id=str(record.account_id),
            region=str(record.region),
            created_at=record.created_at or "",
            deleted_at=record.deleted_at or "",
        )
        for record in records
        if record.belongs_on(day) and scope.covers(record.load_balancer_arn)
    }
    return sorted(rows.values(), key=lambda e: (e.load_balancer_arn, e.eni_id))


def albs_outside_scope(records: list[EniRecord], day: date, scope: Scope) -> dict[tuple[str, str], int]:
    """The ALBs the inventory holds on ``day`` that the scope leaves out, counted per (account,
    region): a scope that matches none of them is a configuration mistake, not a quiet day."""
    outside: dict[tuple[str, str], set[str]] = {}
    for record in records:
        if record.belongs_on(day) and not scope.covers(record.load_balancer_arn):
            outside.setdefault((str(record.account_id), str(record.region)), set()).add(
                record.load_balancer_arn
            )
    return {place: len(arns) for place, arns in sorted(outside.items())}
