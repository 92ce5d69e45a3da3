"""Every Athena statement of a reconciliation day, rendered from `athena/*.sql` and the settings."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from . import sql_render as sql
from .settings import Settings
from .timeutil import day_epoch_bounds

_YEAR_RE = re.compile(r"^\d{4}$")
_MONTH_RE = re.compile(r"^(?:[1-9]|1[0-2])$")
_PERIOD_RE = re.compile(r"^\d{4}-(?:0[1-9]|1[0-2])$")


def flow_logs_root(settings: Settings) -> tuple[str, ...]:
    """Key parts of `<prefix>/AWSLogs/<account>/vpcflowlogs/<region>/`."""
    return (settings.flow_logs_prefix, "AWSLogs", settings.account_id, "vpcflowlogs", settings.region)


def flow_logs_day_key(settings: Settings, day: date) -> tuple[str, ...]:
    return (*flow_logs_root(settings), f"{day:%Y}", f"{day:%m}", f"{day:%d}")


def cur_root(settings: Settings) -> tuple[str, ...]:
    if settings.cur_format == "legacy":  # <prefix>/<report>/<report>/
        return (settings.cur_prefix, settings.cur_report_name, settings.cur_report_name)
    return (settings.cur_prefix, settings.cur_report_name, "data")  # <prefix>/<export>/data/


def cur_period_key(settings: Settings, day: date) -> tuple[str, ...]:
    if settings.cur_format == "legacy":
        return (*cur_root(settings), f"year={day.year}", f"month={day.month}")
    return (*cur_root(settings), f"BILLING_PERIOD={day:%Y-%m}")


def create_flow_logs_table(settings: Settings) -> str:
    template = "flow_logs_table" if settings.flow_logs_file_format == "text" else "flow_logs_table_parquet"
    return sql.render(
        template,
        table=sql.qualified(settings.database, settings.flow_logs_table, ddl=True),
        columns=sql.column_definitions(settings.flow_log_format.columns),
        location=sql.s3_location(settings.flow_logs_bucket, *flow_logs_root(settings)),
    )


def create_cur_table(settings: Settings) -> str:
    partitions = (
        [("year", "string"), ("month", "string")]
        if settings.cur_format == "legacy"
        else [("billing_period", "string")]
    )
    return sql.render(
        "cur_table",
        table=sql.qualified(settings.database, settings.cur_table, ddl=True),
        partition_columns=sql.column_definitions(partitions),
        location=sql.s3_location(settings.cur_bucket, *cur_root(settings)),
    )


def add_flow_logs_partitions(settings: Settings, day: date) -> str:
    following = sql.next_day(day)
    return sql.render(
        "flow_logs_partitions",
        table=sql.qualified(settings.database, settings.flow_logs_table, ddl=True),
        day=sql.date_string(day),
        day_location=sql.s3_location(settings.flow_logs_bucket, *flow_logs_day_key(settings, day)),
        next_day=sql.date_string(following),
        next_day_location=sql.s3_location(settings.flow_logs_bucket, *flow_logs_day_key(settings, following)),
    )


def add_cur_partition(settings: Settings, day: date) -> str:
    table = sql.qualified(settings.database, settings.cur_table, ddl=True)
    location = sql.s3_location(settings.cur_bucket, *cur_period_key(settings, day))
    if settings.cur_format == "legacy":
        return sql.render(
            "cur_partition_legacy",
            table=table,
            year=sql.string_literal(str(day.year), _YEAR_RE),
            month=sql.string_literal(str(day.month), _MONTH_RE),
            location=location,
        )
    return sql.render(
        "cur_partition_cur2",
        table=table,
        billing_period=sql.string_literal(f"{day:%Y-%m}", _PERIOD_RE),
        location=location,
    )


def flow_log_egress_query(settings: Settings, day: date, eni_ids: Iterable[str]) -> str:
    start, end = day_epoch_bounds(day)
    return sql.render(
        "flow_log_egress",
        table=sql.qualified(settings.database, settings.flow_logs_table),
        traffic_paths=sql.integer_list(settings.traffic_paths),
        day=sql.date_literal(day),
        next_day=sql.date_literal(sql.next_day(day)),
        eni_ids=sql.eni_list(eni_ids),
        start_epoch=sql.integer(start),
        end_epoch=sql.integer(end),
    )


def cur_usage_query(settings: Settings, day: date) -> str:
    return sql.render(
        "cur_usage",
        table=sql.qualified(settings.database, settings.cur_table),
        billing_period=sql.billing_period_predicate(settings.cur_format, day),
        day_start=sql.day_start_timestamp(day),
        day_end=sql.day_start_timestamp(sql.next_day(day)),
    )


def cur_freshness_query(settings: Settings, day: date) -> str:
    return sql.render(
        "cur_freshness",
        table=sql.qualified(settings.database, settings.cur_table),
        billing_period=sql.billing_period_predicate(settings.cur_format, day),
    )
