"""Every Athena statement of a reconciliation day, rendered from `athena/*.sql` and the settings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, timedelta

from . import sql_render as sql
from .settings import Settings
from .timeutil import day_epoch_bounds

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


def enis_key(day: date) -> str:
    """The day's ENI table object in the results bucket."""
    return f"{ENIS_PREFIX}/date={day.isoformat()}/enis.csv"


# ---------------------------------------------------------------- tables
def flow_logs_table_name(settings: Settings) -> str:
    """`FlowLogsTable` + a hash of everything the table's definition depends on: a stack update
    that changes the format, file format, layout or location gets a new table, never a stale one
    whose positional text columns would be read as other fields."""
    definition = "|".join(
        (
            settings.flow_log_format.format_string(),
            settings.flow_logs_file_format,
            str(settings.flow_logs_hive),
            str(settings.flow_logs_per_hour),
            settings.flow_logs_bucket,
            settings.flow_logs_prefix,
        )
    )
    return f"{settings.flow_logs_table}_{hashlib.sha256(definition.encode()).hexdigest()[:10]}"


def _flow_partition_columns(settings: Settings) -> list[tuple[str, str]]:
    columns = [("aws_account_id", "string"), ("aws_region", "string"), ("date", "date")]
    return columns + ([("hour", "string")] if settings.flow_logs_per_hour else [])


def create_flow_logs_table(settings: Settings) -> str:
    template = "flow_logs_table" if settings.flow_logs_file_format == "text" else "flow_logs_table_parquet"
    return sql.render(
        template,
        table=sql.qualified(settings.database, flow_logs_table_name(settings), ddl=True),
        columns=sql.column_definitions(settings.flow_log_format.columns),
        partition_columns=sql.column_definitions(_flow_partition_columns(settings)),
        location=sql.s3_location(settings.flow_logs_bucket, *flow_logs_root(settings)),
    )


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
def add_flow_logs_partitions(
    settings: Settings, day: date, accounts_regions: Iterable[tuple[str, str]]
) -> list[str]:
    """ALTER TABLE ... ADD IF NOT EXISTS statements for the given (account, region) pairs, at most
    PARTITIONS_PER_STATEMENT partitions each."""
    specs = [
        (values, sql.s3_location(settings.flow_logs_bucket, *folder))
        for account, region in sorted(set(accounts_regions))
        for values, folder in flow_log_partitions(settings, account, region, day)
    ]
    table = sql.qualified(settings.database, flow_logs_table_name(settings), ddl=True)
    return [
        sql.render("add_partitions", table=table, partitions=sql.partition_specs(chunk))
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
    specs = []
    for period_day in cur_periods(day):
        delivery = (deliveries or {}).get(f"{period_day:%Y-%m}", sql.OVERWRITE_DELIVERY)
        values = (
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
def egress_split_possible(settings: Settings) -> bool:
    """Bytes to CloudFront and other AWS public IPs can be told apart only with pkt-dst-aws-service."""
    return "pkt-dst-aws-service" in settings.flow_log_format.fields


def flow_log_egress_query(settings: Settings, day: date) -> str:
    start, end = day_epoch_bounds(day)
    return sql.render(
        "flow_log_egress",
        flow_table=sql.qualified(settings.database, flow_logs_table_name(settings)),
        enis_table=sql.qualified(settings.database, settings.enis_table),
        traffic_paths=sql.integer_list(settings.traffic_paths),
        dst_service=(
            sql.SqlFragment(f"f.{sql.identifier('pkt_dst_aws_service')}")
            if egress_split_possible(settings)
            else sql.SqlFragment("CAST(NULL AS varchar)")
        ),
        day=sql.date_literal(day),
        next_day=sql.date_literal(sql.next_day(day)),
        start_epoch=sql.integer(start),
        end_epoch=sql.integer(end),
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
