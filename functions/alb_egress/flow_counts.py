"""From the egress query's rows (one per ENI and flow log) to one count per ALB (docs/DESIGN.md §3):
each ENI's bytes from one flow log, damaged records counted, hours without files found."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from .diagnosis import (
    DAMAGED_SHARE_LIMIT,
    Problem,
    damaged_problem,
    missing_fields_problem,
    partial_coverage_problem,
)
from .flowlog_survey import alive_hours, hour_ranges
from .reconcile import AlbDay, Status

ALL_HOURS = frozenset(range(24))
UNNAMED_NAME = "unnamed"


@dataclass(frozen=True, slots=True)
class FlowLogCounts:
    """One flow log's records of one interface on D (a row of the egress query)."""

    flow_log: str
    egress_bytes: int = 0
    cloudfront_bytes: int = 0
    aws_service_bytes: int = 0
    skipdata_records: int = 0
    records: int = 0
    damaged_records: int = 0


def choose_flow_log(
    counts: Iterable[FlowLogCounts], coverage: Mapping[str, Iterable[int]], alive: Iterable[int]
) -> tuple[FlowLogCounts, list[str]]:
    """When more than one flow log recorded an interface (a VPC's and a subnet's, another team's),
    its bytes come from one of them - never their sum. The rule: the flow log whose files cover
    the most of the hours the interface lived, then the one with more of its records, then the
    lowest id. Returns the chosen counts and the ids not counted."""
    alive = set(alive)
    ranked = sorted(
        counts,
        key=lambda c: (-len(alive & set(coverage.get(c.flow_log, ALL_HOURS))), -c.records, c.flow_log),
    )
    return ranked[0], [c.flow_log for c in ranked[1:]]


@dataclass
class AlbFlow:
    egress_bytes: int = 0
    skipdata_records: int = 0
    cloudfront_bytes: int = 0
    aws_service_bytes: int = 0
    records: int = 0
    damaged_records: int = 0
    counted: set[str] = field(default_factory=set)
    not_counted: set[str] = field(default_factory=set)
    logged: bool = False  # any record of its ENIs in D
    uncovered_hours: set[int] = field(default_factory=set)  # its ENIs lived, no file of their flow log
    uncovered_by: set[str] = field(default_factory=set)  # the flow logs those hours are missing from

    @property
    def damaged_share_exceeded(self) -> bool:
        total = self.records + self.damaged_records
        return total > 0 and self.damaged_records > DAMAGED_SHARE_LIMIT * total

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.egress_bytes, self.skipdata_records, self.cloudfront_bytes, self.aws_service_bytes)


@dataclass
class FolderDamage:
    """An account/region's records of D in the files read: all, and those that cannot be real."""

    records: int = 0
    damaged_records: int = 0
    damaged_in: set[str] = field(default_factory=set)

    @property
    def share_exceeded(self) -> bool:
        total = self.records + self.damaged_records
        return total > 0 and self.damaged_records > DAMAGED_SHARE_LIMIT * total


@dataclass
class FlowCounts:
    by_alb: dict[str, AlbFlow]
    damage: dict[tuple[str, str], FolderDamage]
    # flow logs whose egress records never carry traffic-path (a Parquet format without it)
    without_traffic_path: dict[str, tuple[str, str]]


def _int(row: Mapping, key: str) -> int:
    value = row.get(key)
    return int(value) if value not in (None, "") else 0


def flow_log_key(flow_log: str | None, account: str, region: str) -> str:
    """The survey's name of a flow log in one account/region folder: ``account/region/fl-id``
    (``.../unnamed`` for files whose names are not AWS's)."""
    return f"{account}/{region}/{flow_log or UNNAMED_NAME}"


