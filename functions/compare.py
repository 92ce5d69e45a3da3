"""Compare: reads both query results and reconciles every watched ALB for the day (DESIGN §3)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Tracer

from alb_egress.reconcile import Thresholds, cur_covers_day, reconcile_day
from alb_egress.settings import settings_from_environment
from alb_egress.timeutil import parse_day
from aws_adapters import athena_results

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="execution_id")
@tracer.capture_lambda_handler
def handler(event: dict, context: object) -> dict:
    """``{"date", "enis_by_alb", "flow_query_id", "cur_query_id", "freshness_query_id", "execution_id"}``."""
    settings = settings_from_environment(os.environ)
    day = parse_day(event["date"])
    egress = {
        row["interface_id"]: (int(row["egress_bytes"] or 0), int(row["skipdata_records"] or 0))
        for row in athena_results.rows(event["flow_query_id"])
    }
    cur = {
        row["load_balancer_arn"]: (float(row["usage_gb"] or 0), float(row["unblended_cost"] or 0))
        for row in athena_results.rows(event["cur_query_id"])
    }
    freshness = athena_results.rows(event["freshness_query_id"])
    covers = cur_covers_day(freshness[0].get("covered_until") if freshness else None, day)
    results = reconcile_day(
        day,
        event["enis_by_alb"],
        egress,
        cur,
        covers,
        settings.watch_list,
        Thresholds(settings.tolerance_percent, settings.min_delta_gb),
    )
    alerted = [r for r in results if r.alerted]
    logger.info(
        "compared",
        extra={
            "date": day.isoformat(),
            "albs": len(results),
            "alerted": len(alerted),
            "cur_covers_day": covers,
        },
    )
    return {
        "date": day.isoformat(),
        "cur_covers_day": covers,
        "results": [r.as_dict() for r in results],
        "alerted_count": len(alerted),
    }
