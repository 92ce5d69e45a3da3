"""Run-level problems (docs/DESIGN.md §3): when the configuration or the data cannot support an answer,
say so plainly - where, what, and what to change - instead of blaming ALBs for it.

Found by cheap checks in the night's flow (a List with a prefix, a ranged Get of one object's first
line, two counts in the CUR freshness query); applied here, in one place, to the day's results.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .reconcile import AlbDay, Status, cur_covers_day

FLOW_PROBLEMS = (
    Status.NO_FLOW_LOG_FILES,
    Status.FLOW_LOG_FORMAT_MISMATCH,
    Status.FLOW_LOG_LAYOUT_MISMATCH,
    Status.FLOW_LOG_DAMAGED,
)
# Above this share of a folder's (or an ALB's) records of the day, damaged records make the bytes
# unknown rather than slightly low: the ALBs get FLOW_LOG_DAMAGED instead of a number. Below it
# they are excluded and counted (at most 0.1 % of the records: well inside any tolerance).
DAMAGED_SHARE_LIMIT = 0.001
CUR_PROBLEMS = (
    Status.NO_CUR_DATA,
    Status.NOT_A_CUR,
    Status.CUR_DELIVERY_UNKNOWN,
    Status.CUR_NOT_ARRIVING,
    Status.CUR_WITHOUT_RESOURCE_IDS,
    Status.CUR_RESOURCE_IDS_NOT_ARNS,
    Status.CUR_MONTHLY_GRANULARITY,
    Status.CUR_DUPLICATE_LINE_ITEMS,
    Status.CUR_IMPOSSIBLE_USAGE,
)
# Columns every CUR line item has (legacy and 2.0): a table over files without them is not a CUR.
CUR_REQUIRED_COLUMNS = {
    "with_line_item_type": "line_item_line_item_type",
    "with_usage_type": "line_item_usage_type",
    "with_usage_start_date": "line_item_usage_start_date",
    "with_usage_amount": "line_item_usage_amount",
}


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # a Status name of PROBLEM_STATUSES
    detail: str  # what was found, with the exact location or fields
    fix: str  # what to change
    account: str | None = None  # flow-log problems: the account and region they affect
    region: str | None = None
    location: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, values: Mapping) -> Problem:
        fields: dict[str, Any] = {k: values.get(k) for k in cls.__dataclass_fields__}
        return cls(**fields)


def no_flow_log_files(account: str, region: str, location: str) -> Problem:
    return Problem(
        kind=Status.NO_FLOW_LOG_FILES.value,
        detail=f"no flow-log file of the day under {location}",
        fix=(
            "check FlowLogsBucket, FlowLogsPrefix and the layout parameters "
            "(FlowLogsHiveCompatiblePartitions, FlowLogsPerHourPartition) against where the flow log "
            f"delivers, and that a flow log covers the ALBs' subnets in account {account}, {region}"
        ),
        account=account,
        region=region,
        location=location,
    )


def missing_fields_problem(
    fields: Iterable[str],
    missing: Iterable[str],
    flow_log: str,
    account: str,
    region: str,
    location: str | None = None,
) -> Problem:
    """A flow log whose format lacks fields the reconciliation needs: nothing of it can be counted."""
    missing, fields = list(missing), list(fields)
    who = f"flow log {flow_log or '(files not named by AWS)'}"
    return Problem(
        kind=Status.FLOW_LOG_FORMAT_MISMATCH.value,
        detail=(
            f"{who} records '{' '.join(fields)[:600]}', without {', '.join(missing)}"
            if fields
            else f"{who}'s egress records never carry {', '.join(missing)} (a format without it)"
        )
        + ": internet egress cannot be told apart",
        fix=(
            "create a flow log (for the ALBs' VPCs or subnets) whose format includes "
            + " ".join(f"${{{f}}}" for f in missing)
            + " (a flow log's format cannot be changed)"
        ),
        account=account,
        region=region,
        location=location,
    )


def layout_problem(account: str, region: str, location: str, found: str, fix: str) -> Problem:
    return Problem(
        kind=Status.FLOW_LOG_LAYOUT_MISMATCH.value,
        detail=f"the night reads {location}, but {found}",
        fix=fix,
        account=account,
        region=region,
        location=location,
    )


def partial_coverage_problem(
    account: str, region: str, hours: str, location: str | None, flow_log: str | None = None, albs: int = 0
) -> Problem:
    whose = f"flow log {flow_log}'s files" if flow_log else "the flow-log files"
    return Problem(
        kind=Status.PARTIAL_FLOW_LOG_COVERAGE.value,
        detail=(
            f"{whose} cover only part of the day while the ALBs' interfaces lived: no file for {hours} UTC"
            + (f" ({albs} ALBs touched)" if albs else "")
        ),
        fix=(
            "check the flow log's delivery for those hours (it was created, stopped or failing then); "
            "the touched ALBs are reconciled again when the files are complete (re-run the date)"
        ),
        account=account,
        region=region,
        location=location,
    )


def damaged_problem(account: str, region: str, damaged: int, records: int, flow_logs: str) -> Problem:
    return Problem(
        kind=Status.FLOW_LOG_DAMAGED.value,
        detail=(
            f"{damaged} of the day's {damaged + records} flow-log records cannot be real (lines that do "
            f"not parse, negative or impossible counts), in the files of {flow_logs or 'the folder'}: "
            f"over {DAMAGED_SHARE_LIMIT:.1%}, the bytes are unknown"
        ),
        fix="check the flow-log files of the day (damaged in transfer or written by another tool?)",
        account=account,
        region=region,
    )


def no_cur_data(location: str) -> Problem:
    return Problem(
        kind=Status.NO_CUR_DATA.value,
        detail=f"no CUR object for the day's billing period under {location}",
        fix="check CurBucket, CurPrefix, CurReportName and CurFormat against where the report is delivered",
        location=location,
    )


def cur_resource_id_problem(elb_transfer_rows: int, with_resource_id: int) -> Problem | None:
    """ALB data transfer in the CUR but none of it with a resource id: nothing can be per ALB."""
    if elb_transfer_rows == 0 or with_resource_id > 0:
        return None
    return Problem(
        kind=Status.CUR_WITHOUT_RESOURCE_IDS.value,
        detail=f"none of the {elb_transfer_rows} ELB data-transfer-out line items has a resource id",
        fix='recreate the report with "Include resource IDs" (legacy) or INCLUDE_RESOURCES=TRUE (CUR 2.0)',
    )


def cur_delivery_problem(period: str, why: str) -> Problem:
    """CUR 2.0 deliveries exist but none can be chosen: reading the period whole would count every
    refresh once more."""
    return Problem(
        kind=Status.CUR_DELIVERY_UNKNOWN.value,
        detail=f"billing period {period}: {why}; the night reads no CUR line rather than every refresh",
        fix=(
            "check the export's metadata/BILLING_PERIOD=.../<export>-Manifest.json and its data folders "
            "(the latest delivery must be listed there)"
        ),
    )


# AWS updates the CUR up to three times a day and a day's usage normally lands within 24-48 hours:
# three days after D+1 ended with still no line of D+1, the report has stopped arriving (or is not
# the report AWS is writing) - saying PENDING_CUR for ever would be a silent wrong answer.
CUR_ARRIVAL_GRACE_DAYS = 3


def cur_not_arriving_problem(day: date, covered_until: str | None, now: datetime) -> Problem | None:
    """D not covered although D+1 ended more than CUR_ARRIVAL_GRACE_DAYS ago."""
    due = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=2 + CUR_ARRIVAL_GRACE_DAYS)
    if now < due:
        return None
    return Problem(
        kind=Status.CUR_NOT_ARRIVING.value,
        detail=(
            f"the CUR still has no usage line of {day + timedelta(days=1)} "
            f"({CUR_ARRIVAL_GRACE_DAYS} days after it ended); its latest usage line starts "
            f"{covered_until or 'nowhere: it has none'}"
        ),
        fix=(
            "check that the report (or export) is still delivered to CurBucket/CurPrefix/CurReportName "
            "and that the Billing console shows it active"
        ),
    )


def cur_granularity_problem(usage_lines: int, daily_usage_lines: int) -> Problem | None:
    """A MONTHLY report's usage lines all span the month: nothing in it is per day."""
    if usage_lines == 0 or daily_usage_lines > 0:
        return None
    return Problem(
        kind=Status.CUR_MONTHLY_GRANULARITY.value,
        detail=f"all {usage_lines} usage line items of the period span more than a day (a monthly report)",
        fix="use a report with hourly or daily time granularity (legacy TimeUnit, CUR 2.0 TIME_GRANULARITY)",
    )


