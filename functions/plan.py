"""Plan: validates the execution input, derives the UTC day and renders the day's SQL.

Also renders, for one group of (account, region) pairs, the statement that adds their flow-log
partitions (the state machine's partition Map calls it with ``{"partitions_of": ...}``).
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Tracer

from alb_egress import statements
from alb_egress.cur_delivery import DeliveryChoice, latest_delivery
from alb_egress.diagnosis import cur_delivery_problem
from alb_egress.flowlog_survey import FlowTableSpec
from alb_egress.identity import ACCOUNT_RE, REGION_RE
from alb_egress.plan import InvalidReconcileInput, plan_day
from alb_egress.ports import ObjectStore
from alb_egress.settings import settings_from_environment
from alb_egress.timeutil import parse_day
from aws_adapters import objects
from aws_adapters.run_metrics import count_run_event

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="execution_id")
@tracer.capture_lambda_handler
def handler(event: dict, context: object, *, store: ObjectStore = objects) -> dict:
    """``{"input": <execution input>, "execution_start": ISO time, "execution_id": ARN}``, or
    ``{"partitions_of": [[account, region], ...], "date": "YYYY-MM-DD", "table": {"format", "header"}}``,
    or ``{"table": {"format", "header"}, "date": ...}`` (the CREATE TABLE of one flow-log format)."""
    settings = settings_from_environment(os.environ)
    if "partitions_of" in event:
        return {"statement": _partitions_statement(settings, event)}
    if "table" in event:
        table = FlowTableSpec.from_dict(event["table"])
        return {"statement": statements.create_flow_logs_table(settings, table)}
    count_run_event("RunHeartbeat")  # NoRunAlarm: a run started (bad input or not)
    try:
        plan = plan_day(event.get("input"), event.get("execution_start", ""), settings.reconcile_lag_days)
    except InvalidReconcileInput:
        count_run_event("RefusedRuns")  # UncaughtFailureAlarm: this FAILED execution was not lost
        raise
    choices = _cur_deliveries(settings, plan.day, store) if settings.cur_format == "cur2" else {}
    deliveries = {period: choice.delivery for period, choice in choices.items()}
    problems = [
        cur_delivery_problem(period, choice.problem).as_dict()
        for period, choice in choices.items()
        if choice.problem
    ]
    logger.info(
        "planned", extra={"date": plan.day.isoformat(), "source": plan.source, "cur_deliveries": deliveries}
    )
    return {
        "date": plan.day.isoformat(),
        "source": plan.source,
        "database": settings.database,
        "sql": {
            "create_cur_table": statements.create_cur_table(settings),
            "create_enis_table": statements.create_enis_table(settings),
            "create_cur_status_table": statements.create_cur_status_table(settings),
            "add_cur_partition": statements.add_cur_partition(settings, plan.day, deliveries),
            "add_enis_partition": statements.add_enis_partition(settings, plan.day),
            "cur_usage": statements.cur_usage_query(settings, plan.day, deliveries),
            "cur_freshness": statements.cur_freshness_query(settings, plan.day, deliveries),
            "cur_status": statements.cur_status_query(settings),
        },
        "problems": problems,  # at most one per billing period: they travel in the state
    }


def _cur_deliveries(settings, day, store: ObjectStore) -> dict[str, DeliveryChoice]:
    """CUR 2.0: the latest delivery of each billing period the night reads (its Manifest.json, or
    the newest delivery folder)."""
    deliveries = {}
    for period_day in statements.cur_periods(day):
        period_key = "/".join(p for p in statements.cur_period_key(settings, period_day) if p) + "/"
        try:
            manifest = store.get_json_or_none(
                settings.cur_bucket, statements.cur_manifest_key(settings, period_day)
            )
        except ValueError as error:  # not JSON (truncated, damaged): a problem, not a failed night
            manifest = {"unreadable": f"the period's Manifest.json is not JSON ({str(error)[:120]})"}
        folders = store.subfolders(settings.cur_bucket, period_key)
        deliveries[f"{period_day:%Y-%m}"] = latest_delivery(manifest, period_key, folders)
    return deliveries


def _partitions_statement(settings, event: dict) -> str:
    pairs = []
    for pair in event["partitions_of"]:
        account, region = (str(v) for v in pair)
        if not ACCOUNT_RE.match(account) or not REGION_RE.match(region):
            raise ValueError(f"not an account and region: {str(pair)[:60]}")
        pairs.append((account, region))
    table = FlowTableSpec.from_dict(event["table"]) if event.get("table") else None
    [statement] = statements.add_flow_logs_partitions(settings, parse_day(event["date"]), pairs, table)
    return statement
