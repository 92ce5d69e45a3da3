"""Every Athena statement of a reconciliation day, rendered from `athena/*.sql` and the settings."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta

from . import sql_render as sql
from .flowlog_format import FIELD_TYPES
from .flowlog_survey import FlowTableSpec
from .settings import Settings
from .timeutil import day_epoch_bounds

FLOW_LOG_ID_RE = re.compile(r"^fl-[0-9a-z]{1,40}\Z")
# No record can start before VPC Flow Logs existed (2015-06-10, plan.FIRST_DAY)
FLOW_LOGS_FIRST_EPOCH = int(datetime(2015, 6, 10, tzinfo=UTC).timestamp())
ENIS_PREFIX = "enis"  # the day's ENI table: s3://<results bucket>/enis/date=YYYY-MM-DD/enis.csv
# Partitions per ALTER TABLE: keeps every statement far below Athena's 262,144-byte query limit.
PARTITIONS_PER_STATEMENT = 100


# ---------------------------------------------------------------- where AWS delivers things
def flow_logs_root(settings: Settings) -> tuple[str, ...]:
    """``<prefix>/AWSLogs/``: every account and region of the bucket lives below it."""
    return (settings.flow_logs_prefix, "AWSLogs")


def flow_logs_folder(settings: Settings, account: str, region: str, day: date, hour: int | None = None):
    """A delivery folder, in the layout the flow log's DestinationOptions chose (docs/DESIGN.md §4)."""
    if settings.flow_logs_hive:
        parts = [
            f"aws-account-id={account}",
            "aws-service=vpcflowlogs",
            f"aws-region={region}",
            f"year={day:%Y}",
            f"month={day:%m}",
            f"day={day:%d}",
        ]
        if hour is not None:
            parts.append(f"hour={hour:02d}")
    else:
        parts = [account, "vpcflowlogs", region, f"{day:%Y}", f"{day:%m}", f"{day:%d}"]
        if hour is not None:
            parts.append(f"{hour:02d}")
    return (*flow_logs_root(settings), *parts)


def flow_log_partitions(settings: Settings, account: str, region: str, day: date) -> list[tuple[dict, tuple]]:
    """The partitions day D needs for one account and region: D and D+1, or with per-hour folders
    D's 24 hours and D+1's first hour (records of D delivered after midnight)."""
    following = day + timedelta(days=1)
    base = {"aws_account_id": account, "aws_region": region}
    if not settings.flow_logs_per_hour:
        return [
            ({**base, "date": d}, flow_logs_folder(settings, account, region, d)) for d in (day, following)
        ]
    hours = [(day, h) for h in range(24)] + [(following, 0)]
    return [
        ({**base, "date": d, "hour": f"{h:02d}"}, flow_logs_folder(settings, account, region, d, h))
        for d, h in hours
    ]


def cur_root(settings: Settings) -> tuple[str, ...]:
    if settings.cur_format == "legacy":  # <prefix>/<report>/<report>/
        return (settings.cur_prefix, settings.cur_report_name, settings.cur_report_name)
    return (settings.cur_prefix, settings.cur_report_name, "data")  # <prefix>/<export>/data/


def cur_period_key(settings: Settings, day: date, delivery: str | None = None) -> tuple[str, ...]:
    """The billing period's folder; for CUR 2.0 in "create new file" mode, one delivery's folder in it."""
    if settings.cur_format == "legacy":
        return (*cur_root(settings), f"year={day.year}", f"month={day.month}")
    period = (*cur_root(settings), f"BILLING_PERIOD={day:%Y-%m}")
    return (*period, delivery) if delivery and delivery != sql.OVERWRITE_DELIVERY else period


def cur_manifest_key(settings: Settings, day: date) -> str:
    """CUR 2.0 writes, after each delivery, ``metadata/BILLING_PERIOD=.../<export>-Manifest.json``
    listing that delivery's data files (dataexports-manifest.html)."""
    parts = (settings.cur_prefix, settings.cur_report_name, "metadata", f"BILLING_PERIOD={day:%Y-%m}")
    return "/".join(p for p in parts if p) + f"/{settings.cur_report_name}-Manifest.json"