def _count(row: Mapping, key: str) -> int:
    try:
        return int(row.get(key) or 0)
    except (TypeError, ValueError):
        return 0


def cur_content_problems(freshness: Mapping, cur_rows: Iterable[Mapping]) -> list[Problem]:
    """What is at the CUR location cannot be trusted as a bill: not a CUR at all, ELB resource ids
    that no ALB ARN can match, line items present twice, usage amounts that cannot be real. From the
    freshness query's counts (the whole period) and the CUR query's per-ALB counts (day D)."""
    problems = []
    line_items = _count(freshness, "line_items")
    missing = [column for key, column in CUR_REQUIRED_COLUMNS.items() if _count(freshness, key) == 0]
    if line_items > 0 and missing:
        problems.append(
            Problem(
                kind=Status.NOT_A_CUR.value,
                detail=(
                    f"the {line_items} rows at the CUR location have no {', '.join(missing)}: not a Cost "
                    "and Usage Report (a FOCUS export or another schema?)"
                ),
                fix=(
                    "point CurBucket/CurPrefix/CurReportName at a legacy CUR or a CUR 2.0 export, "
                    "and set CurFormat"
                ),
            )
        )
    not_arns = _count(freshness, "elb_transfer_rows_not_arns")
    if not_arns:
        example = str(freshness.get("example_resource_id_not_arn") or "")[:120]
        problems.append(
            Problem(
                kind=Status.CUR_RESOURCE_IDS_NOT_ARNS.value,
                detail=(
                    f"{not_arns} ELB data-transfer-out line items carry a resource id that is not a load "
                    f"balancer ARN (e.g. {example!r}): their ALBs cannot be matched"
                ),
                fix="use the CUR exactly as AWS delivers it (resource ids are the ALBs' ARNs, lower case)",
            )
        )
    rows = list(cur_rows)
    # copies of one line item (same id and interval) are counted once by the query; lines alike in
    # all but their id cannot be told from real usage
    suspects = sum(_count(r, "suspect_duplicate_lines") for r in rows)
    if suspects:
        problems.append(
            Problem(
                kind=Status.CUR_DUPLICATE_LINE_ITEMS.value,
                detail=(
                    f"{suspects} ALB data-transfer line items of the day repeat another line in everything "
                    "but their identity_line_item_id (same usage type, operation, hour and amount), on "
                    f"{sum(1 for r in rows if _count(r, 'suspect_duplicate_lines'))} ALBs: a leftover "
                    "report file of another refresh?"
                ),
                fix=(
                    "remove the leftover or copied report files from the CUR location, "
                    "so each line item is there once"
                ),
            )
        )
    impossible = sum(_count(r, "impossible_lines") for r in rows)
    if impossible:
        problems.append(
            Problem(
                kind=Status.CUR_IMPOSSIBLE_USAGE.value,
                detail=(
                    f"{impossible} ALB data-transfer line items of the day have a negative, NaN or "
                    "infinite usage amount"
                ),
                fix="check the report files at the CUR location: AWS writes no such amounts",
            )
        )
    return problems


