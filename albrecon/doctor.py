"""`albrecon doctor`: the deployment mistakes that make a night's answer wrong, found before the night.

Read-only. Against a deployed stack it checks, with the stack's own parameters: every watched ALB's
VPC or subnets have an active flow log to the configured bucket/prefix, in the configured format
and layout; a CloudTrail trail records management events in each in-scope region; the CUR (legacy
report definition or CUR 2.0 export) is Parquet with resource ids at the configured location; the
nightly schedule is enabled; the alert topic has a confirmed subscription. With ``--data DIR`` it
runs the data-side checks over a local data directory. Each failure says how to fix it.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from alb_egress import statements
from alb_egress.diagnosis import CUR_REQUIRED_COLUMNS, DAMAGED_SHARE_LIMIT
from alb_egress.flowlog_format import FlowLogFormat
from alb_egress.flowlog_survey import parse_file_name, read_header
from alb_egress.settings import InvalidSettings, Settings

Clients = Callable[[str], Any]  # service name -> boto3 client (the stack's session, or a test's)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        mark = "✓" if self.ok else "✗"
        out = [f"{mark} {self.name}: {self.detail}"]
        if not self.ok and self.fix:
            out.append(f"    fix: {self.fix}")
        return out


def report(checks: list[Check]) -> str:
    failed = sum(1 for c in checks if not c.ok)
    lines = [line for check in checks for line in check.lines()]
    lines += [
        "",
        f"{len(checks) - failed} of {len(checks)} checks pass" + (f", {failed} fail" if failed else ""),
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- a deployed stack
def stack_settings(parameters: dict[str, str], account: str, region: str) -> Settings:
    return Settings.from_mapping({**parameters, "AccountId": account, "Region": region})


def stack_checks(
    parameters: dict[str, str], outputs: dict[str, str], account: str, region: str, clients: Clients
) -> list[Check]:
    settings = stack_settings(parameters, account, region)
    regions = sorted(settings.scope.regions) if settings.scope.regions is not None else [region]
    checks: list[Check] = []
    for name in regions:
        checks += flow_log_checks(settings, clients("ec2", name), clients("elbv2", name), name)
    checks.append(trail_check(clients("cloudtrail", region), regions))
    checks.append(cur_check(settings, clients))
    checks.append(schedule_check(clients("scheduler", region), outputs["StateMachineArn"]))
    checks.append(subscription_check(clients("sns", region), outputs["AlertTopicArn"]))
    return checks


def _pages(client, operation: str, key: str, **arguments) -> list[dict]:
    items = []
    for page in client.get_paginator(operation).paginate(**arguments):
        items.extend(page.get(key, []))
    return items


def _destination(settings: Settings) -> str:
    return f"arn:aws:s3:::{settings.flow_logs_bucket}" + (
        f"/{settings.flow_logs_prefix}" if settings.flow_logs_prefix else ""
    )


def flow_log_checks(settings: Settings, ec2, elbv2, region: str) -> list[Check]:
    """Every watched ALB of the stack's account in ``region`` is covered by an active flow log to
    the configured destination (on its VPC or on each of its subnets), in FlowLogFormat and layout."""
    albs = [
        lb
        for lb in _pages(elbv2, "describe_load_balancers", "LoadBalancers")
        if lb.get("Type") == "application" and settings.scope.covers(lb["LoadBalancerArn"])
    ]
    if not albs:
        return [Check(f"flow logs ({region})", True, "no watched ALB in this region")]
    wanted = _destination(settings).rstrip("/")
    logs = [
        f
        for f in ec2.describe_flow_logs()["FlowLogs"]
        if f.get("LogDestinationType") == "s3"
        and f.get("FlowLogStatus") == "ACTIVE"
        and (f.get("LogDestination") or "").rstrip("/") == wanted
    ]
    by_resource = {f["ResourceId"]: f for f in logs}
    checks = []
    uncovered = []
    used = {}
    for lb in albs:
        subnets = [z["SubnetId"] for z in lb.get("AvailabilityZones", []) if z.get("SubnetId")]
        covering = (
            [by_resource[lb["VpcId"]]]
            if lb.get("VpcId") in by_resource
            else [by_resource[s] for s in subnets if s in by_resource]
        )
        if lb.get("VpcId") not in by_resource and len(covering) < len(subnets):
            uncovered.append(f"{lb['LoadBalancerName']} ({lb.get('VpcId')})")
        used.update({f["FlowLogId"]: f for f in covering})
    checks.append(
        Check(
            f"flow logs cover the watched ALBs ({region})",
            not uncovered,
            f"{len(albs) - len(uncovered)} of {len(albs)} ALBs covered by a flow log to {wanted}"
            + (f"; not covered: {', '.join(uncovered[:10])}" if uncovered else ""),
            "aws ec2 create-flow-logs --resource-type VPC --resource-ids <vpc> --traffic-type ALL "
            f"--log-destination-type s3 --log-destination {wanted} "
            f"--log-format '{settings.flow_log_format.format_string()}'",
        )
    )
    configured = settings.flow_log_format.fields
    for flow_log in used.values():
        fields = tuple(re.findall(r"\$\{([a-z0-9-]+)\}", flow_log.get("LogFormat") or ""))
        checks.append(
            Check(
                f"flow log {flow_log['FlowLogId']} format",
                fields == configured,
                "its format is FlowLogFormat"
                if fields == configured
                else f"its format is {flow_log.get('LogFormat')!r}",
                "set FlowLogFormat to the flow log's LogFormat exactly (the fields and their order)",
            )
        )
        options = flow_log.get("DestinationOptions")
        if options:  # AWS reports them; where it does not, the layout cannot be compared
            layout_ok = (
                bool(options.get("HiveCompatiblePartitions")) == settings.flow_logs_hive
                and bool(options.get("PerHourPartition")) == settings.flow_logs_per_hour
                and (options.get("FileFormat", "plain-text") == "parquet")
                == (settings.flow_logs_file_format == "parquet")
            )
            checks.append(
                Check(
                    f"flow log {flow_log['FlowLogId']} layout",
                    layout_ok,
                    f"DestinationOptions {options}",
                    "set FlowLogsHiveCompatiblePartitions, FlowLogsPerHourPartition and FlowLogsFileFormat "
                    "to the flow log's DestinationOptions",
                )
            )
    return checks


def _records_management_events(cloudtrail, trail: dict) -> bool:
    selectors = cloudtrail.get_event_selectors(TrailName=trail["TrailARN"])
    for selector in selectors.get("EventSelectors") or []:
        if selector.get("IncludeManagementEvents", True) and selector.get("ReadWriteType", "All") in (
            "All",
            "WriteOnly",
        ):
            return True
    for selector in selectors.get("AdvancedEventSelectors") or []:
        for field in selector.get("FieldSelectors", []):
            if field.get("Field") == "eventCategory" and "Management" in field.get("Equals", []):
                return True
    return False


def trail_check(cloudtrail, regions: list[str]) -> Check:
    """EventBridge only gets "AWS API Call via CloudTrail" events a trail records."""
    covered = set()
    for trail in cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", []):
        if not cloudtrail.get_trail_status(Name=trail["TrailARN"]).get("IsLogging"):
            continue
        if not _records_management_events(cloudtrail, trail):
            continue
        covered |= set(regions) if trail.get("IsMultiRegionTrail") else {trail.get("HomeRegion")}
    missing = [r for r in regions if r not in covered]
    return Check(
        "CloudTrail records management events",
        not missing,
        "a logging trail records write management events in " + ", ".join(regions)
        if not missing
        else f"no logging trail with write management events in {', '.join(missing)}",
        "aws cloudtrail create-trail --name org-trail --s3-bucket-name <bucket> --is-multi-region-trail "
        "&& aws cloudtrail start-logging --name org-trail",
    )


def cur_check(settings: Settings, clients: Clients) -> Check:
    if settings.cur_format == "legacy":
        reports = _pages(clients("cur", "us-east-1"), "describe_report_definitions", "ReportDefinitions")
        report_ = next((r for r in reports if r["ReportName"] == settings.cur_report_name), None)
        if report_ is None:
            return Check(
                "CUR", False, f"no report definition named {settings.cur_report_name}", "check CurReportName"
            )
        problems = []
        if report_.get("Format") != "Parquet":
            problems.append(f"format {report_.get('Format')}, not Parquet")
        if "RESOURCES" not in report_.get("AdditionalSchemaElements", []):
            problems.append("no resource ids")
        if report_.get("TimeUnit") not in ("HOURLY", "DAILY"):
            problems.append(
                f"time unit {report_.get('TimeUnit')} (per-day reconciliation needs HOURLY or DAILY)"
            )
        problems += _location_problems(settings, report_.get("S3Bucket"), report_.get("S3Prefix"))
        return _cur_result(
            "CUR",
            f"report {settings.cur_report_name}",
            problems,
            'a report with "Include resource IDs", hourly or daily, Parquet (Athena integration), '
            "delivered to CurBucket/CurPrefix",
        )
    exports_client = clients("bcm-data-exports", "us-east-1")
    summaries = _pages(exports_client, "list_exports", "Exports")
    summary = next((e for e in summaries if e.get("ExportName") == settings.cur_report_name), None)
    if summary is None:
        return Check("CUR 2.0", False, f"no export named {settings.cur_report_name}", "check CurReportName")
    export = exports_client.get_export(ExportArn=summary["ExportArn"])["Export"]
    problems = []
    table = export.get("DataQuery", {}).get("TableConfigurations", {}).get("COST_AND_USAGE_REPORT", {})
    if str(table.get("INCLUDE_RESOURCES", "FALSE")).upper() != "TRUE":
        problems.append("INCLUDE_RESOURCES is not TRUE")
    if str(table.get("TIME_GRANULARITY", "HOURLY")).upper() not in ("HOURLY", "DAILY"):
        problems.append(f"time granularity {table.get('TIME_GRANULARITY')}")
    if "line_item_resource_id" not in export.get("DataQuery", {}).get("QueryStatement", "").lower():
        problems.append("line_item_resource_id is not selected")
    s3 = export.get("DestinationConfigurations", {}).get("S3Destination", {})
    if s3.get("S3OutputConfigurations", {}).get("Format") != "PARQUET":
        problems.append(f"format {s3.get('S3OutputConfigurations', {}).get('Format')}, not PARQUET")
    problems += _location_problems(settings, s3.get("S3Bucket"), s3.get("S3Prefix"))
    return _cur_result(
        "CUR 2.0",
        f"export {settings.cur_report_name}",
        problems,
        "an export of COST_AND_USAGE_REPORT with INCLUDE_RESOURCES=TRUE, hourly or daily, Parquet, "
        "delivered to CurBucket/CurPrefix",
    )


def _location_problems(settings: Settings, bucket: str | None, prefix: str | None) -> list[str]:
    if bucket == settings.cur_bucket and (prefix or "").strip("/") == settings.cur_prefix:
        return []
    return [f"delivered to s3://{bucket}/{prefix}"]


def _cur_result(name: str, what: str, problems: list[str], fix: str) -> Check:
    detail = "; ".join(problems) if problems else "Parquet, resource ids, at the configured location"
    return Check(name, not problems, f"{what}: {detail}", fix)


def schedule_check(scheduler, state_machine_arn: str) -> Check:
    schedules = [
        s
        for s in _pages(scheduler, "list_schedules", "Schedules")
        if s.get("Target", {}).get("Arn") == state_machine_arn
    ]
    enabled = [s for s in schedules if s.get("State") == "ENABLED"]
    return Check(
        "nightly schedule",
        bool(enabled),
        f"{len(enabled)} enabled schedule(s) start the state machine"
        if enabled
        else "no enabled schedule starts the state machine",
        "enable the stack's ScheduleV2 schedule (EventBridge Scheduler console) or redeploy the stack",
    )


def subscription_check(sns, topic_arn: str) -> Check:
    subscriptions = _pages(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic_arn)
    confirmed = [s for s in subscriptions if s.get("SubscriptionArn", "").startswith("arn:")]
    pending = len(subscriptions) - len(confirmed)
    return Check(
        "alert topic subscription",
        bool(confirmed),
        f"{len(confirmed)} confirmed subscription(s)"
        + (f", {pending} pending confirmation" if pending else ""),
        "set NotificationEmail (and confirm the e-mail AWS sends) or subscribe to the AlertTopicArn output",
    )


# ---------------------------------------------------------------- a local data directory
def data_checks(data_dir: Path, parameters: dict[str, str], account: str, region: str) -> list[Check]:
    try:
        settings = stack_settings({**parameters, "ResultsBucket": ""}, account, region)
    except InvalidSettings as problem:
        return [Check("parameters", False, str(problem), "fix parameters.json")]
    checks = [Check("parameters", True, "parameters.json holds valid parameters")]
    logs = data_dir / "s3" / settings.flow_logs_bucket / settings.flow_logs_prefix / "AWSLogs"
    files = sorted(p for p in logs.rglob("*") if p.is_file()) if logs.is_dir() else []
    checks.append(
        Check(
            "flow-log files",
            bool(files),
            f"{len(files)} files under {logs.relative_to(data_dir)}"
            if files
            else f"no file under {logs.relative_to(data_dir)}",
            "check FlowLogsBucket and FlowLogsPrefix against the data's s3/ folders",
        )
    )
    if files:
        hive = any(part.startswith("aws-account-id=") for part in files[0].relative_to(logs).parts)
        hourly = len(files[0].relative_to(logs).parts) == 8  # account/service/region/Y/M/D/H/file
        checks.append(
            Check(
                "flow-log layout",
                hive == settings.flow_logs_hive and hourly == settings.flow_logs_per_hour,
                f"the files are in {'Hive-compatible' if hive else 'default'}, "
                f"{'per-hour' if hourly else 'daily'} folders",
                "set FlowLogsHiveCompatiblePartitions / FlowLogsPerHourPartition to the files' layout",
            )
        )
        checks.append(_flow_logs_check(files, logs))
        checks.append(_flow_log_days_check(files, logs))
        if settings.flow_logs_file_format == "text":
            checks.append(_header_check(files, settings.flow_log_format))
            checks.append(_damage_check(files))
    cur_root = _cur_root(data_dir, settings)
    cur_files = sorted(cur_root.rglob("*.parquet")) if cur_root.is_dir() else []  # every period
    checks.append(_cur_data_check(data_dir, cur_root, cur_files))
    if settings.cur_format == "cur2":
        checks += _cur2_delivery_checks(data_dir, settings)
    checks.append(_cur_coverage_check(cur_files))
    return checks


def _cur2_delivery_checks(data_dir: Path, settings: Settings) -> list[Check]:
    """What the night reports as CUR_DELIVERY_UNKNOWN, period by period (the same choice)."""
    import json
    from datetime import date

    from alb_egress.cur_delivery import latest_delivery

    bucket = data_dir / "s3" / settings.cur_bucket
    data = _cur_root(data_dir, settings)
    checks = []
    for period in sorted(data.glob("BILLING_PERIOD=*")) if data.is_dir() else []:
        try:
            day = date.fromisoformat(period.name.split("=", 1)[1] + "-01")
        except ValueError:
            continue
        manifest_path = bucket / statements.cur_manifest_key(settings, day)
        try:
            manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else None
        except ValueError as error:
            manifest = {"unreadable": f"the period's Manifest.json is not JSON ({str(error)[:120]})"}
        folders = [p.name for p in period.iterdir() if p.is_dir()]
        period_key = str(period.relative_to(bucket)) + "/"
        choice = latest_delivery(manifest, period_key, folders)
        checks.append(
            Check(
                f"CUR 2.0 delivery {period.name}",
                choice.problem is None,
                choice.problem or f"reads {choice.delivery}",
                "check the export's metadata/BILLING_PERIOD=.../<export>-Manifest.json and its data folders",
            )
        )
    return checks


def _cur_coverage_check(files: list[Path]) -> Check:
    """How far the CUR reaches: the night reports CUR_NOT_ARRIVING for a day whose next day it
    still does not cover CUR_ARRIVAL_GRACE_DAYS after."""
    from datetime import UTC, datetime, timedelta

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from alb_egress.diagnosis import CUR_ARRIVAL_GRACE_DAYS

    latest = None
    for path in files:
        if "line_item_usage_start_date" not in pq.read_schema(path).names:
            continue
        column = pq.read_table(path, columns=["line_item_usage_start_date"])["line_item_usage_start_date"]
        found = pc.max(column).as_py()
        if found is not None:
            found = found if found.tzinfo else found.replace(tzinfo=UTC)
            latest = found if latest is None or found > latest else latest
    if latest is None:
        return Check("CUR coverage", False, "no usage line in the CUR files", "check the CUR location")
    days_ago = (datetime.now(UTC) - latest).days
    return Check(
        "CUR coverage",
        True,
        f"the latest usage line starts {latest:%Y-%m-%d %H:%M} UTC ({days_ago} days ago): days before "
        f"{(latest - timedelta(days=1)):%Y-%m-%d} can be reconciled; a day whose next day is not covered "
        f"{CUR_ARRIVAL_GRACE_DAYS} days after it ended is reported CUR_NOT_ARRIVING",
    )


def _sample(files: list[Path]) -> list[Path]:
    return files[:: max(1, len(files) // 20)]  # a sample across accounts, regions and days


def _header_check(files: list[Path], configured: FlowLogFormat) -> Check:
    """The night reads each flow log's format from its files' header line: each must name the
    fields the reconciliation needs (files without a header are read with FlowLogFormat)."""
    formats: dict[tuple[str, ...], Path] = {}
    lacking = []
    for path in _sample(files):
        with gzip.open(path, "rt") if path.suffix == ".gz" else path.open() as handle:
            reading = read_header(handle.readline(), configured)
        formats.setdefault(reading.fields, path)
        if reading.fmt is None:
            lacking.append((path, reading.missing))
    if lacking:
        path, missing = lacking[0]
        return Check(
            "flow-log formats",
            False,
            f"{path.name} is of a flow log whose format lacks {', '.join(missing)}",
            "create a flow log whose format includes " + " ".join(f"${{{f}}}" for f in missing),
        )
    return Check(
        "flow-log formats",
        True,
        f"{len(formats)} format(s) in the files' header lines, each with the fields the night needs",
    )


def _flow_logs_check(files: list[Path], logs: Path) -> Check:
    """More than one flow log delivering to one account/region folder: the night counts each ENI
    from one of them (the one covering the most of its hours), never their sum."""
    per_folder: dict[Path, set[str]] = {}
    for path in files:
        name = parse_file_name(path.name)
        per_folder.setdefault(path.parent, set()).add(name.flow_log if name else "(not named by AWS)")
    shared = {folder: ids for folder, ids in per_folder.items() if len(ids) > 1}
    if not shared:
        return Check("flow logs per folder", True, "one flow log delivers to each folder")
    folder, ids = next(iter(sorted(shared.items())))
    return Check(
        "flow logs per folder",
        True,
        f"{len(ids)} flow logs ({', '.join(sorted(ids)[:5])}) deliver to {folder.relative_to(logs)} "
        f"(and {len(shared) - 1} more folders): each ENI is counted from one of them",
    )


def _flow_log_days_check(files: list[Path], logs: Path) -> Check:
    """A day folder missing between the first and the last day of an account/region (deleted,
    or never delivered): that night would report MISSING_FLOW_LOGS for every ALB there."""
    days: dict[tuple[str, str], set[date]] = {}
    for path in files:
        # account / service / region / year / month / day [/ hour] / file, "key=" in Hive's names
        parts = [part.split("=", 1)[-1] for part in path.relative_to(logs).parts]
        try:
            day = date(int(parts[3]), int(parts[4]), int(parts[5]))
        except (IndexError, ValueError):
            continue  # not a day folder: the layout check names it
        days.setdefault((parts[0], parts[2]), set()).add(day)
    gaps: dict[tuple[str, str], list[date]] = {}
    for place, present in sorted(days.items()):
        first, last = min(present), max(present)
        span = (first + timedelta(days=n) for n in range((last - first).days))
        if missing := [day for day in span if day not in present]:
            gaps[place] = missing
    if not gaps:
        spans = [f"{min(d)}..{max(d)}" for d in days.values()]
        return Check("flow-log days", True, f"no day missing ({', '.join(sorted(set(spans))[:3])})")
    (account, region), missing = next(iter(gaps.items()))
    shown = ", ".join(str(d) for d in missing[:5]) + (
        f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    )
    return Check(
        "flow-log days",
        False,
        f"no flow-log file for {shown} in {account}/{region}"
        + (f" (and days of {len(gaps) - 1} more account/regions)" if len(gaps) > 1 else "")
        + ": those nights report MISSING_FLOW_LOGS",
        "restore the day folders (or expect those days unmeasured)",
    )


_INTEGER = re.compile(r"[+-]?[0-9]+")


def _damage_check(files: list[Path]) -> Check:
    """Lines of a sample of text files that the night would count as damaged: fields that are not
    integers where the format has integers, negative counts (the night's full rules are in
    athena/flow_log_records.sql; this samples the most common damage)."""
    damaged = lines = 0
    example = ""
    for path in _sample([f for f in files if f.suffix == ".gz"]):
        with gzip.open(path, "rt") as handle:
            fields = handle.readline().split()
            numeric = [i for i, f in enumerate(fields) if f in ("bytes", "packets", "start", "end")]
            status = fields.index("log-status") if "log-status" in fields else None
            for line in handle:
                lines += 1
                values = line.split()
                ok_record = status is not None and status < len(values) and values[status] == "OK"
                bad = len(values) < len(fields) or (
                    ok_record
                    and any(not _INTEGER.fullmatch(values[i]) or values[i].startswith("-") for i in numeric)
                )
                if bad:
                    damaged += 1
                    example = example or f"{path.name}: {line.strip()[:120]!r}"
    limit = DAMAGED_SHARE_LIMIT * max(lines, 1)
    return Check(
        "flow-log damage",
        damaged <= limit,
        f"{damaged} of {lines} sampled lines cannot be real" + (f" (e.g. {example})" if damaged else ""),
        "check the flow-log files (damaged in transfer or written by another tool?): the night excludes "
        f"such lines and, above {DAMAGED_SHARE_LIMIT:.1%} of a folder's records, reports FLOW_LOG_DAMAGED",
    )


# the same forms as athena/cur_freshness.sql
EGRESS_USAGE_TYPE = r"^([A-Z]{2,4}[0-9]?-)?(([A-Z]{3}[0-9]|Outposts)-)?DataTransfer-Out-Bytes$"
LOAD_BALANCER_ARN_PREFIX = r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:loadbalancer/"


def _cur_root(data_dir: Path, settings: Settings) -> Path:
    """The CUR report's folder in the data directory."""
    return data_dir / "s3" / settings.cur_bucket / "/".join(p for p in statements.cur_root(settings) if p)


