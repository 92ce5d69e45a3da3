"""Load balancer identity: ENI descriptions, ARNs and the watch list.

An ALB's ENIs carry the description ``ELB app/<name>/<id>`` (NLB: ``ELB net/<name>/<id>``).
Names are matched exactly, never by substring: ``Test751`` must not match ``Test7510``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ELBv2 names: 1-32 alphanumerics or hyphens, not starting/ending with a hyphen.
# The id is the 16-hex-digit suffix AWS appends.
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?"
_LB_ID = r"[0-9a-f]{16}"
_DESCRIPTION_RE = re.compile(rf"^ELB (?P<type>app|net)/(?P<name>{_NAME})/(?P<id>{_LB_ID})\Z")
_ARN_RE = re.compile(
    rf"^arn:(?P<partition>aws|aws-cn|aws-us-gov):elasticloadbalancing:(?P<region>[a-z]{{2}}(?:-[a-z]+)+-\d):"
    rf"(?P<account>\d{{12}}):loadbalancer/(?P<type>app|net)/(?P<name>{_NAME})/(?P<id>{_LB_ID})\Z"
)
ACCOUNT_RE = re.compile(r"^\d{12}\Z")
REGION_RE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d\Z")
ENI_ID_RE = re.compile(r"^eni-[0-9a-f]{8,17}\Z")

_PARTITION_BY_REGION_PREFIX = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"))


class InvalidIdentifier(ValueError):
    """A value that must be an AWS identifier is not one."""


@dataclass(frozen=True, slots=True)
class LoadBalancerRef:
    """What an ENI description tells about its load balancer."""

    type: str  # "app" (ALB) or "net" (NLB)
    name: str
    id: str

    @property
    def key(self) -> str:
        return f"{self.type}/{self.name}/{self.id}"

    def arn(self, account: str, region: str) -> str:
        if not ACCOUNT_RE.match(account):
            raise InvalidIdentifier(f"not an AWS account id: {account!r}")
        if not REGION_RE.match(region):
            raise InvalidIdentifier(f"not an AWS region: {region!r}")
        return f"arn:{partition_of(region)}:elasticloadbalancing:{region}:{account}:loadbalancer/{self.key}"


def partition_of(region: str) -> str:
    for prefix, partition in _PARTITION_BY_REGION_PREFIX:
        if region.startswith(prefix):
            return partition
    return "aws"


def parse_eni_description(description: object) -> LoadBalancerRef | None:
    """The load balancer an ENI description names, or None when it is not an ELBv2 ENI."""
    if not isinstance(description, str):
        return None
    match = _DESCRIPTION_RE.match(description)
    if match is None:
        return None
    return LoadBalancerRef(type=match["type"], name=match["name"], id=match["id"])


@dataclass(frozen=True, slots=True)
class LoadBalancer:
    """Everything an ELBv2 ARN says: where the load balancer lives, and which one it is."""

    arn: str
    account: str
    region: str
    ref: LoadBalancerRef

    @property
    def name(self) -> str:
        return self.ref.name


def load_balancer_of(arn: str) -> LoadBalancer:
    match = _ARN_RE.match(arn) if isinstance(arn, str) else None
    if match is None:
        raise InvalidIdentifier(f"not an ELBv2 load balancer ARN: {arn!r}")
    return LoadBalancer(
        arn=arn,
        account=match["account"],
        region=match["region"],
        ref=LoadBalancerRef(type=match["type"], name=match["name"], id=match["id"]),
    )


def validate_eni_id(value: object) -> str:
    if not isinstance(value, str) or not ENI_ID_RE.match(value):
        raise InvalidIdentifier(f"not an ENI id: {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class WatchList:
    """`LoadBalancerNames`: ``*`` watches every ALB, otherwise an exact set of names."""

    names: frozenset[str] | None  # None = all

    @classmethod
    def parse(cls, text: str | None) -> WatchList:
        raw = (text or "*").strip()
        if raw == "*":
            return cls(names=None)
        names = frozenset(part.strip() for part in raw.split(",") if part.strip())
        bad = sorted(n for n in names if not re.fullmatch(_NAME, n))
        if bad or not names:
            raise InvalidIdentifier(
                f"LoadBalancerNames must be '*' or comma-separated ALB names, got {bad or raw!r}"
            )
        return cls(names=names)

    def watches(self, lb: LoadBalancerRef) -> bool:
        # Only ALBs are reconciled: NLB egress is billed differently.
        return lb.type == "app" and (self.names is None or lb.name in self.names)


def _id_set(text: str | None, pattern: re.Pattern, what: str, own: str) -> frozenset[str] | None:
    """``*`` -> None (every one seen); ``""`` -> the stack's own; else the comma-separated values."""
    raw = (text or "").strip()
    if raw == "*":
        return None
    if not raw:
        return frozenset({own})
    values = frozenset(part.strip() for part in raw.split(",") if part.strip())
    bad = sorted(v for v in values if not pattern.match(v))
    if bad or not values:
        raise InvalidIdentifier(
            f"{what} must be '*', empty, or comma-separated {what.lower()}, got {bad or raw!r}"
        )
    return values


@dataclass(frozen=True, slots=True)
class Scope:
    """Which ALBs a night reconciles (docs/DESIGN.md §3): account in `Accounts`, region in `Regions`,
    name in `LoadBalancerNames`. The one place scope is decided."""

    accounts: frozenset[str] | None  # None: every account present in the inventory
    regions: frozenset[str] | None  # None: every region present in the inventory
    names: WatchList

    @classmethod
    def parse(
        cls, accounts: str | None, regions: str | None, names: str | None, own_account: str, own_region: str
    ) -> Scope:
        return cls(
            accounts=_id_set(accounts, ACCOUNT_RE, "Accounts", own_account),
            regions=_id_set(regions, REGION_RE, "Regions", own_region),
            names=WatchList.parse(names),
        )

    def includes(self, account: str, region: str) -> bool:
        """Whether ALBs of that account and region can be in scope (names aside)."""
        return (self.accounts is None or account in self.accounts) and (
            self.regions is None or region in self.regions
        )

    def covers(self, arn: str) -> bool:
        """Whether the load balancer of ``arn`` is reconciled; anything not an ALB ARN is not."""
        try:
            lb = load_balancer_of(arn)
        except InvalidIdentifier:
            return False
        return (
            self.names.watches(lb.ref)
            and (self.accounts is None or lb.account in self.accounts)
            and (self.regions is None or lb.region in self.regions)
        )
