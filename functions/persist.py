"""Persist: stores the day's results (re-runs replace them) and publishes EMF metrics per ALB."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit, single_metric

from alb_egress import statements
from alb_egress.payloads import PersistOutput
from alb_egress.ports import ObjectStore, Results
from alb_egress.settings import settings_from_environment
from alb_egress.timeutil import parse_day
from aws_adapters import objects
from aws_adapters.results_table import ResultsTable

logger = Logger()
tracer = Tracer()
metrics = Metrics()

_PER_ALB_METRICS = (
    ("FlowLogGB", "flow_log_gb", MetricUnit.Gigabytes),
    ("CurGB", "cur_gb", MetricUnit.Gigabytes),
    ("DeltaGB", "delta_gb", MetricUnit.Gigabytes),
    ("DeltaPercent", "delta_pct", MetricUnit.Percent),
)


def data_scanned_bytes(queries: object) -> int:
    """Athena bytes scanned by the day's queries: every ``data_scanned_bytes`` in the Queries output."""
    if isinstance(queries, dict):
        return sum(
            data_scanned_bytes(v) if k != "data_scanned_bytes" else int(v or 0) for k, v in queries.items()
        )
    if isinstance(queries, list):
        return sum(data_scanned_bytes(v) for v in queries)
    return 0


@logger.inject_lambda_context(correlation_id_path="execution_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict, context: object, *, results: Results | None = None, store: ObjectStore = objects
) -> PersistOutput:
    """``{"comparison": <Compare's summary>, "queries": <the Queries state's output>, "execution_id": ARN}``;
    the per-ALB results are read from the summary's ``results_location``."""
    comparison = {**event["comparison"], **store.get_json_object(event["comparison"]["results_location"])}
    scanned = data_scanned_bytes(event.get("queries"))
    day = comparison["date"]
    reconciled_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = [
        {
            **result,
            "data_scanned_bytes": scanned,
            "execution_arn": event.get("execution_id"),
            "reconciled_at": reconciled_at,
        }
        for result in comparison["results"]
    ]
    # the execution names the write: a retried Persist keeps the old day until the commit
    results = results or ResultsTable(os.environ["RESULTS_TABLE"])
    removed = results.replace_day(day, items, generation=event.get("execution_id"))
    # after the commit, so Athena's table never holds a day the results table does not
    store.put_json_lines(
        settings_from_environment(os.environ).results_bucket,
        statements.results_history_key(parse_day(day)),
        [{k: v for k, v in item.items() if k != "date"} for item in items],  # `date`: the partition
    )
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "AlbEgressReconciliation")
    # one EMF document per ALB: its metrics share the dimensions (a quarter of the log lines of one
    # document per metric, and fewer bytes for CloudWatch Logs to ingest)
    per_alb = EphemeralMetrics(namespace=namespace)
    for result in comparison["results"]:
        values = [
            (name, unit, result[key]) for name, key, unit in _PER_ALB_METRICS if result.get(key) is not None
        ]
        if not values:
            continue
        per_alb.add_dimension(name="LoadBalancer", value=result["load_balancer"])
        per_alb.add_dimension(name="Account", value=result["account_id"])
        per_alb.add_dimension(name="Region", value=result["region"])
        for name, unit, value in values:
            per_alb.add_metric(name=name, unit=unit, value=value)
        per_alb.flush_metrics()
    for status in {r["status"] for r in comparison["results"]}:
        count = sum(1 for r in comparison["results"] if r["status"] == status)
        with single_metric(
            name="Reconciliations", unit=MetricUnit.Count, value=count, namespace=namespace
        ) as metric:
            metric.add_dimension(name="Status", value=status)
    metrics.add_metric(name="AlertedLoadBalancers", unit=MetricUnit.Count, value=comparison["alerted_count"])
    logger.info("persisted", extra={"date": day, "items": len(items), "removed_stale": removed})
    return {"date": day, "stored": len(items), "removed_stale": removed}