def cur_periods(day: date) -> list[date]:
    """The billing periods a night reads: D's, and D+1's when D is the last day of a month."""
    return sorted({day.replace(day=1), sql.next_day(day).replace(day=1)})


# The results as a table in Athena (template.yaml: ResultsHistoryTable, partition projection on
# `date` over this prefix): one object per day, one ALB-day per line, replaced by a re-run.
RESULTS_HISTORY_PREFIX = "history"


def results_history_key(day: date) -> str:
    return f"{RESULTS_HISTORY_PREFIX}/date={day.isoformat()}/results.json.gz"


def enis_key(day: date) -> str:
    """The day's ENI table object in the results bucket."""
    return f"{ENIS_PREFIX}/date={day.isoformat()}/enis.csv"


# ---------------------------------------------------------------- tables
def default_flow_table(settings: Settings) -> FlowTableSpec:
    """The table FlowLogFormat describes: the format of files without a header line, and of
    Parquet files (columns read by name: every known field, so any format's files fit)."""
    if settings.flow_logs_file_format == "parquet":
        return FlowTableSpec(fields=tuple(FIELD_TYPES), header=False)
    return FlowTableSpec(fields=settings.flow_log_format.fields, header=True)


def flow_logs_table_name(settings: Settings, table: FlowTableSpec | None = None) -> str:
    """`FlowLogsTable` + a hash of everything the table's definition depends on: another format,
    file format, layout or location gets another table, never a stale one whose positional text
    columns would be read as other fields."""
    table = table or default_flow_table(settings)
    definition = "|".join(
        (
            table.format.format_string(),
            settings.flow_logs_file_format,
            str(settings.flow_logs_hive),
            str(settings.flow_logs_per_hour),
            settings.flow_logs_bucket,
            settings.flow_logs_prefix,
        )
        + (() if table.header else ("no header line",))
    )
    return f"{settings.flow_logs_table}_{hashlib.sha256(definition.encode()).hexdigest()[:10]}"


def _flow_partition_columns(settings: Settings) -> list[tuple[str, str]]:
    columns = [("aws_account_id", "string"), ("aws_region", "string"), ("date", "date")]
    return columns + ([("hour", "string")] if settings.flow_logs_per_hour else [])


def create_flow_logs_table(settings: Settings, table: FlowTableSpec | None = None) -> str:
    table = table or default_flow_table(settings)
    values = {
        "table": sql.qualified(settings.database, flow_logs_table_name(settings, table), ddl=True),
        "columns": sql.column_definitions(table.format.columns),
        "partition_columns": sql.column_definitions(_flow_partition_columns(settings)),
        "location": sql.s3_location(settings.flow_logs_bucket, *flow_logs_root(settings)),
    }
    if settings.flow_logs_file_format == "parquet":
        return sql.render("flow_logs_table_parquet", **values)
    return sql.render("flow_logs_table", header_lines=sql.integer(1 if table.header else 0), **values)


def cur_table_name(settings: Settings) -> str:
    """`CurTable` + a hash of its definition: changing CurFormat or the report's location on a stack
    update makes a new table (other partition keys, other columns), never a stale one. The version
    changes with athena/cur_table.sql's columns (v3: identity_time_interval)."""
    definition = "|".join(
        ("v3", settings.cur_format, settings.cur_bucket, settings.cur_prefix, settings.cur_report_name)
    )
    return f"{settings.cur_table}_{hashlib.sha256(definition.encode()).hexdigest()[:10]}"


def create_cur_table(settings: Settings) -> str:
    partitions = (
        [("year", "string"), ("month", "string")]
        if settings.cur_format == "legacy"
        else [("billing_period", "string"), ("delivery", "string")]  # delivery: one refresh's folder
    )
    return sql.render(
        "cur_table",
        table=sql.qualified(settings.database, cur_table_name(settings), ddl=True),
        partition_columns=sql.column_definitions(partitions),
        region_column=sql.identifier(
            "product_region" if settings.cur_format == "legacy" else "product_region_code", ddl=True
        ),
        location=sql.s3_location(settings.cur_bucket, *cur_root(settings)),
    )