def flow_log_id(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def count_per_alb(
    rows: Iterable[Mapping],
    enis: Iterable[list[str]],
    coverage: Mapping[str, Iterable[int]],
    folder_coverage: Mapping[tuple[str, str], Iterable[int]],
    day: date,
) -> FlowCounts:
    """``rows``: the egress query's; ``enis``: the day's ENI table (id, ALB, account, region,
    created, deleted); ``coverage``: flow log -> hours of D its files cover, ``folder_coverage``:
    account/region -> hours any of its files cover (from Diagnose; a folder without files is a
    run-level problem of its own).
    Each ENI's bytes come from one flow log (choose_flow_log); hours its ENIs lived that the
    chosen flow log (or, with no record, any flow log of the folder) has no file for are
    uncovered."""
    coverage = {k: frozenset(v) for k, v in coverage.items()}
    eni_rows = [e for e in enis if len(e) >= 6]
    per_eni: dict[str, list[FlowLogCounts]] = {}
    damage: dict[tuple[str, str], FolderDamage] = {}
    egress_seen: dict[str, list[int]] = {}
    places: dict[str, tuple[str, str]] = {}
    for row in rows:
        account, region = str(row.get("account_id") or ""), str(row.get("region") or "")
        key = flow_log_key(row.get("flow_log_id"), account, region)
        places[key] = (account, region)
        folder = damage.setdefault((account, region), FolderDamage())
        folder.records += _int(row, "records")
        folder.damaged_records += _int(row, "damaged_records")
        if _int(row, "damaged_records"):
            folder.damaged_in.add(key)
        seen = egress_seen.setdefault(key, [0, 0])
        seen[0] += _int(row, "egress_records")
        seen[1] += _int(row, "egress_with_traffic_path")
        if row.get("interface_id") and row.get("load_balancer_arn"):
            per_eni.setdefault(str(row["interface_id"]), []).append(
                FlowLogCounts(
                    flow_log=key,
                    egress_bytes=_int(row, "egress_bytes"),
                    cloudfront_bytes=_int(row, "cloudfront_bytes"),
                    aws_service_bytes=_int(row, "aws_service_bytes"),
                    skipdata_records=_int(row, "skipdata_records"),
                    records=_int(row, "records"),
                    damaged_records=_int(row, "damaged_records"),
                )
            )
    by_alb: dict[str, AlbFlow] = {}
    for interface, arn, account, region, created, deleted in (e[:6] for e in eni_rows):
        alb = by_alb.setdefault(arn, AlbFlow())
        alive = alive_hours(created or None, deleted or None, day)
        counts = per_eni.get(interface)
        if not counts:  # no record: a gap of every flow log of its folder, or no flow log covers it
            covered = folder_coverage.get((account, region))
            missing = alive - frozenset(covered) if covered else frozenset()
            if missing:
                alb.uncovered_hours |= missing
                alb.uncovered_by.add(f"{account}/{region}")
            continue
        chosen, others = choose_flow_log(counts, coverage, alive)
        alb.logged = True
        alb.egress_bytes += chosen.egress_bytes
        alb.cloudfront_bytes += chosen.cloudfront_bytes
        alb.aws_service_bytes += chosen.aws_service_bytes
        alb.skipdata_records += chosen.skipdata_records
        alb.records += chosen.records
        alb.damaged_records += chosen.damaged_records
        alb.counted.add(chosen.flow_log)
        alb.not_counted.update(others)
        missing = alive - frozenset(coverage.get(chosen.flow_log, ALL_HOURS))
        if missing:
            alb.uncovered_hours |= missing
            alb.uncovered_by.add(chosen.flow_log)
    without_path = {
        key: places[key] for key, (egress, with_path) in egress_seen.items() if egress and not with_path
    }
    for alb in by_alb.values():
        alb.not_counted -= alb.counted
    return FlowCounts(by_alb=by_alb, damage=damage, without_traffic_path=without_path)


# Statuses that are a number the flow-log side must support (NO_TRAFFIC and PENDING_CUR say no
# more than the data shows either way).
_NUMBERS = frozenset({Status.MATCH, Status.MISMATCH, Status.MISSING_CUR, Status.MISSING_FLOW_LOGS})


def flow_count_problems(
    counts: FlowCounts, folder_gaps: Mapping[tuple[str, str], Iterable[int]]
) -> list[Problem]:
    """Run-level problems the query's counts show: folders whose damaged share is over the limit,
    flow logs whose egress never carries traffic-path, and flow logs missing hours an ALB's ENIs
    lived (beyond the folder's own gaps, which Diagnose already reported)."""
    problems = []
    for (account, region), folder in sorted(counts.damage.items()):
        if folder.share_exceeded:
            problems.append(
                damaged_problem(
                    account,
                    region,
                    folder.damaged_records,
                    folder.records,
                    ", ".join(sorted(map(flow_log_id, folder.damaged_in))),
                )
            )
    for arn, alb in sorted(counts.by_alb.items()):
        of_folder = counts.damage.get(_place(arn))
        if alb.damaged_share_exceeded and not (of_folder and of_folder.share_exceeded):
            problem = damaged_problem(
                *_place(arn),
                alb.damaged_records,
                alb.records,
                " ".join(sorted(map(flow_log_id, alb.counted))),
            )
            # the ALB's own records only: no account/region, so its neighbours keep their numbers
            problems.append(
                replace(
                    problem,
                    detail=f"ALB {arn.rsplit('/', 2)[-2]} ({', '.join(_place(arn))}): {problem.detail}",
                    account=None,
                    region=None,
                )
            )
    for flow_log, (account, region) in sorted(counts.without_traffic_path.items()):
        problems.append(missing_fields_problem((), ("traffic-path",), flow_log_id(flow_log), account, region))
    gaps: dict[tuple[str, str, str], tuple[set[int], int]] = {}
    for arn, alb in counts.by_alb.items():
        account, region = _place(arn)
        known = set(folder_gaps.get((account, region), ()))
        for flow_log in alb.uncovered_by:
            if flow_log.count("/") == 2 and not alb.uncovered_hours <= known:
                hours, albs = gaps.get((account, region, flow_log), (set(), 0))
                gaps[(account, region, flow_log)] = (hours | (alb.uncovered_hours - known), albs + 1)
    for (account, region, flow_log), (hours, albs) in sorted(gaps.items()):
        problems.append(
            partial_coverage_problem(account, region, hour_ranges(hours), None, flow_log_id(flow_log), albs)
        )
    return problems


def _place(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    return (parts[4], parts[3]) if len(parts) > 5 else ("", "")


def apply_flow_counts(results: Iterable[AlbDay], counts: FlowCounts) -> list[AlbDay]:
    """Each ALB's damaged records and flow logs counted; a number its flow-log data cannot support
    (damaged over the limit, hours without files while its ENIs lived) becomes the reason instead."""
    changed = []
    for result in results:
        alb = counts.by_alb.get(result.load_balancer_arn)
        if alb is None:
            changed.append(result)
            continue
        status = result.status
        if status in _NUMBERS and alb.damaged_share_exceeded:
            status = Status.FLOW_LOG_DAMAGED
        elif status in _NUMBERS and alb.uncovered_hours:
            status = Status.PARTIAL_FLOW_LOG_COVERAGE
        changed.append(
            replace(
                result,
                status=status,
                damaged_records=alb.damaged_records,
                flow_logs_counted=" ".join(sorted(map(flow_log_id, alb.counted))) if alb.not_counted else "",
                flow_logs_not_counted=" ".join(sorted(map(flow_log_id, alb.not_counted))),
            )
        )
    return changed


def survey_coverage(
    survey: Mapping,
) -> tuple[dict[str, frozenset[int]], dict[tuple[str, str], frozenset[int]]]:
    """Diagnose's survey -> (flow log -> hours its files cover, account/region -> hours any cover)."""
    coverage: dict[str, frozenset[int]] = {}
    folders: dict[tuple[str, str], set[int]] = {}
    for name, entry in (survey.get("flow_logs") or {}).items():
        hours = frozenset(int(h) for h in entry.get("hours") or ())
        coverage[str(name)] = hours
        folders.setdefault((str(entry.get("account")), str(entry.get("region"))), set()).update(hours)
    return coverage, {k: frozenset(v) for k, v in folders.items()}


def folder_gaps(
    folders: Mapping[tuple[str, str], frozenset[int]], enis: Iterable[list[str]], day: date
) -> dict[tuple[str, str], set[int]]:
    """Hours an account/region's ENIs lived with no file of any of its flow logs (Diagnose's
    PARTIAL_FLOW_LOG_COVERAGE problems); ``folders``: survey_coverage's account/region hours."""
    gaps: dict[tuple[str, str], set[int]] = {}
    for row in enis:
        if len(row) >= 6 and (row[2], row[3]) in folders:
            missing = alive_hours(row[4] or None, row[5] or None, day) - folders[(row[2], row[3])]
            gaps.setdefault((row[2], row[3]), set()).update(missing)
    return gaps


def damage_report(counts: FlowCounts) -> list[dict]:
    """Per account/region with damaged records: how many, of how many, in which flow logs' files."""
    return [
        {
            "account": account,
            "region": region,
            "damaged_records": folder.damaged_records,
            "records": folder.records,
            "flow_logs": sorted(map(flow_log_id, folder.damaged_in)),
            "over_limit": folder.share_exceeded,
        }
        for (account, region), folder in sorted(counts.damage.items())
        if folder.damaged_records
    ]


def egress_split_by_place(survey: Mapping) -> dict[tuple[str, str], bool]:
    """Whether every flow log of an account/region records pkt-dst-aws-service (bytes to CloudFront
    and other AWS public IPs can be split out there)."""
    split: dict[tuple[str, str], bool] = {}
    for entry in (survey.get("flow_logs") or {}).values():
        place = (str(entry.get("account")), str(entry.get("region")))
        has = "pkt-dst-aws-service" in str((entry.get("table") or {}).get("format", "")).split()
        split[place] = split.get(place, True) and has
    return split
