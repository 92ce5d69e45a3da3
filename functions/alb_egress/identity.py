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
_DESCRIPTION_RE = re.compile(rf"^ELB (?P<type>app|net)/(?P<name>{_NAME})/(?P<id>{_LB_ID})$")
_ARN_RE = re.compile(
    rf"^arn:(?P<partition>aws|aws-cn|aws-us-gov):elasticloadbalancing:(?P<region>[a-z]{{2}}(?:-[a-z]+)+-\d):"
    rf"(?P<account>\d{{12}}):loadbalancer/(?P<type>app|net)/(?P<name>{_NAME})/(?P<id>{_LB_ID})$"
)
ACCOUNT_RE = re.compile(r"^\d{12}$")
REGION_RE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
ENI_ID_RE = re.compile(r"^eni-[0-9a-f]{8,17}$")

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


def parse_load_balancer_arn(arn: str) -> LoadBalancerRef:
    match = _ARN_RE.match(arn) if isinstance(arn, str) else None
    if match is None:
        raise InvalidIdentifier(f"not an ELBv2 load balancer ARN: {arn!r}")
    return LoadBalancerRef(type=match["type"], name=match["name"], id=match["id"])


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
