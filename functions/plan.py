"""Plan: validates the execution input, derives the UTC day and renders the day's SQL."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Tracer

from alb_egress import statements
from alb_egress.plan import plan_day
from alb_egress.settings import settings_from_environment
from aws_adapters.run_metrics import count_run_event

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="execution_id")
@tracer.capture_lambda_handler
def handler(event: dict, context: object) -> dict:
    """``{"input": <execution input>, "execution_start": ISO time, "execution_id": ARN}``."""
    count_run_event("RunHeartbeat")  # NoRunAlarm: a run started (bad input or not)
    settings = settings_from_environment(os.environ)
    plan = plan_day(event.get("input"), event.get("execution_start", ""), settings.reconcile_lag_days)
    logger.info("planned", extra={"date": plan.day.isoformat(), "source": plan.source})
    return {
        "date": plan.day.isoformat(),
        "source": plan.source,
        "database": settings.database,
        "sql": {
            "create_flow_logs_table": statements.create_flow_logs_table(settings),
            "create_cur_table": statements.create_cur_table(settings),
            "add_flow_logs_partitions": statements.add_flow_logs_partitions(settings, plan.day),
            "add_cur_partition": statements.add_cur_partition(settings, plan.day),
            "cur_usage": statements.cur_usage_query(settings, plan.day),
            "cur_freshness": statements.cur_freshness_query(settings, plan.day),
        },
    }
