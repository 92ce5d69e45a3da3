"""Backfills the ENI inventory with the ALB/NLB ENIs that exist now.

Runs once at deploy (a CloudFormation custom resource, so no manual step) and daily after
that, which also heals any event the recorder never received. Never overwrites
event-recorded data.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import cfnresponse
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from alb_egress.discovery import created_from_interface, discovery_targets
from alb_egress.identity import ACCOUNT_RE, REGION_RE, InvalidIdentifier
from alb_egress.ports import ElbInterfaces, Inventory, Unreachable
from alb_egress.settings import settings_from_environment
from aws_adapters.inventory_table import InventoryTable
from aws_adapters.member_accounts import MemberInterfaces
from aws_adapters.run_metrics import count_run_event

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@tracer.capture_method
def discover(
    only: tuple[str, str] | None = None,
    inventory: Inventory | None = None,
    interfaces: ElbInterfaces | None = None,
) -> dict[str, int]:
    """Lists the ELB ENIs of every in-scope account and region (other accounts through the member
    stack's role) into the inventory - or of ``only`` that one. An account or region it cannot
    reach is counted and logged; the others are still discovered."""
    settings = settings_from_environment(os.environ)
    table: Inventory = inventory or InventoryTable(os.environ["INVENTORY_TABLE"])
    ec2: ElbInterfaces = interfaces or MemberInterfaces(
        settings.account_id, settings.member_discovery_role_name
    )
    if only is not None:
        targets = [only]
    else:
        alive = table.records_alive_on(datetime.now(UTC).date())
        seen = {(r.account_id, r.region) for r in alive if r.account_id and r.region}
        seen |= table.member_stacks()
        targets = discovery_targets(settings.scope, settings.account_id, settings.region, seen)
    counts = {k: 0 for k in ("targets", "unreachable", "seen", "written", "kept_event_data")}
    counts |= {"unknown_created_time": 0, "invalid": 0}
    for account, region in targets:
        counts["targets"] += 1
        try:
            listed = ec2.elb_interfaces(account, region)
        except Unreachable as problem:
            counts["unreachable"] += 1
            logger.warning(
                "account/region not reachable: is the member stack deployed there?",
                extra={"account": account, "region": region, "reason": str(problem)[:300]},
            )
            continue
        for interface in listed:
            counts["seen"] += 1
            try:
                change = created_from_interface(interface, region)
            except InvalidIdentifier as problem:
                counts["invalid"] += 1
                logger.warning("ENI skipped", extra={"reason": str(problem)})
                continue
            if change is None:
                continue
            if change.created_at is None:
                counts["unknown_created_time"] += 1
            if table.record_discovered(change):
                counts["written"] += 1
            else:
                counts["kept_event_data"] += 1
    for name, value in counts.items():
        metrics.add_metric(name=f"Discovery_{name}", unit=MetricUnit.Count, value=value)
    logger.info("discovery finished", extra=counts)
    return counts


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict,
    context: object,
    *,
    inventory: Inventory | None = None,
    interfaces: ElbInterfaces | None = None,
) -> dict | None:
    """The deploy-time custom resource, a member stack's completion, or the daily schedule;
    ``inventory`` and ``interfaces``: the adapters (tests pass fakes)."""
    if "RequestType" in event and "ResponseURL" in event:
        _answer_cloudformation(event, context, inventory, interfaces)
        return None
    if "member_stack" in event:
        return _member_stack_deployed(event["member_stack"], inventory, interfaces)
    return discover(inventory=inventory, interfaces=interfaces)


def _member_stack_deployed(
    member: object, inventory: Inventory | None, interfaces: ElbInterfaces | None
) -> dict[str, Any]:
    """A member stack reached CREATE_COMPLETE or UPDATE_COMPLETE (forwarded to the central bus,
    the account and region being EventBridge's own fields of the event): remember it, so that a
    ``*`` scope discovers it daily, and discover its ALB ENIs now - the deploy-time backfill ran
    before the StackSet existed. Its read-only role may not exist yet (it is created in one
    region's instance): that target is then counted unreachable and the daily run retries it."""
    settings = settings_from_environment(os.environ)
    account = member.get("account") if isinstance(member, dict) else None
    region = member.get("region") if isinstance(member, dict) else None
    if not (isinstance(account, str) and ACCOUNT_RE.match(account)) or not (
        isinstance(region, str) and REGION_RE.match(region)
    ):
        logger.warning(
            "member stack event refused: not an account and region", extra={"member": str(member)[:200]}
        )
        return {"refused": "not an account and region"}
    if not settings.scope.includes(account, region):
        logger.info("member stack outside the scope", extra={"account": account, "region": region})
        return {"outside_scope": 1}
    table: Inventory = inventory or InventoryTable(os.environ["INVENTORY_TABLE"])
    table.register_member_stack(account, region, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return discover(only=(account, region), inventory=table, interfaces=interfaces)


def _answer_cloudformation(
    event: dict, context: object, inventory: Inventory | None, interfaces: ElbInterfaces | None
) -> None:
    """Deploy-time run. A failed backfill fails the deployment: a silent gap would hide traffic."""
    physical_id = event.get("PhysicalResourceId") or "eni-inventory-backfill"
    if event["RequestType"] == "Delete":  # nothing to undo: the table's lifecycle is the stack's
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, physical_id)
        return
    # NoRunAlarm's clock starts at deploy: without this point it would be in ALARM until the first run.
    count_run_event("RunHeartbeat")
    try:
        counts = discover(inventory=inventory, interfaces=interfaces)
    except Exception as problem:
        logger.exception("backfill failed")
        cfnresponse.send(
            event,
            context,
            cfnresponse.FAILED,
            {},
            physical_id,
            reason=f"ENI backfill failed: {problem}"[:400],
        )
        return
    cfnresponse.send(event, context, cfnresponse.SUCCESS, {k: str(v) for k, v in counts.items()}, physical_id)
