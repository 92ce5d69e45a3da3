"""Notify: the e-mail-readable SNS message for a day's alerts, or for a failed run."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from alb_egress import messages
from alb_egress.timeutil import InvalidDate, parse_day

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="execution_id")
def handler(event: dict, context: object) -> dict:
    """``{"kind": "alert", "comparison": ...}``, or
    ``{"kind": "failure", "failure": {<state>: {"Error", "Cause"}}, "input": ..., "execution_id": ...}``."""
    url = messages.console_url(event.get("execution_id"))
    if event.get("kind") == "failure":
        failure = event.get("failure") or {}
        state, details = next(iter(failure.items()), ("unknown state", {}))
        day = (event.get("plan") or {}).get("date") or (event.get("input") or {}).get("date")
        try:
            day = parse_day(day).isoformat()
        except InvalidDate:
            day = None  # never echo an invalid (possibly hostile) input into the e-mail
        return messages.failure(
            day,
            state,
            str(details.get("Error", "unknown error")),
            str(details.get("Cause", "")),
            url,
        )
    comparison = event["comparison"]
    return messages.alert(comparison["date"], comparison["results"], comparison["cur_covers_day"], url)
