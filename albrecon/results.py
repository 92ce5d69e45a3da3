"""Reading stored results, wherever they are stored: one interface, two adapters.

A deployed stack keeps them in its DynamoDB results table (``aws_adapters.results_table``); the
embedded default keeps them in ``DIR/.albrecon/`` (``albrecon.local.store``). `history` and
`report` go through the functions here, so both places answer through the same code path.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from .operate import OperatorError


class ResultsSource(Protocol):
    """Items are plain dicts (the results table's attributes), one per (date, ALB ARN)."""

    def items_of_day(self, day: str) -> list[dict]: ...

    def items_of_load_balancer(self, name: str, since: str) -> list[dict]: ...


def history(results: ResultsSource, alb: str | None, days: int, until: date | None = None) -> list[dict]:
    """Stored results of the ``days`` days up to ``until`` (default today), oldest first; one ALB
    (by name, through the by-ALB index) or all."""
    if not 1 <= days <= 400:
        raise OperatorError("--days must be between 1 and 400")
    until = until or datetime.now(UTC).date()
    first = until - timedelta(days=days)
    if alb is None:
        return results_between(results, [first + timedelta(days=n) for n in range(days + 1)])
    last = until.isoformat()
    return [i for i in results.items_of_load_balancer(alb, first.isoformat()) if i["date"] <= last]


def results_between(results: ResultsSource, days: list[date]) -> list[dict]:
    """Every stored result of the given days, by day then ALB ARN."""
    return [item for day in days for item in results.items_of_day(day.isoformat())]
