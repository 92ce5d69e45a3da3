"""ENIs: which ENIs belonged to each watched ALB on the day, and the flow-log query for them."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Tracer

from alb_egress import statements
from alb_egress.identity import parse_load_balancer_arn
from alb_egress.inventory import enis_by_load_balancer
from alb_egress.settings import settings_from_environment
from alb_egress.timeutil import parse_day
from aws_adapters.inventory_table import InventoryTable

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="execution_id")
@tracer.capture_lambda_handler
def handler(event: dict, context: object) -> dict:
    """``{"date": "YYYY-MM-DD", "execution_id": ARN}``."""
    settings = settings_from_environment(os.environ)
    day = parse_day(event["date"])
    records = InventoryTable(os.environ["INVENTORY_TABLE"]).records_alive_on(day, load_balancer_type="app")
    watched = [
        r for r in records if settings.watch_list.watches(parse_load_balancer_arn(r.load_balancer_arn))
    ]
    by_alb = enis_by_load_balancer(watched, day)
    eni_ids = [eni for enis in by_alb.values() for eni in enis]
    logger.info("ENIs of the day", extra={"date": day.isoformat(), "albs": len(by_alb), "enis": len(eni_ids)})
    return {
        "eni_count": len(eni_ids),
        "alb_count": len(by_alb),
        "enis_by_alb": by_alb,
        "unknown_created_time": sum(1 for r in watched if not r.created_at_known),
        "flow_query": statements.flow_log_egress_query(settings, day, eni_ids) if eni_ids else None,
    }