def create_enis_table(settings: Settings) -> str:
    return sql.render(
        "enis_table",
        table=sql.qualified(settings.database, settings.enis_table, ddl=True),
        location=sql.s3_location(settings.results_bucket, ENIS_PREFIX),
    )


def cur_status_table_name(settings: Settings) -> str:
    return f"{cur_table_name(settings)}_status"


def create_cur_status_table(settings: Settings) -> str:
    """The legacy CUR's status table (CUR 2.0 has none: an empty table, never read)."""
    return sql.render(
        "cur_status_table",
        table=sql.qualified(settings.database, cur_status_table_name(settings), ddl=True),
        location=sql.s3_location(
            settings.cur_bucket, settings.cur_prefix, settings.cur_report_name, "cost_and_usage_data_status"
        ),
    )


def cur_status_query(settings: Settings) -> str:
    if settings.cur_format == "cur2":
        return sql.render("cur_status_cur2")
    return sql.render("cur_status", table=sql.qualified(settings.database, cur_status_table_name(settings)))


# ---------------------------------------------------------------- partitions
def partition_groups(
    settings: Settings, accounts_regions: Iterable[tuple[str, str]]
) -> list[list[list[str]]]:
    """The day's (account, region) pairs in groups whose partitions (flow_log_partitions: 2 a pair,
    or 25 with per-hour folders) fit one ALTER TABLE statement each."""
    pairs = [list(p) for p in sorted(set(accounts_regions))]
    per_pair = len(flow_log_partitions(settings, "000000000000", "us-east-1", date(2026, 1, 1)))
    per_group = max(1, PARTITIONS_PER_STATEMENT // per_pair)
    return [pairs[i : i + per_group] for i in range(0, len(pairs), per_group)]


def add_flow_logs_partitions(
    settings: Settings,
    day: date,
    accounts_regions: Iterable[tuple[str, str]],
    table: FlowTableSpec | None = None,
) -> list[str]:
    """ALTER TABLE ... ADD IF NOT EXISTS statements for the given (account, region) pairs, at most
    PARTITIONS_PER_STATEMENT partitions each."""
    specs = [
        (values, sql.s3_location(settings.flow_logs_bucket, *folder))
        for account, region in sorted(set(accounts_regions))
        for values, folder in flow_log_partitions(settings, account, region, day)
    ]
    name = sql.qualified(settings.database, flow_logs_table_name(settings, table), ddl=True)
    return [
        sql.render("add_partitions", table=name, partitions=sql.partition_specs(chunk))
        for chunk in (
            specs[i : i + PARTITIONS_PER_STATEMENT] for i in range(0, len(specs), PARTITIONS_PER_STATEMENT)
        )
    ]


def add_enis_partition(settings: Settings, day: date) -> str:
    return sql.render(
        "enis_partition",
        table=sql.qualified(settings.database, settings.enis_table, ddl=True),
        day=sql.date_string(day),
        location=sql.s3_location(settings.results_bucket, ENIS_PREFIX, f"date={day.isoformat()}"),
    )


def add_cur_partition(settings: Settings, day: date, deliveries: dict[str, str] | None = None) -> str:
    """D's billing period, and D+1's when D is the last day of a month: whether D is complete shows
    in the usage lines of the day after (docs/DESIGN.md §3, freshness). CUR 2.0: the latest delivery only."""
    specs: list[tuple[dict[str, str | date], sql.SqlFragment]] = []
    for period_day in cur_periods(day):
        delivery = (deliveries or {}).get(f"{period_day:%Y-%m}", sql.OVERWRITE_DELIVERY)
        values: dict[str, str | date] = (
            {"year": str(period_day.year), "month": str(period_day.month)}
            if settings.cur_format == "legacy"
            else {"billing_period": f"{period_day:%Y-%m}", "delivery": sql.delivery_partition_value(delivery)}
        )
        if settings.cur_format == "cur2" and delivery != sql.OVERWRITE_DELIVERY:
            location = sql.s3_location(
                settings.cur_bucket, *cur_period_key(settings, period_day), folder=delivery
            )
        else:
            location = sql.s3_location(settings.cur_bucket, *cur_period_key(settings, period_day, delivery))
        specs.append((values, location))
    return sql.render(
        "add_partitions",
        table=sql.qualified(settings.database, cur_table_name(settings), ddl=True),
        partitions=sql.partition_specs(specs),
    )


# ---------------------------------------------------------------- queries
def egress_split_possible(settings: Settings, tables: Iterable[FlowTableSpec] | None = None) -> bool:
    """Bytes to CloudFront and other AWS public IPs can be told apart only with pkt-dst-aws-service
    (in every format the night reads)."""
    specs = list(tables) if tables is not None else [default_flow_table(settings)]
    return all("pkt-dst-aws-service" in t.fields for t in specs)


# Bounds of a record that can be real (docs/DESIGN.md §3, damage): no IP packet is larger than
# 65,535 bytes (the 16-bit length field, RFC 791 / RFC 8200 without jumbograms), and no EC2 network
# interface moves more than 3,200 Gbit/s (400 GB/s, the largest instance bandwidth EC2 offers)
# over the record's interval plus a minute.
MAX_PACKET_BYTES = 65_535
MAX_INTERFACE_BYTES_PER_SECOND = 400_000_000_000


def _record_bounds(fields: tuple[str, ...]) -> sql.SqlFragment:
    bounds = []
    if "packets" in fields:
        bounds.append(
            "AND f.packets >= 0 AND CAST(f.bytes AS double) <= "
            f"CAST(f.packets AS double) * {MAX_PACKET_BYTES}"
        )
    if "end" in fields:
        bounds.append(
            'AND f."end" >= f."start" AND CAST(f.bytes AS double) <= '
            f'(CAST(f."end" AS double) - f."start" + 60) * {MAX_INTERFACE_BYTES_PER_SECOND}'
        )
    return sql.SqlFragment("\n      ".join(bounds))


# Beyond this many "$path" ranges the query reads D+1's folders whole: a range is ~250 bytes and
# the query travels in the execution's state (256 KiB with everything else), so ~50 KB at most.
MAX_PATH_RANGES = 200
# D+1's files stamped before this hour can hold records that start in D: a file's stamp is about
# its records' end (flow-logs-s3-path.html), and a record spans at most the 10-minute aggregation
# interval (flow-log-records.html); an hour is the per-hour layout's bound too (D+1's first hour).
NEXT_DAY_FILES_BEFORE_HOUR = 1


def next_day_file_ranges(
    settings: Settings, day: date, flow_logs: Mapping[tuple[str, str], Iterable[str]]
) -> list[tuple[str, str]] | None:
    """``"$path"`` ranges of the files a daily-folder night reads: all of D's folder, and of D+1's
    each flow log's files stamped before NEXT_DAY_FILES_BEFORE_HOUR (file names sort by flow log,
    then time). None: read the partitions whole (per-hour folders already bound D+1 to its first
    hour; too many flow logs). ``flow_logs``: (account, region) -> the flow-log ids in D's folder
    ("" for files not named by AWS: D+1's folder is read whole there)."""
    if settings.flow_logs_per_hour:
        return None
    following = day + timedelta(days=1)
    stamp = f"{following:%Y%m%d}T{NEXT_DAY_FILES_BEFORE_HOUR:02d}00Z"
    ranges = []
    for (account, region), ids in sorted(flow_logs.items()):
        today = _uri(settings, flow_logs_folder(settings, account, region, day))
        ranges.append((today, today[:-1] + "0"))  # every key under ".../DD/" sorts below ".../DD0"
        tomorrow = _uri(settings, flow_logs_folder(settings, account, region, following))
        if any(not i for i in ids):
            ranges.append((tomorrow, tomorrow[:-1] + "0"))
            continue
        for flow_log in sorted(set(ids)):
            if not FLOW_LOG_ID_RE.match(flow_log):
                raise sql.UnsafeSqlValue(f"not a flow log id: {flow_log[:60]!r}")
            owner = f"{tomorrow}{account}_vpcflowlogs_{region}_{flow_log}_"
            ranges.append((owner, owner + stamp))
    return ranges if len(ranges) <= MAX_PATH_RANGES else None


def _uri(settings: Settings, parts: tuple[str, ...]) -> str:
    return str(sql.s3_location(settings.flow_logs_bucket, *parts)).strip("'")


def _flow_records(
    settings: Settings,
    day: date,
    table: FlowTableSpec,
    excluded_flow_logs: Iterable[str],
    file_ranges: list[tuple[str, str]] | None = None,
) -> str:
    start, end = day_epoch_bounds(day)
    excluded = sorted(set(excluded_flow_logs))
    other_formats = (
        sql.SqlFragment(
            'AND COALESCE(NULLIF(regexp_extract(f."$path", '
            "'_(fl-[0-9a-z]+)_[0-9]{8}T[0-9]{4}Z_[0-9a-z]+[.]log[.]', 1), ''), '') NOT IN ("
            + ", ".join(sql.string_literal(i, FLOW_LOG_ID_RE) if i else "''" for i in excluded)
            + ")"
        )
        if excluded
        else sql.SqlFragment("")
    )
    return sql.render(
        "flow_log_records",
        flow_table=sql.qualified(settings.database, flow_logs_table_name(settings, table)),
        traffic_paths=sql.integer_list(settings.traffic_paths),
        dst_service=(
            sql.SqlFragment(f"f.{sql.identifier('pkt_dst_aws_service')}")
            if "pkt-dst-aws-service" in table.fields
            else sql.SqlFragment("CAST(NULL AS varchar)")
        ),
        record_bounds=_record_bounds(table.fields),
        first_epoch=sql.integer(FLOW_LOGS_FIRST_EPOCH),
        last_epoch=sql.integer(end + 86_400 - 1),
        day=sql.date_literal(day),
        next_day=sql.date_literal(sql.next_day(day)),
        start_epoch=sql.integer(start),
        end_epoch=sql.integer(end),
        other_formats=other_formats,
        files=sql.path_ranges(file_ranges or ()),
    )


def flow_log_egress_query(
    settings: Settings,
    day: date,
    tables: Mapping[FlowTableSpec, Iterable[str]] | None = None,
    file_ranges: Mapping[FlowTableSpec, list[tuple[str, str]] | None] | None = None,
) -> str:
    """The egress query over every format's table: ``tables`` maps each table to the flow logs of
    other formats whose files share its folders (left to their own table), ``file_ranges`` each
    table to the files it reads (next_day_file_ranges; none: its partitions whole). Default:
    FlowLogFormat's table."""
    tables = tables if tables is not None else {default_flow_table(settings): ()}
    if not tables:
        raise ValueError("no flow-log table to read")
    branches = [
        _flow_records(settings, day, t, excluded, (file_ranges or {}).get(t))
        for t, excluded in tables.items()
    ]
    return sql.render(
        "flow_log_egress",
        records=sql.SqlFragment("\nUNION ALL\n".join(branches)),
        enis_table=sql.qualified(settings.database, settings.enis_table),
        day=sql.date_literal(day),
    )


def cur_usage_query(settings: Settings, day: date, deliveries: dict[str, str] | None = None) -> str:
    return sql.render(
        "cur_usage",
        table=sql.qualified(settings.database, cur_table_name(settings)),
        billing_period=sql.billing_period_predicate(settings.cur_format, day, deliveries=deliveries),
        day_start=sql.day_start_timestamp(day),
        day_end=sql.day_start_timestamp(sql.next_day(day)),
    )


def cur_freshness_query(settings: Settings, day: date, deliveries: dict[str, str] | None = None) -> str:
    return sql.render(
        "cur_freshness",
        table=sql.qualified(settings.database, cur_table_name(settings)),
        billing_period=sql.billing_period_predicate(
            settings.cur_format, day, sql.next_day(day), deliveries=deliveries
        ),
    )
