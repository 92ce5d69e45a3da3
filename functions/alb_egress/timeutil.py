"""UTC timestamps and days as the system stores and compares them.

Timestamps are stored as ``YYYY-MM-DDTHH:MM:SSZ`` strings so that DynamoDB key conditions
compare them correctly as strings.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
FAR_FUTURE = "9999-12-31T23:59:59Z"


class InvalidDate(ValueError):
    """A date or timestamp that is not a valid UTC day / instant."""


def parse_day(value: object) -> date:
    """A strict ``YYYY-MM-DD`` day; anything else is rejected."""
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise InvalidDate(f"date must be YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidDate(f"not a calendar date: {value!r}") from exc


def parse_instant(value: object) -> datetime:
    """An ISO 8601 instant with an explicit offset, as UTC."""
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidDate(f"timestamp must be an ISO 8601 string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidDate(f"not an ISO 8601 timestamp: {value!r}") from exc
    if parsed.tzinfo is None:
        raise InvalidDate(f"timestamp has no UTC offset: {value!r}")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first instant a datetime holds
        raise InvalidDate(f"timestamp out of range: {value!r}") from None


def format_instant(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise InvalidDate("naive datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_instant(value: object) -> str:
    return format_instant(parse_instant(value))


def day_start(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def day_bounds(day: date) -> tuple[str, str]:
    """[start, end) of a UTC day as stored timestamps."""
    return day_start(day), day_start(day + timedelta(days=1))


def day_epoch_bounds(day: date) -> tuple[int, int]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return int(start.timestamp()), int((start + timedelta(days=1)).timestamp())
