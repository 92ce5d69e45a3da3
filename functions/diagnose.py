"""Diagnose: what the day's flow-log folders hold, before anything is read (docs/DESIGN.md §3).

For every in-scope account and region with ENIs on D: one List of D's folder (where the query will
read), one ranged Get of the first line of each flow log's first file. From them: the flow logs
that delivered there and their formats (the night's tables: one per format), the hours of D their
files cover, and the problems - no files, files in another layout, a format without the needed
fields, hours missing while the ALBs' interfaces lived. And is there a CUR object for D's period?
Returns the tables, the partition statements' items and the egress query; the problems and the
survey go to S3 (the state carries a bounded summary).
"""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor

from aws_lambda_powertools import Logger, Tracer

from alb_egress import statements
from alb_egress.diagnosis import (
    Problem,
    layout_problem,
    missing_fields_problem,
    no_cur_data,
    no_flow_log_files,
    partial_coverage_problem,
    problem_summary,
)
from alb_egress.flow_counts import flow_log_key
from alb_egress.flowlog_survey import (
    UNNAMED,
    FlowTableSpec,
    alive_hours,
    flow_logs_in,
    hour_ranges,
    read_header,
)
from alb_egress.identity import ACCOUNT_RE, REGION_RE
from alb_egress.ports import ObjectStore
from alb_egress.settings import Settings, settings_from_environment
from alb_egress.timeutil import parse_day
from aws_adapters import objects
from aws_adapters.objects import s3_uri

logger = Logger()
tracer = Tracer()
PARALLEL_LISTS = 16  # account/region folders listed at once


def _prefix(parts: tuple[str, ...]) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/")) + "/"


def _survey_folder(store: ObjectStore, settings: Settings, day, account: str, region: str) -> dict:
    """One account/region: its flow logs (format, hours of D covered) and its problems."""
    prefix = _prefix(statements.flow_logs_folder(settings, account, region, day))
    location = s3_uri(settings.flow_logs_bucket, prefix)
    keys = store.list_keys(settings.flow_logs_bucket, prefix)
    if settings.flow_logs_per_hour:
        in_hours = [k for k in keys if "/" in k[len(prefix) :]]
        if keys and not in_hours:
            return {
                "problems": [
                    layout_problem(
                        account,
                        region,
                        location + "<hour>/",
                        f"the files are directly in the day folder {location}",
                        "set FlowLogsPerHourPartition=false (the flow log delivers daily folders)",
                    )
                ]
            }
        keys = in_hours
    if not keys:
        return {"problems": [_no_files(store, settings, day, account, region, location)]}
    problems: list[Problem] = []
    flow_logs = {}
    for flow_log, files in sorted(flow_logs_in(keys, day).items()):
        file_uri = s3_uri(settings.flow_logs_bucket, files.first_key)
        if settings.flow_logs_file_format == "text":
            reading = read_header(
                store.first_line(settings.flow_logs_bucket, files.first_key), settings.flow_log_format
            )
            if reading.fmt is None:
                problems.append(
                    missing_fields_problem(
                        reading.fields, reading.missing, flow_log, account, region, file_uri
                    )
                )
                continue
            table = FlowTableSpec(fields=reading.fmt.fields, header=reading.has_header)
        else:  # Parquet columns are read by name: one table of every field fits any format
            table = statements.default_flow_table(settings)
        # files not named as AWS names them carry no time: their coverage cannot be told
        hours = sorted(range(24)) if flow_log == UNNAMED else sorted(files.hours)
        flow_logs[flow_log] = {"table": table.as_dict(), "hours": hours, "files": files.files}
    return {"problems": problems, "flow_logs": flow_logs, "location": location}


def _no_files(
    store: ObjectStore, settings: Settings, day, account: str, region: str, location: str
) -> Problem:
    """An empty folder: are the files in the other layout (Hive-compatible or not)?"""
    other = dataclasses.replace(settings, flow_logs_hive=not settings.flow_logs_hive)
    other_prefix = _prefix(statements.flow_logs_folder(other, account, region, day))
    if store.first_key(settings.flow_logs_bucket, other_prefix) is not None:
        return layout_problem(
            account,
            region,
            location,
            f"the files are in {s3_uri(settings.flow_logs_bucket, other_prefix)}",
            f"set FlowLogsHiveCompatiblePartitions={'true' if other.flow_logs_hive else 'false'}",
        )
    return no_flow_log_files(account, region, location)


