"""Run-level CloudWatch metrics (EMF on stdout), one series per stack: the alarms watch these."""

from __future__ import annotations

import os

from aws_lambda_powertools.metrics import MetricUnit, single_metric


def count_run_event(name: str) -> None:
    """One ``name`` = 1 point with the dimension ``Stack`` only, as the template's alarms expect it.

    A per-stack dimension keeps two stacks in one account (staging and prod) from hiding each
    other's missing or failed runs.
    """
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "AlbEgressReconciliation")
    with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=namespace) as metric:
        metric.add_dimension(name="Stack", value=os.environ.get("STACK_NAME", "unknown"))
