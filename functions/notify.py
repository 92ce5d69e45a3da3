"""Notify: the e-mail-readable SNS message for a day's alerts, or for a failed run."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger

from alb_egress import messages
from alb_egress.payloads import Email
from alb_egress.ports import ObjectStore
from alb_egress.timeutil import parse_day
from aws_adapters import objects
from aws_adapters.run_metrics import count_run_event

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="execution_id")
def handler(event: dict, context: object, *, store: ObjectStore = objects) -> Email:
    """``{"kind": "alert", "comparison": <Compare's summary, with results_location>}``, or
    ``{"kind": "failure", "state": <the state at the failure, with failure.<State> = {Error, Cause}
    and plan.date once Plan ran>, "input": <execution input>, "execution_id": ...}``."""
    url = messages.console_url(event.get("execution_id"))
    if event.get("kind") == "failure":
        count_run_event("FailedRuns")  # the FailedRunAlarm counts these (bad manual input never gets here)
        return messages.failure_of_run(event.get("state"), event.get("input"), event.get("failure"), url)
    if event.get("kind") == "empty_scope":
        enis = event.get("enis") or {}
        scope = {name: os.environ.get(name, "") for name in ("Accounts", "Regions", "LoadBalancerNames")}
        day = parse_day(event["date"]).isoformat()  # Plan's, validated; never the raw input
        return messages.empty_scope(
            day, scope, int(enis.get("albs_out_of_scope", 0)), enis.get("out_of_scope_places") or [], url
        )
    comparison = store.get_json_object(
        event["comparison"]["results_location"]
    )  # every ALB, not the state's top
    return messages.alert(
        comparison["date"],
        comparison["results"],
        comparison["cur_covers_day"],
        url,
        comparison.get("problems"),
        comparison.get("flow_log_damage"),
    )
