"""Compare: reads both query results and the day's ENI table, reconciles every in-scope ALB
(docs/DESIGN.md §3), and writes the per-ALB results to S3. The state gets counts, the largest deltas
and the results' location - never the per-ALB list."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Tracer

from alb_egress import statements
from alb_egress.diagnosis import Problem, apply_problems, cur_readiness, problem_summary
from alb_egress.flow_counts import (
    apply_flow_counts,
    count_per_alb,
    damage_report,
    egress_split_by_place,
    flow_count_problems,
    folder_gaps,
    survey_coverage,
)
from alb_egress.ports import ObjectStore, QueryResults
from alb_egress.reconcile import (
    CurTotals,
    EgressTotals,
    Thresholds,
    out_of_scope_billed,
    reconcile_day,
)
from alb_egress.settings import settings_from_environment
from alb_egress.timeutil import parse_day
from aws_adapters import athena_results, objects

logger = Logger()
tracer = Tracer()
TOP_IN_STATE = 5  # the largest alerted deltas, for people reading the execution in the console


def results_key(day: str) -> str:
    return f"reconciliations/date={day}/results.json"


def _net_cost(row: dict) -> float | None:
    """The net unblended cost when every internet-egress line of the ALB carries it (EDP and
    private pricing: what is paid), else None and the unblended cost is used."""
    lines = int(row.get("internet_lines") or 0)
    if lines and int(row.get("net_cost_lines") or 0) == lines and row.get("net_unblended_cost") is not None:
        return float(row["net_unblended_cost"])
    return None


@logger.inject_lambda_context(correlation_id_path="execution_id")
@tracer.capture_lambda_handler
def handler(
    event: dict, context: object, *, store: ObjectStore = objects, queries: QueryResults = athena_results
) -> dict:
    """``{"date", "enis_location", "problems", "flow_query_id", "cur_query_id", "freshness_query_id"}``."""
    settings = settings_from_environment(os.environ)
    day = parse_day(event["date"])
    eni_rows = [row for row in store.get_csv(event["enis_location"]) if row]
    eni_counts = Counter(row[1] for row in eni_rows)
    survey = store.get_json_object(event["survey_location"]) if event.get("survey_location") else {}
    coverage, folder_coverage = survey_coverage(survey)
    flow = count_per_alb(queries.rows(event["flow_query_id"]), eni_rows, coverage, folder_coverage, day)
    egress = {arn: EgressTotals(*alb.as_tuple()) for arn, alb in flow.by_alb.items() if alb.logged}
    cur_rows = queries.rows(event["cur_query_id"])
    cur = {  # the query's rows as records, here only (docs/DESIGN.md §2)
        str(row["load_balancer_arn"]): CurTotals(
            gb=float(row["usage_gb"] or 0),
            cost=float(row["unblended_cost"] or 0),
            inter_region_gb=float(row["inter_region_gb"] or 0),
            same_region_gb=float(row.get("same_region_gb") or 0),
            net_cost=_net_cost(row),
        )
        for row in cur_rows
    }
    freshness = (queries.rows(event["freshness_query_id"]) or [{}])[0]
    refresh_statuses = [r.get("status") for r in queries.rows(event["status_query_id"])]
    covers, cur_problems = cur_readiness(day, freshness, refresh_statuses, cur_rows, datetime.now(UTC))
    # Diagnose's whole list (the state carries only its first few): every problem reaches the results.
    listed = (
        store.get_json(event["problems_location"])
        if event.get("problems_location")
        else event.get("problems")
    )
    if not isinstance(listed, list | None):
        raise ValueError("the problems Diagnose wrote are not a list")
    problems = [Problem.from_dict(p) for p in [*(event.get("plan_problems") or []), *(listed or [])]]
    problems += cur_problems
    problems += flow_count_problems(flow, folder_gaps(folder_coverage, eni_rows, day))
    results = reconcile_day(
        day,
        eni_counts,
        egress,
        cur,
        covers,
        settings.scope,
        Thresholds(settings.tolerance_percent, settings.min_delta_gb, settings.min_impact_usd),
        egress_split=bool(event.get("egress_split", statements.egress_split_possible(settings))),
    )
    results = apply_problems(results, problems)  # never a number the data cannot support
    results = apply_flow_counts(results, flow)
    split = egress_split_by_place(survey)  # per account/region: each has its own flow logs' formats
    results = [replace(r, egress_split=split.get((r.account_id, r.region), r.egress_split)) for r in results]
    alerted = sorted((r for r in results if r.alerted), key=lambda r: -abs(r.delta_gb))
    location = store.put_json(
        settings.results_bucket,
        results_key(day.isoformat()),
        {
            "date": day.isoformat(),
            "cur_covers_day": covers,
            "problems": [p.as_dict() for p in problems],
            "flow_log_damage": damage_report(flow),
            "results": [r.as_dict() for r in results],
        },
    )
    summary = {
        "date": day.isoformat(),
        "cur_covers_day": covers,
        "albs": len(results),
        "alerted_count": len(alerted),
        "statuses": dict(sorted(Counter(str(r.status) for r in results).items())),
        "out_of_scope_billed": out_of_scope_billed(cur, settings.scope),
        "damaged_flow_log_records": sum(f.damaged_records for f in flow.damage.values()),
        "cur_status": refresh_statuses[0] if refresh_statuses else None,
        **problem_summary(problems),
        "largest_deltas": [
            {
                "load_balancer_arn": r.load_balancer_arn,
                "status": str(r.status),
                "delta_gb": round(r.delta_gb, 6),
            }
            for r in alerted[:TOP_IN_STATE]
        ],
        "results_location": location,
    }
    logger.info("compared", extra={k: v for k, v in summary.items() if k != "largest_deltas"})
    return summary