def _cur_data_check(data_dir: Path, root: Path, files: list[Path]) -> Check:
    import pyarrow.parquet as pq

    if not files:
        return Check(
            "CUR files",
            False,
            f"no Parquet file under {root.relative_to(data_dir)}",
            "check CurBucket, CurPrefix, CurReportName, CurFormat",
        )
    columns = set(pq.read_schema(files[0]).names)
    missing = [column for column in CUR_REQUIRED_COLUMNS.values() if column not in columns]
    if missing:  # what the night calls NOT_A_CUR
        return Check(
            "CUR files",
            False,
            f"{files[0].name} has no {', '.join(missing)}: not a Cost and Usage Report (a FOCUS export?)",
            "point CurBucket/CurPrefix/CurReportName at a legacy CUR or a CUR 2.0 export, and set CurFormat",
        )
    if "line_item_resource_id" not in columns:
        return Check(
            "CUR resource ids",
            False,
            f"{files[0].name} has no line_item_resource_id column",
            'recreate the report with "Include resource IDs" (legacy) or INCLUDE_RESOURCES=TRUE (CUR 2.0)',
        )
    damage = _cur_damage(files)
    if damage:
        return Check(
            "CUR line items", False, "; ".join(damage), "use the report files exactly as AWS delivers them"
        )
    return Check(
        "CUR files", True, f"{len(files)} Parquet files with resource ids under {root.relative_to(data_dir)}"
    )