PROBLEMS_IN_STATE = 5  # each is ~600 bytes; the full list is in S3 (Step Functions' 256 KiB)


def problem_summary(problems: Iterable[Problem]) -> dict:
    """What travels in the state machine's state: counts by kind and the first few problems. A
    misconfigured Organization (a mistyped prefix, 60 accounts x 4 regions) has hundreds."""
    problems = list(problems)
    counts: dict[str, int] = {}
    for problem in problems:
        counts[problem.kind] = counts.get(problem.kind, 0) + 1
    return {
        "problem_total": len(problems),
        "problem_counts": dict(sorted(counts.items())),
        "problems": [p.as_dict() for p in problems[:PROBLEMS_IN_STATE]],
    }


def apply_problems(results: Iterable[AlbDay], problems: Iterable[Problem]) -> list[AlbDay]:
    """An ALB whose numbers a problem makes meaningless gets that problem as its status: flow-log
    problems for the ALBs of their account and region, CUR problems for every ALB."""
    problems = list(problems)
    by_place = {(p.account, p.region): p for p in problems if p.kind in {s.value for s in FLOW_PROBLEMS}}
    everywhere = next((p for p in problems if p.kind in {s.value for s in CUR_PROBLEMS}), None)
    changed = []
    for result in results:
        problem = by_place.get((result.account_id, result.region)) or everywhere
        changed.append(replace(result, status=Status(problem.kind)) if problem else result)
    return changed


def cur_readiness(
    day: date,
    freshness: Mapping,
    refresh_statuses: Iterable[object],
    cur_rows: Iterable[Mapping],
    now: datetime,
) -> tuple[bool, list[Problem]]:
    """Whether the CUR covers D and may be compared, and what the CUR itself says is wrong: its
    freshness row (cur_freshness.sql), the refresh statuses of a legacy CUR and its usage rows."""
    # A legacy CUR in the middle of a refresh may be read half old, half new: not comparable yet.
    ready = all(str(status).upper() == "READY" for status in refresh_statuses)
    covers = cur_covers_day(freshness.get("covered_until"), day) and ready
    resource_ids = cur_resource_id_problem(
        int(freshness.get("elb_transfer_rows") or 0),
        int(freshness.get("elb_transfer_rows_with_resource_id") or 0),
    )
    granularity = cur_granularity_problem(
        int(freshness.get("usage_lines") or 0), int(freshness.get("daily_usage_lines") or 0)
    )
    # Only when the CUR is not refreshing and is a CUR with lines at all: those say more precisely.
    content = cur_content_problems(freshness, cur_rows)
    # A CUR that is refreshing, monthly or not a CUR at all says more precisely why D is not covered.
    stopped = (
        cur_not_arriving_problem(day, freshness.get("covered_until"), now)
        if not covers and ready and granularity is None and not any(p.kind == "NOT_A_CUR" for p in content)
        else None
    )
    return covers, [p for p in (resource_ids, granularity, stopped) if p] + content
