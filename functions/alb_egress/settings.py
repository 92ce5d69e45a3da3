"""The system's configuration: the template's parameters, validated once, used everywhere.

One vocabulary (docs/DESIGN.md §4): SAM parameters, Lambda environment variables, the local runner's
parameters.json and the CLI all use these names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .flowlog_format import ALL_FIELDS_FORMAT, FlowLogFormat
from .identity import ACCOUNT_RE, REGION_RE, InvalidIdentifier, Scope

BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
# S3 key prefixes: AWS's "safe characters", minus the quote. No leading/trailing slash.
PREFIX_RE = re.compile(r"^(?:[A-Za-z0-9!_.*()=-]+(?:/[A-Za-z0-9!_.*()=-]+)*)?\Z")
OPTIONAL_BUCKET_RE = re.compile(r"^(?:[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])?\Z")
ROLE_NAME_RE = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}\Z")
REPORT_NAME_RE = re.compile(r"^[0-9A-Za-z!_.*()-]{1,256}\Z")
# A decimal as JSON writes one (no ".5", "1.", "1e3", "+1"): the template's AllowedPattern, since
# the value is also pasted into the dashboard's JSON body.
DECIMAL_RE = re.compile(r"^(?:0|[1-9][0-9]{0,9})(?:\.[0-9]{1,9})?\Z")
IDENTIFIER_RE = re.compile(r"^[a-z_][a-z0-9_]{0,127}\Z")

DEFAULTS: dict[str, str] = {
    "FlowLogsPrefix": "",
    "FlowLogFormat": ALL_FIELDS_FORMAT,
    "FlowLogsFileFormat": "text",
    "CurPrefix": "",
    "CurFormat": "legacy",
    "LoadBalancerNames": "*",
    "Accounts": "",
    "Regions": "",
    "FlowLogsHiveCompatiblePartitions": "false",
    "FlowLogsPerHourPartition": "false",
    "TrafficPaths": "2,8",
    "TolerancePercent": "1.0",
    "MinDeltaGB": "0.01",
    "MinImpactUSD": "0",
    "ReconcileLagDays": "2",
    "AthenaDatabase": "alb_egress_reconciliation",
    "FlowLogsTable": "vpc_flow_logs",
    "CurTable": "cost_and_usage",
    "EnisTable": "alb_enis_of_day",
    "ResultsBucket": "",
    "MemberDiscoveryRoleName": "albrecon-member-discovery",
}
REQUIRED = ("FlowLogsBucket", "CurBucket", "CurReportName", "AccountId", "Region")


class InvalidSettings(ValueError):
    """A configuration value is missing or not acceptable."""


@dataclass(frozen=True, slots=True)
class Settings:
    account_id: str
    region: str
    flow_logs_bucket: str
    flow_logs_prefix: str
    flow_log_format: FlowLogFormat
    flow_logs_file_format: str  # "text" or "parquet"
    flow_logs_hive: bool  # FlowLogsHiveCompatiblePartitions: aws-account-id=/aws-region=/year=/... folders
    flow_logs_per_hour: bool  # FlowLogsPerHourPartition: one more folder level per hour
    cur_bucket: str
    cur_prefix: str
    cur_report_name: str
    cur_format: str  # "legacy" or "cur2"
    scope: Scope
    traffic_paths: tuple[int, ...]
    tolerance_percent: float
    min_delta_gb: float
    min_impact_usd: float
    reconcile_lag_days: int
    database: str
    flow_logs_table: str
    cur_table: str
    enis_table: str
    results_bucket: str  # where the day's ENI table and results objects go ("" outside a stack)
    member_discovery_role_name: str  # the member stack's read-only role, assumed by discovery

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> Settings:
        """From parameter-named values (Lambda environment, parameters.json)."""
        merged = {**DEFAULTS, **{k: v for k, v in values.items() if v is not None}}
        missing = [name for name in REQUIRED if not str(merged.get(name, "")).strip()]
        if missing:
            raise InvalidSettings("missing configuration: " + ", ".join(missing))
        try:
            return cls(
                account_id=_match(ACCOUNT_RE, "AccountId", merged["AccountId"]),
                region=_match(REGION_RE, "Region", merged["Region"]),
                flow_logs_bucket=_match(BUCKET_RE, "FlowLogsBucket", merged["FlowLogsBucket"]),
                flow_logs_prefix=_match(PREFIX_RE, "FlowLogsPrefix", merged["FlowLogsPrefix"].strip("/")),
                flow_log_format=FlowLogFormat.parse(merged["FlowLogFormat"]),
                flow_logs_file_format=_choice(
                    "FlowLogsFileFormat", merged["FlowLogsFileFormat"], ("text", "parquet")
                ),
                flow_logs_hive=_flag(
                    "FlowLogsHiveCompatiblePartitions", merged["FlowLogsHiveCompatiblePartitions"]
                ),
                flow_logs_per_hour=_flag("FlowLogsPerHourPartition", merged["FlowLogsPerHourPartition"]),
                cur_bucket=_match(BUCKET_RE, "CurBucket", merged["CurBucket"]),
                cur_prefix=_match(PREFIX_RE, "CurPrefix", merged["CurPrefix"].strip("/")),
                cur_report_name=_match(REPORT_NAME_RE, "CurReportName", merged["CurReportName"]),
                cur_format=_choice("CurFormat", merged["CurFormat"], ("legacy", "cur2")),
                scope=Scope.parse(
                    merged["Accounts"],
                    merged["Regions"],
                    merged["LoadBalancerNames"],
                    own_account=merged["AccountId"],
                    own_region=merged["Region"],
                ),
                traffic_paths=_traffic_paths(merged["TrafficPaths"]),
                tolerance_percent=_number("TolerancePercent", merged["TolerancePercent"], 0, 100),
                min_delta_gb=_number("MinDeltaGB", merged["MinDeltaGB"], 0, 1e9),
                min_impact_usd=_number("MinImpactUSD", merged["MinImpactUSD"], 0, 1e10),
                reconcile_lag_days=int(
                    _number("ReconcileLagDays", merged["ReconcileLagDays"], 0, 60, integer=True)
                ),
                database=_match(IDENTIFIER_RE, "AthenaDatabase", merged["AthenaDatabase"]),
                flow_logs_table=_match(IDENTIFIER_RE, "FlowLogsTable", merged["FlowLogsTable"]),
                cur_table=_match(IDENTIFIER_RE, "CurTable", merged["CurTable"]),
                enis_table=_match(IDENTIFIER_RE, "EnisTable", merged["EnisTable"]),
                results_bucket=_match(OPTIONAL_BUCKET_RE, "ResultsBucket", merged["ResultsBucket"]),
                member_discovery_role_name=_match(
                    ROLE_NAME_RE, "MemberDiscoveryRoleName", merged["MemberDiscoveryRoleName"]
                ),
            )
        except InvalidIdentifier as problem:
            raise InvalidSettings(str(problem)) from None


def settings_from_environment(environ: Mapping[str, str]) -> Settings:
    """In Lambda: the parameter-named variables, the stack's AccountId and the function's region."""
    return Settings.from_mapping({**environ, "Region": environ.get("AWS_REGION", "")})


def _match(pattern: re.Pattern, name: str, value: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise InvalidSettings(f"{name} is not valid: {str(value)[:80]!r}")
    return value


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidSettings(f"{name} must be one of {', '.join(allowed)}, got {str(value)[:40]!r}")
    return value


def _flag(name: str, value: str) -> bool:
    return _choice(name, str(value).strip().lower(), ("true", "false")) == "true"


def _number(name: str, value: str, low: float, high: float, integer: bool = False) -> float:
    if not integer and not DECIMAL_RE.match(str(value)):
        raise InvalidSettings(f"{name} must be a decimal such as 1.0 or 0.5, got {str(value)[:40]!r}")
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise InvalidSettings(f"{name} must be a number, got {str(value)[:40]!r}") from None
    if not low <= number <= high:
        raise InvalidSettings(f"{name} must be between {low} and {high}, got {number}")
    return number


def _traffic_paths(text: str) -> tuple[int, ...]:
    try:
        paths = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise InvalidSettings(f"TrafficPaths must be comma-separated integers, got {text[:40]!r}") from None
    if not paths or any(not 1 <= p <= 8 for p in paths):
        raise InvalidSettings(f"TrafficPaths must be flow-log traffic-path values 1..8, got {text[:40]!r}")
    return paths
