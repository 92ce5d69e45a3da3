"""Renders the SQL templates in `athena/`. The only way a value gets into SQL.

A template's ``{{name}}`` placeholders accept only :class:`SqlFragment` values, and fragments
are made only by the validating constructors below: identifiers, dates, timestamps, integers,
ENI ids, S3 locations. Anything else raises before any SQL exists.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from .identity import ACCOUNT_RE, REGION_RE
from .settings import BUCKET_RE, IDENTIFIER_RE, PREFIX_RE

TEMPLATES_DIR = Path(__file__).parent / "sql"  # a link to the repository's athena/ folder
ATHENA_MAX_QUERY_BYTES = 262_144
_PLACEHOLDER_RE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


class UnsafeSqlValue(ValueError):
    """A value offered for SQL failed validation."""


class SqlFragment(str):
    """SQL text produced by a validating constructor of this module."""

    __slots__ = ()


def identifier(name: str, ddl: bool = False) -> SqlFragment:
    """A quoted Athena identifier: backticks in DDL (Hive), double quotes in queries (Trino)."""
    if not isinstance(name, str) or not IDENTIFIER_RE.match(name):
        raise UnsafeSqlValue(f"not an identifier: {name!r}")
    return SqlFragment(f"`{name}`" if ddl else f'"{name}"')


def qualified(database: str, table: str, ddl: bool = False) -> SqlFragment:
    return SqlFragment(f"{identifier(database, ddl)}.{identifier(table, ddl)}")


def integer(value: int) -> SqlFragment:
    if not isinstance(value, int) or isinstance(value, bool):
        raise UnsafeSqlValue(f"not an integer: {value!r}")
    return SqlFragment(str(value))


def integer_list(values: Iterable[int]) -> SqlFragment:
    items = [integer(v) for v in values]
    if not items:
        raise UnsafeSqlValue("empty integer list")
    return SqlFragment(", ".join(items))


def _day(value: date) -> str:
    if not isinstance(value, date):
        raise UnsafeSqlValue(f"not a date: {value!r}")
    return value.isoformat()


def date_literal(value: date) -> SqlFragment:
    return SqlFragment(f"DATE '{_day(value)}'")


def date_string(value: date) -> SqlFragment:
    """A date as a quoted string (partition values in ALTER TABLE ADD PARTITION)."""
    return SqlFragment(f"'{_day(value)}'")


def day_start_timestamp(value: date) -> SqlFragment:
    return SqlFragment(f"TIMESTAMP '{_day(value)} 00:00:00'")


def s3_location(bucket: str, *parts: str, folder: str | None = None) -> SqlFragment:
    """``'s3://bucket/part/.../'`` from a validated bucket and key parts (empty parts dropped), and
    optionally a last ``folder`` of any name DELIVERY_RE accepts (a CUR 2.0 delivery)."""
    if not isinstance(bucket, str) or not BUCKET_RE.match(bucket):
        raise UnsafeSqlValue(f"not an S3 bucket name: {bucket!r}")
    key_parts = [p.strip("/") for p in parts if p and p.strip("/")]
    for part in key_parts:
        if not PREFIX_RE.match(part):
            raise UnsafeSqlValue(f"unsafe S3 key part: {part!r}")
    if folder is not None:
        if not isinstance(folder, str) or not DELIVERY_RE.match(folder):
            raise UnsafeSqlValue(f"unsafe S3 folder name: {str(folder)[:80]!r}")
        key_parts.append(folder)
    key = "/".join(key_parts)
    return SqlFragment(f"'s3://{bucket}/{key + '/' if key else ''}'")


def string_literal(value: str, pattern: re.Pattern) -> SqlFragment:
    if not isinstance(value, str) or not pattern.match(value) or "'" in value:
        raise UnsafeSqlValue(f"value does not match {pattern.pattern}: {value!r}")
    return SqlFragment(f"'{value}'")


def column_definitions(columns: Iterable[tuple[str, str]]) -> SqlFragment:
    allowed_types = {"int", "bigint", "string", "double", "timestamp", "date"}
    lines = []
    for name, column_type in columns:
        if column_type not in allowed_types:
            raise UnsafeSqlValue(f"unsupported column type {column_type!r}")
        lines.append(f"{identifier(name, ddl=True)} {column_type}")
    return SqlFragment(",\n  ".join(lines))


_PATH_BOUND_RE = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,62}/[A-Za-z0-9!_.*()/=-]{0,1024}\Z")


def path_ranges(ranges: Iterable[tuple[str, str]], column: str = 'f."$path"') -> SqlFragment:
    """``(c >= 'low' AND c < 'high') OR ...`` over Athena's ``"$path"``: ranges Trino's Hive
    connector can prune files with. No range: TRUE (every file of the partitions)."""
    clauses = []
    for low, high in ranges:
        for bound in (low, high):
            if not isinstance(bound, str) or not _PATH_BOUND_RE.match(bound):
                raise UnsafeSqlValue(f"not an S3 object key range bound: {str(bound)[:100]!r}")
        clauses.append(f"({column} >= '{low}' AND {column} < '{high}')")
    return SqlFragment("(" + "\n    OR ".join(clauses) + ")" if clauses else "TRUE")


_HOUR_RE = re.compile(r"^(?:[01][0-9]|2[0-3])\Z")
# CUR 2.0 delivery folders (<timestamp>-<execution id>), or "overwrite" for files in the period folder
# - any name S3 can hold in one key segment, but ' and \ (no safe quoting in Athena's Hive DDL) and
# control characters; names outside the plain form reach SQL as a digest (delivery_partition_value)
DELIVERY_RE = re.compile(r"^[^/'\\\x00-\x1f\x7f]{1,1024}\Z")
_PLAIN_DELIVERY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")


def delivery_partition_value(delivery: str) -> str:
    """The CUR 2.0 table's ``delivery`` partition value for a folder: its name when plain, else a
    digest of it (the LOCATION carries the name itself, quoted)."""
    if not isinstance(delivery, str) or not DELIVERY_RE.match(delivery):
        raise UnsafeSqlValue(f"not a delivery folder name: {str(delivery)[:80]!r}")
    if _PLAIN_DELIVERY_RE.match(delivery):
        return delivery
    return "d" + hashlib.sha256(delivery.encode()).hexdigest()[:32]


OVERWRITE_DELIVERY = "overwrite"
_PARTITION_VALUE_RES = {
    "aws_account_id": ACCOUNT_RE,
    "aws_region": REGION_RE,
    "hour": _HOUR_RE,
    "year": re.compile(r"^\d{4}\Z"),
    "month": re.compile(r"^(?:[1-9]|1[0-2])\Z"),  # the legacy CUR's month is not zero-padded
    "billing_period": re.compile(r"^\d{4}-(?:0[1-9]|1[0-2])\Z"),
    "delivery": _PLAIN_DELIVERY_RE,
}


def partition_specs(specs: Iterable[tuple[dict[str, str | date], SqlFragment]]) -> SqlFragment:
    """``PARTITION (k = 'v', ...) LOCATION 's3://...'`` lines: values validated per key (accounts,
    regions, hours, dates); locations must come from :func:`s3_location`."""
    lines = []
    for values, location in specs:
        if not isinstance(location, SqlFragment):
            raise UnsafeSqlValue(f"partition location was not validated: {location!r}")
        pairs = []
        for key, value in values.items():
            if isinstance(value, date):
                pairs.append(f"{identifier(key, ddl=True)} = {date_string(value)}")
                continue
            pattern = _PARTITION_VALUE_RES.get(key)
            if pattern is None:
                raise UnsafeSqlValue(f"unknown partition key {key!r}")
            pairs.append(f"{identifier(key, ddl=True)} = {string_literal(value, pattern)}")
        lines.append(f"  PARTITION ({', '.join(pairs)}) LOCATION {location}")
    if not lines:
        raise UnsafeSqlValue("no partitions")
    return SqlFragment("\n".join(lines))


def billing_period_predicate(
    cur_format: str, *days: date, deliveries: dict[str, str] | None = None
) -> SqlFragment:
    """The CUR partitions holding ``days``: legacy ``year``/``month`` (month not zero-padded) or CUR
    2.0's ``billing_period`` - and its ``delivery`` (the latest refresh's folder, by period)."""
    periods = sorted({(d.year, d.month) for d in days if _day(d)})
    if not periods:
        raise UnsafeSqlValue("no day for a billing period")
    if cur_format == "legacy":
        clauses = [f"(\"year\" = '{year}' AND \"month\" = '{month}')" for year, month in periods]
    elif cur_format == "cur2":
        clauses = []
        for year, month in periods:
            period = f"{year}-{month:02d}"
            delivery = delivery_partition_value((deliveries or {}).get(period, OVERWRITE_DELIVERY))
            value = string_literal(delivery, _PLAIN_DELIVERY_RE)
            clauses.append(f'("billing_period" = \'{period}\' AND "delivery" = {value})')
    else:
        raise UnsafeSqlValue(f"unknown CUR format {cur_format!r}")
    return SqlFragment("(" + " OR ".join(clauses) + ")")


@cache
def template_text(name: str) -> str:
    """A template without its leading ``--`` comment lines (Athena DDL does not take comments)."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise UnsafeSqlValue(f"not a template name: {name!r}")
    lines = (TEMPLATES_DIR / f"{name}.sql").read_text().splitlines()
    while lines and (lines[0].startswith("--") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines).strip()


def template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATES_DIR.glob("*.sql"))


def placeholders(name: str) -> set[str]:
    return set(_PLACEHOLDER_RE.findall(template_text(name)))


def render(name: str, **values: SqlFragment) -> str:
    text = template_text(name)
    wanted = placeholders(name)
    missing, extra = wanted - set(values), set(values) - wanted
    if missing or extra:
        raise UnsafeSqlValue(f"template {name}: missing {sorted(missing)}, unexpected {sorted(extra)}")
    for key, value in values.items():
        if not isinstance(value, SqlFragment):
            raise UnsafeSqlValue(f"template {name}: {key} was not validated ({type(value).__name__})")
    sql = _PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], text)
    if len(sql.encode()) > ATHENA_MAX_QUERY_BYTES:
        raise UnsafeSqlValue(
            f"{name}: query is {len(sql.encode())} bytes, over Athena's {ATHENA_MAX_QUERY_BYTES}"
        )
    return sql


def next_day(value: date) -> date:
    return value + timedelta(days=1)
