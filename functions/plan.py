"""Plan: validates the execution input, derives the UTC day and renders the day's SQL.

Also renders, for one group of (account, region) pairs, the statement that adds their flow-log
partitions (the state machine's partition Map calls it with ``{"partitions_of": ...}``).
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Tracer

from alb_egress import statements
from alb_egress.identity import ACCOUNT_RE, REGION_RE
from alb_egress.plan import plan_day
from alb_egress.settings import settings_from_environment
from alb_egress.timeutil import parse_day
from aws_adapters.run_metrics import count_run_event

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="execution_id")
@tracer.capture_lambda_handler
def handler(event: dict, context: object) -> dict:
    """``{"input": <execution input>, "execution_start": ISO time, "execution_id": ARN}``, or
    ``{"partitions_of": [[account, region], ...], "date": "YYYY-MM-DD"}``."""
    settings = settings_from_environment(os.environ)
    if "partitions_of" in event:
        return {"statement": _partitions_statement(settings, event)}
    count_run_event("RunHeartbeat")  # NoRunAlarm: a run started (bad input or not)
    plan = plan_day(event.get("input"), event.get("execution_start", ""), settings.reconcile_lag_days)
    logger.info("planned", extra={"date": plan.day.isoformat(), "source": plan.source})
    return {
        "date": plan.day.isoformat(),
        "source": plan.source,
        "database": settings.database,
        "sql": {
            "create_flow_logs_table": statements.create_flow_logs_table(settings),
            "create_cur_table": statements.create_cur_table(settings),
            "create_enis_table": statements.create_enis_table(settings),
            "add_cur_partition": statements.add_cur_partition(settings, plan.day),
            "add_enis_partition": statements.add_enis_partition(settings, plan.day),
            "flow_log_egress": statements.flow_log_egress_query(settings, plan.day),
            "cur_usage": statements.cur_usage_query(settings, plan.day),
            "cur_freshness": statements.cur_freshness_query(settings, plan.day),
        },
    }


def _partitions_statement(settings, event: dict) -> str:
    pairs = []
    for pair in event["partitions_of"]:
        account, region = (str(v) for v in pair)
        if not ACCOUNT_RE.match(account) or not REGION_RE.match(region):
            raise ValueError(f"not an account and region: {str(pair)[:60]}")
        pairs.append((account, region))
    [statement] = statements.add_flow_logs_partitions(settings, parse_day(event["date"]), pairs)
    return statement
