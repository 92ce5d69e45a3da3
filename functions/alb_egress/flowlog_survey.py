"""What a day's flow-log folders hold (docs/DESIGN.md §3, "the night reads the data"): which flow
logs delivered there, in which format, and which hours of D their files cover - read from the
object keys of one List and one header line per flow log, never from a setting alone.

- AWS names every file ``<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz``
  (or ``.log.parquet``): the flow log that wrote it and when (flow-logs-s3-path.html).
- A text file's first line names its fields in order; a flow log's format cannot change (a new
  format is a new flow log, with a new id), so one header per flow log is the format of all its files.
- Coverage is per hour of D: an hour is covered when a file of the flow log is stamped in it.
  Flow logs publish about every 5 minutes while an interface has traffic, and an ALB's interfaces
  carry health checks all the time, so an hour without a file, while the ALB's interfaces lived,
  is an hour whose records are missing. Gaps shorter than an hour are not seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from .flowlog_format import FIELD_NAME_RE, REQUIRED_FIELDS, FlowLogFormat

FILE_NAME_RE = re.compile(
    r"(?P<account>\d{12})_vpcflowlogs_(?P<region>[a-z0-9-]+)_(?P<flow_log>fl-[0-9a-z]+)_"
    r"(?P<stamp>\d{8}T\d{4}Z)_[0-9a-z]+\.log\.(?:gz|parquet)\Z"
)
UNNAMED = ""  # files whose names are not AWS's: one pseudo flow log per account and region


@dataclass(frozen=True, slots=True)
class FileName:
    flow_log: str
    stamp: datetime


def parse_file_name(key: str) -> FileName | None:
    match = FILE_NAME_RE.search(key.rsplit("/", 1)[-1])
    if match is None:
        return None
    try:
        stamp = datetime.strptime(match["stamp"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return FileName(flow_log=match["flow_log"], stamp=stamp)


@dataclass
class FlowLogFiles:
    """One flow log's files in one account/region folder of D."""

    flow_log: str
    first_key: str
    files: int = 0
    hours: set[int] = field(default_factory=set)  # hours of D with a file stamped in them


def flow_logs_in(keys: Iterable[str], day: date) -> dict[str, FlowLogFiles]:
    """The folder's files grouped by the flow log that wrote them, with the hours of D they cover."""
    found: dict[str, FlowLogFiles] = {}
    for key in keys:
        if key.endswith("/") or key.rsplit("/", 1)[-1].startswith(("_", ".")):
            continue  # folder markers and hidden objects: Athena does not read them
        name = parse_file_name(key)
        flow_log = name.flow_log if name else UNNAMED
        entry = found.setdefault(flow_log, FlowLogFiles(flow_log=flow_log, first_key=key))
        entry.files += 1
        if name is not None and name.stamp.date() == day:
            entry.hours.add(name.stamp.hour)
    return found


@dataclass(frozen=True, slots=True)
class HeaderReading:
    fmt: FlowLogFormat | None  # None: the header lacks fields the reconciliation needs
    has_header: bool
    fields: tuple[str, ...]
    missing: tuple[str, ...] = ()


def read_header(first_line: str, fallback: FlowLogFormat) -> HeaderReading:
    """A text file's first line: a header of known field names (the format), or a record (no
    header: FlowLogFormat says the order)."""
    tokens = tuple(first_line.strip().split()) if first_line.strip() else ()
    # field names (a record starts with a version number or an account id): fields AWS added
    # after FIELD_TYPES are read as strings, not refused
    if tokens and all(FIELD_NAME_RE.match(t) for t in tokens) and len(set(tokens)) == len(tokens):
        missing = tuple(f for f in REQUIRED_FIELDS if f not in tokens)
        fmt = None if missing else FlowLogFormat(fields=tokens)
        return HeaderReading(fmt=fmt, has_header=True, fields=tokens, missing=missing)
    return HeaderReading(fmt=fallback, has_header=False, fields=fallback.fields)


def alive_hours(created_at: str | None, deleted_at: str | None, day: date) -> frozenset[int]:
    """Hours of D during which an interface existed (any part of the hour). Unknown creation: all
    of D up to its deletion."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    hour = timedelta(hours=1)
    # hour h is alive when created < its end (h + 1) and deleted > its start (h); floors are exact
    first = (_instant(created_at) - start) // hour if created_at else 0
    last = -((start - _instant(deleted_at)) // hour) if deleted_at else 24  # ceiling
    return frozenset(range(max(first, 0), min(last, 24)))


def _instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def hour_ranges(hours: Iterable[int]) -> str:
    """``{0,1,2,5}`` -> ``00:00-03:00, 05:00-06:00`` (UTC)."""
    ordered = sorted(set(hours))
    ranges: list[list[int]] = []
    for hour in ordered:
        if ranges and ranges[-1][1] == hour:
            ranges[-1][1] = hour + 1
        else:
            ranges.append([hour, hour + 1])
    return ", ".join(f"{a:02d}:00-{b:02d}:00" for a, b in ranges)


@dataclass(frozen=True, slots=True)
class FlowTableSpec:
    """One flow-log table of the night: a format (text: with or without a header line)."""

    fields: tuple[str, ...]
    header: bool = True

    @property
    def format(self) -> FlowLogFormat:
        return FlowLogFormat(fields=self.fields)

    def as_dict(self) -> dict:
        return {"format": " ".join(self.fields), "header": self.header}

    @classmethod
    def from_dict(cls, values: Mapping) -> FlowTableSpec:
        fields = tuple(str(values["format"]).split())
        bad = [f for f in fields if not FIELD_NAME_RE.match(f)]
        if bad or not fields or len(set(fields)) != len(fields):
            raise ValueError(f"not a flow-log format: {str(values['format'])[:120]!r}")
        return cls(fields=fields, header=bool(values.get("header", True)))
