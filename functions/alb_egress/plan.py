"""Which UTC day an execution reconciles: the operator's date, or the schedule's start minus the lag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .timeutil import InvalidDate, parse_day, parse_instant

# VPC Flow Logs exist since this day: nothing before it can have been measured.
FIRST_DAY = date(2015, 6, 10)
ALLOWED_INPUT_KEYS = frozenset({"date"})


class InvalidReconcileInput(ValueError):
    """The execution input cannot be reconciled; the message says why and what is expected."""


@dataclass(frozen=True, slots=True)
class DayPlan:
    day: date
    source: str  # "manual" (input carried a date) or "schedule"


def plan_day(execution_input: object, execution_start: str, lag_days: int) -> DayPlan:
    """Validates the input ``{}`` or ``{"date": "YYYY-MM-DD"}`` against the execution's start time."""
    if not isinstance(execution_input, dict):
        raise InvalidReconcileInput('input must be a JSON object: {} or {"date": "YYYY-MM-DD"}')
    unknown = sorted(str(k)[:40] for k in set(execution_input) - ALLOWED_INPUT_KEYS)
    if unknown:
        raise InvalidReconcileInput(
            f'unknown input keys {unknown}: expected {{}} or {{"date": "YYYY-MM-DD"}}'
        )
    try:
        today = parse_instant(execution_start).date()
    except InvalidDate as problem:
        raise InvalidReconcileInput(f"execution start time is not a timestamp: {problem}") from None
    if "date" not in execution_input:
        return DayPlan(day=today - timedelta(days=lag_days), source="schedule")
    try:
        day = parse_day(execution_input["date"])
    except InvalidDate as problem:
        raise InvalidReconcileInput(str(problem)) from None
    if day >= today:
        raise InvalidReconcileInput(
            f"date {day} is not over yet (today is {today} UTC): reconcile a day that has ended"
        )
    if day < FIRST_DAY:
        raise InvalidReconcileInput(f"date {day} is before VPC Flow Logs existed ({FIRST_DAY})")
    return DayPlan(day=day, source="manual")
