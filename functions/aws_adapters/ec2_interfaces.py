"""ELBv2 ENIs as EC2 describes them now."""

from __future__ import annotations

from collections.abc import Iterator

from alb_egress.discovery import DESCRIPTION_FILTERS

from . import client


def elb_network_interfaces(ec2=None) -> Iterator[dict]:
    """Every ENI whose description marks it as an ALB/NLB ENI, page by page (server-side filter)."""
    paginator = (ec2 or client("ec2")).get_paginator("describe_network_interfaces")
    pages = paginator.paginate(
        Filters=[{"Name": "description", "Values": list(DESCRIPTION_FILTERS)}],
        PaginationConfig={"PageSize": 200},
    )
    for page in pages:
        yield from page.get("NetworkInterfaces", [])
