"""Records every ELBv2 ENI create/delete (CloudTrail via EventBridge) in the ENI inventory.

Every ALB/NLB ENI is recorded whatever `LoadBalancerNames` says: the watch list is applied
when a day is reconciled, so widening it later still finds the history.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from alb_egress.cloudtrail import Ignored, MalformedEvent, change_from_event
from alb_egress.inventory import EniCreated
from alb_egress.ports import DeadLetters, Inventory
from aws_adapters import dead_letters
from aws_adapters.inventory_table import InventoryTable

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict, context: object, *, inventory: Inventory | None = None, parking: DeadLetters = dead_letters
) -> dict:
    """An EventBridge event of CloudTrail; ``inventory`` and ``parking``: the adapters (tests pass fakes)."""
    try:
        change = change_from_event(event)
    except MalformedEvent as problem:
        # Retrying cannot fix a malformed event: park it for a person, count it, write nothing.
        logger.error("malformed event parked in the dead-letter queue", extra={"reason": str(problem)})
        metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
        parking.park(os.environ["DEAD_LETTER_QUEUE_URL"], event, str(problem))
        return {"outcome": "malformed", "reason": str(problem)}

    if isinstance(change, Ignored):
        logger.info("event ignored", extra={"reason": change.reason, "eni_id": change.eni_id})
        metric = "FailedApiCallEvents" if change.reason.startswith("api_error") else "IgnoredEvents"
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
        return {"outcome": "ignored", "reason": change.reason}

    # DynamoDB errors propagate: Lambda's async retries, then the on-failure queue, keep the event.
    table: Inventory = inventory or InventoryTable(os.environ["INVENTORY_TABLE"])
    if isinstance(change, EniCreated):
        table.record_created(change)
        logger.info("ENI created", extra={"eni_id": change.eni_id, "load_balancer": change.load_balancer_arn})
        metrics.add_metric(name="EnisCreated", unit=MetricUnit.Count, value=1)
        return {"outcome": "created", "eni_id": change.eni_id}
    table.record_deleted(change)
    logger.info("ENI deleted", extra={"eni_id": change.eni_id})
    metrics.add_metric(name="EnisDeleted", unit=MetricUnit.Count, value=1)
    return {"outcome": "deleted", "eni_id": change.eni_id}