@logger.inject_lambda_context(correlation_id_path="execution_id")
@tracer.capture_lambda_handler
def handler(event: dict, context: object, *, store: ObjectStore = objects) -> dict:
    """``{"date", "partition_groups": [[[account, region], ...], ...], "enis_location", "execution_id"}``."""
    settings = settings_from_environment(os.environ)
    day = parse_day(event["date"])
    pairs = []
    for group in event.get("partition_groups") or []:
        for account, region in group:
            if not ACCOUNT_RE.match(str(account)) or not REGION_RE.match(str(region)):
                raise ValueError(f"not an account and region: {str([account, region])[:60]}")
            pairs.append((str(account), str(region)))
    alive: dict[tuple[str, str], set[int]] = {}
    for row in store.get_csv(event["enis_location"]) if event.get("enis_location") else []:
        if len(row) >= 6:
            alive.setdefault((row[2], row[3]), set()).update(alive_hours(row[4] or None, row[5] or None, day))
    with ThreadPoolExecutor(max_workers=PARALLEL_LISTS) as pool:
        surveys = list(pool.map(lambda p: _survey_folder(store, settings, day, *p), pairs))
    problems: list[Problem] = []
    flow_logs: dict[str, dict] = {}
    tables: dict[FlowTableSpec, set[tuple[str, str]]] = {}
    for (account, region), survey in zip(pairs, surveys, strict=True):
        problems += survey["problems"]
        found = survey.get("flow_logs") or {}
        covered = {h for f in found.values() for h in f["hours"]}
        missing = sorted(alive.get((account, region), set()) - covered)
        if found and missing:
            problems.append(
                partial_coverage_problem(account, region, hour_ranges(missing), survey["location"])
            )
        for flow_log, entry in found.items():
            name = flow_log_key(flow_log, account, region)
            flow_logs[name] = entry | {"flow_log": flow_log, "account": account, "region": region}
            tables.setdefault(FlowTableSpec.from_dict(entry["table"]), set()).add((account, region))
    egress_tables = _egress_tables(settings, tables, flow_logs)
    file_ranges = {
        spec: statements.next_day_file_ranges(
            settings,
            day,
            {
                place: [e["flow_log"] for e in flow_logs.values() if (e["account"], e["region"]) == place]
                for place in places
            },
        )
        for spec, places in tables.items()
    }
    cur_prefix = _prefix(statements.cur_period_key(settings, day))
    if store.first_key(settings.cur_bucket, cur_prefix) is None:
        problems.append(no_cur_data(s3_uri(settings.cur_bucket, cur_prefix)))
    summary = problem_summary(problems)
    logger.info(
        "diagnosed",
        extra={
            "date": day.isoformat(),
            "problem_counts": summary["problem_counts"],
            "flow_logs": len(flow_logs),
            "formats": len(egress_tables),
        },
    )
    key = diagnosis_key(day.isoformat(), event.get("execution_id"))
    # The whole list goes to S3, the state carries a bounded summary and the list's location.
    location = store.put_json(settings.results_bucket, key, [p.as_dict() for p in problems])
    survey_location = store.put_json(
        settings.results_bucket, key.removesuffix(".json") + ".survey.json", {"flow_logs": flow_logs}
    )
    per_group = max(1, statements.PARTITIONS_PER_STATEMENT // (25 if settings.flow_logs_per_hour else 2))
    items = [
        {"date": day.isoformat(), "table": spec.as_dict(), "partitions_of": [list(p) for p in group]}
        for spec, places in tables.items()
        for group in (sorted(places)[i : i + per_group] for i in range(0, len(places), per_group))
    ]
    return summary | {
        "problems_location": location,
        "survey_location": survey_location,
        "flow_tables": [{"date": day.isoformat(), "table": spec.as_dict()} for spec in egress_tables],
        "flow_partition_items": items,
        "flow_log_egress": statements.flow_log_egress_query(settings, day, egress_tables, file_ranges),
        "egress_split": statements.egress_split_possible(settings, egress_tables),
    }


def _egress_tables(
    settings: Settings, tables: dict[FlowTableSpec, set[tuple[str, str]]], flow_logs: dict[str, dict]
) -> dict[FlowTableSpec, list[str]]:
    """Each table, with the flow logs of other formats whose files share its folders (its query
    leaves their files to their own table). No flow-log files at all: FlowLogFormat's table."""
    if not tables:
        return {statements.default_flow_table(settings): []}
    result = {}
    for spec, places in tables.items():
        result[spec] = sorted(
            {
                entry["flow_log"]
                for entry in flow_logs.values()
                if (entry["account"], entry["region"]) in places
                and FlowTableSpec.from_dict(entry["table"]) != spec
            }
        )
    return result


def diagnosis_key(day: str, execution_id: object) -> str:
    execution = str(execution_id or "manual").rsplit(":", 1)[-1]
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in execution)[:80] or "manual"
    return f"diagnoses/date={day}/{safe}.json"