def _cur_damage(files: list[Path]) -> list[str]:
    """What the night reports as CUR_RESOURCE_IDS_NOT_ARNS, CUR_DUPLICATE_LINE_ITEMS and
    CUR_IMPOSSIBLE_USAGE, over every file (all billing periods) of the ELB egress lines."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    wanted = [
        "identity_line_item_id",
        "identity_time_interval",
        "line_item_usage_type",
        "line_item_operation",
        "line_item_product_code",
        "line_item_resource_id",
        "line_item_usage_start_date",
        "line_item_usage_amount",
    ]
    tables = []
    for path in files:
        present = [c for c in wanted if c in pq.read_schema(path).names]
        table = pq.read_table(path, columns=present)
        for column in wanted:
            if column not in present:
                table = table.append_column(column, pa.nulls(table.num_rows, pa.string()))
        tables.append(
            table.select(wanted).cast(
                pa.schema([(c, pa.string()) for c in wanted[:-1]] + [(wanted[-1], pa.float64())])
            )
        )
    lines = pa.concat_tables(tables)
    elb = pc.or_(
        pc.equal(lines["line_item_product_code"], "AWSELB"),
        pc.starts_with(pc.fill_null(lines["line_item_operation"], ""), "LoadBalancing"),
    )
    egress = pc.and_(
        pc.fill_null(elb, False),
        pc.match_substring_regex(pc.fill_null(lines["line_item_usage_type"], ""), EGRESS_USAGE_TYPE),
    )
    lines = lines.filter(pc.fill_null(egress, False))
    found = []
    ids = pc.fill_null(lines["line_item_resource_id"], "")
    not_arns = pc.and_(
        pc.not_equal(ids, ""), pc.invert(pc.match_substring_regex(ids, LOAD_BALANCER_ARN_PREFIX))
    )
    if pc.sum(not_arns).as_py():
        found.append(f"{pc.sum(not_arns).as_py()} ELB egress lines with a resource id that is not an ARN")
    # copies of one line item (same id and interval) the night counts once; lines alike in all but
    # their id (a leftover file of another refresh?) it reports as CUR_DUPLICATE_LINE_ITEMS
    ids = pc.binary_join_element_wise(
        pc.fill_null(lines["identity_line_item_id"], ""),
        pc.fill_null(lines["identity_time_interval"], ""),
        "/",
    )
    first_of: dict[str, int] = {}
    for position, key in enumerate(ids.to_pylist()):
        first_of.setdefault(key, position)
    first = lines.take(pa.array(sorted(first_of.values()), pa.int64()))
    alike = pc.binary_join_element_wise(
        pc.fill_null(first["line_item_resource_id"], ""),
        pc.fill_null(first["line_item_usage_type"], ""),
        pc.fill_null(first["line_item_operation"], ""),
        pc.fill_null(first["line_item_usage_start_date"].cast(pa.string()), ""),
        pc.fill_null(first["line_item_usage_amount"].cast(pa.string()), ""),
        "/",
    )
    suspects = len(alike) - len(pc.unique(alike))
    if suspects:
        found.append(
            f"{suspects} ELB egress line items repeat another in all but their id (present more than once?)"
        )
    amounts = lines["line_item_usage_amount"]
    impossible = pc.sum(
        pc.invert(pc.fill_null(pc.and_(pc.greater_equal(amounts, 0), pc.is_finite(amounts)), False))
    )
    if impossible.as_py():
        found.append(f"{impossible.as_py()} ELB egress lines with a negative, NaN or infinite usage amount")
    return found
