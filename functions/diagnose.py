"""Diagnose: the cheap checks that say when the data cannot support an answer (docs/DESIGN.md §3).

For every in-scope account and region with ENIs on D: is there a flow-log file in D's folder (a
List of one key), and does the first file's header line name FlowLogFormat's fields in order (a
ranged Get of its first bytes)? And is there a CUR object for D's billing period? Problems go to
Compare, which gives the affected ALBs the problem as their status instead of a number.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Tracer

from alb_egress import statements
from alb_egress.diagnosis import header_problem, no_cur_data, no_flow_log_files, problem_summary
from alb_egress.identity import ACCOUNT_RE, REGION_RE
from alb_egress.settings import settings_from_environment
from alb_egress.timeutil import parse_day
from aws_adapters import objects

logger = Logger()
tracer = Tracer()


def _prefix(parts: tuple[str, ...]) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/")) + "/"


@logger.inject_lambda_context(correlation_id_path="execution_id")
@tracer.capture_lambda_handler
def handler(event: dict, context: object) -> dict:
    """``{"date", "partition_groups": [[[account, region], ...], ...], "execution_id"}``."""
    settings = settings_from_environment(os.environ)
    day = parse_day(event["date"])
    problems = []
    for group in event.get("partition_groups") or []:
        for account, region in group:
            if not ACCOUNT_RE.match(str(account)) or not REGION_RE.match(str(region)):
                raise ValueError(f"not an account and region: {str([account, region])[:60]}")
            prefix = _prefix(statements.flow_logs_folder(settings, account, region, day))
            location = objects.s3_uri(settings.flow_logs_bucket, prefix)
            key = objects.first_key(settings.flow_logs_bucket, prefix)
            if key is None:
                problems.append(no_flow_log_files(account, region, location))
                continue
            if settings.flow_logs_file_format == "text":  # Parquet columns are read by name
                line = objects.first_line(settings.flow_logs_bucket, key)
                problem = header_problem(
                    line,
                    settings.flow_log_format,
                    account,
                    region,
                    objects.s3_uri(settings.flow_logs_bucket, key),
                )
                if problem:
                    problems.append(problem)
    cur_prefix = _prefix(statements.cur_period_key(settings, day))
    if objects.first_key(settings.cur_bucket, cur_prefix) is None:
        problems.append(no_cur_data(objects.s3_uri(settings.cur_bucket, cur_prefix)))
    summary = problem_summary(problems)
    logger.info("diagnosed", extra={"date": day.isoformat(), "problem_counts": summary["problem_counts"]})
    # The whole list goes to S3, the state carries a bounded summary and the list's location.
    location = objects.put_json(
        settings.results_bucket,
        diagnosis_key(day.isoformat(), event.get("execution_id")),
        [p.as_dict() for p in problems],
    )
    return summary | {"problems_location": location}


def diagnosis_key(day: str, execution_id: object) -> str:
    execution = str(execution_id or "manual").rsplit(":", 1)[-1]
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in execution)[:80] or "manual"
    return f"diagnoses/date={day}/{safe}.json"
