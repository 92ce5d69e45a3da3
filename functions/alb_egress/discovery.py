"""DescribeNetworkInterfaces results -> inventory backfill records."""

from __future__ import annotations

from datetime import datetime

from .identity import ACCOUNT_RE, InvalidIdentifier, Scope, parse_eni_description, validate_eni_id
from .inventory import SOURCE_DISCOVERY, EniCreated
from .timeutil import InvalidDate, format_instant, normalize_instant

# Server-side filter values for DescribeNetworkInterfaces (wildcards are EC2's).
DESCRIPTION_FILTERS = ("ELB app/*", "ELB net/*")


def created_from_interface(interface: dict, region: str) -> EniCreated | None:
    """A backfill record for an ELBv2 ENI, or None for anything else.

    The attachment time stands in for the creation time; when EC2 does not report it the
    record says so (``created_at_known`` false) and counts as existing since before any day.
    """
    load_balancer = parse_eni_description(interface.get("Description"))
    if load_balancer is None:
        return None
    eni_id = validate_eni_id(interface.get("NetworkInterfaceId"))
    account = interface.get("OwnerId", "")
    if not ACCOUNT_RE.match(str(account)):
        raise InvalidIdentifier(f"ENI {eni_id} has no valid OwnerId: {account!r}")
    attach_time = (interface.get("Attachment") or {}).get("AttachTime")
    created_at: str | None
    try:
        created_at = (
            format_instant(attach_time)
            if isinstance(attach_time, datetime)
            else normalize_instant(attach_time)
        )
    except InvalidDate:
        created_at = None
    return EniCreated(
        eni_id=eni_id,
        load_balancer_name=load_balancer.name,
        load_balancer_arn=load_balancer.arn(account, region),
        load_balancer_type=load_balancer.type,
        created_at=created_at,
        vpc_id=interface.get("VpcId"),
        subnet_id=interface.get("SubnetId"),
        availability_zone=interface.get("AvailabilityZone"),
        source=SOURCE_DISCOVERY,
    )


def discovery_targets(
    scope: Scope, own_account: str, own_region: str, seen: set[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Every (account, region) whose existing ENIs discovery lists: the scope's, where ``*`` means
    the stack's own plus every account/region the inventory has seen."""
    accounts = scope.accounts if scope.accounts is not None else {own_account} | {a for a, _ in seen}
    regions = scope.regions if scope.regions is not None else {own_region} | {r for _, r in seen}
    return sorted((a, r) for a in accounts for r in regions)
