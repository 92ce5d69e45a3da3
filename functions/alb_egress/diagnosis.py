"""Run-level problems (DESIGN §3): when the configuration or the data cannot support an answer,
say so plainly - where, what, and what to change - instead of blaming ALBs for it.

Found by cheap checks in the night's flow (a List with a prefix, a ranged Get of one object's first
line, two counts in the CUR freshness query); applied here, in one place, to the day's results.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace

from .flowlog_format import FlowLogFormat
from .reconcile import AlbDay, Status

FLOW_PROBLEMS = (Status.NO_FLOW_LOG_FILES, Status.FLOW_LOG_FORMAT_MISMATCH)
CUR_PROBLEMS = (Status.NO_CUR_DATA, Status.CUR_WITHOUT_RESOURCE_IDS, Status.CUR_MONTHLY_GRANULARITY)


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
        return cls(**{k: values.get(k) for k in cls.__dataclass_fields__})


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


def header_problem(
    first_line: str, configured: FlowLogFormat, account: str, region: str, location: str
) -> Problem | None:
    """The text files' header line names their fields in order; FlowLogFormat must be the same."""
    found = first_line.strip().split(" ")
    if found == list(configured.fields):
        return None
    return Problem(
        kind=Status.FLOW_LOG_FORMAT_MISMATCH.value,
        detail=(
            f"the files' header line is '{' '.join(found)[:600]}' but FlowLogFormat has "
            f"'{configured.header[:600]}'"
        ),
        fix="set FlowLogFormat to the flow log's own format string (the header line's fields, in order)",
        account=account,
        region=region,
        location=location,
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
        detail=f"none of the {elb_transfer_rows} AWSELB data-transfer line items has a resource id",
        fix='recreate the report with "Include resource IDs" (legacy) or INCLUDE_RESOURCES=TRUE (CUR 2.0)',
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
