"""The comparison of one UTC day (docs/DESIGN.md §3): flow-log bytes vs CUR GB per ALB, and its status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from .identity import Scope, load_balancer_of
from .timeutil import InvalidDate, day_bounds, format_instant, parse_instant

BYTES_PER_GB = 2**30  # AWS bills data transfer in binary gigabytes


class Status(StrEnum):
    MATCH = "MATCH"
    MISMATCH = "MISMATCH"
    NO_TRAFFIC = "NO_TRAFFIC"
    MISSING_CUR = "MISSING_CUR"
    PENDING_CUR = "PENDING_CUR"
    MISSING_FLOW_LOGS = "MISSING_FLOW_LOGS"
    # Run-level problems (docs/DESIGN.md §3): the data cannot support a comparison; never blamed on the ALB.
    NO_FLOW_LOG_FILES = "NO_FLOW_LOG_FILES"
    FLOW_LOG_FORMAT_MISMATCH = "FLOW_LOG_FORMAT_MISMATCH"
    FLOW_LOG_LAYOUT_MISMATCH = "FLOW_LOG_LAYOUT_MISMATCH"
    PARTIAL_FLOW_LOG_COVERAGE = "PARTIAL_FLOW_LOG_COVERAGE"
    FLOW_LOG_DAMAGED = "FLOW_LOG_DAMAGED"
    NO_CUR_DATA = "NO_CUR_DATA"
    CUR_WITHOUT_RESOURCE_IDS = "CUR_WITHOUT_RESOURCE_IDS"
    CUR_MONTHLY_GRANULARITY = "CUR_MONTHLY_GRANULARITY"
    NOT_A_CUR = "NOT_A_CUR"
    CUR_DELIVERY_UNKNOWN = "CUR_DELIVERY_UNKNOWN"
    CUR_NOT_ARRIVING = "CUR_NOT_ARRIVING"
    CUR_RESOURCE_IDS_NOT_ARNS = "CUR_RESOURCE_IDS_NOT_ARNS"
    CUR_DUPLICATE_LINE_ITEMS = "CUR_DUPLICATE_LINE_ITEMS"
    CUR_IMPOSSIBLE_USAGE = "CUR_IMPOSSIBLE_USAGE"


PROBLEM_STATUSES = frozenset(
    {
        Status.NOT_A_CUR,
        Status.CUR_DELIVERY_UNKNOWN,
        Status.CUR_NOT_ARRIVING,
        Status.CUR_RESOURCE_IDS_NOT_ARNS,
        Status.CUR_DUPLICATE_LINE_ITEMS,
        Status.CUR_IMPOSSIBLE_USAGE,
        Status.NO_FLOW_LOG_FILES,
        Status.FLOW_LOG_FORMAT_MISMATCH,
        Status.FLOW_LOG_LAYOUT_MISMATCH,
        Status.PARTIAL_FLOW_LOG_COVERAGE,
        Status.FLOW_LOG_DAMAGED,
        Status.NO_CUR_DATA,
        Status.CUR_WITHOUT_RESOURCE_IDS,
        Status.CUR_MONTHLY_GRANULARITY,
    }
)
ALERTED = frozenset({Status.MISMATCH, Status.MISSING_CUR, Status.MISSING_FLOW_LOGS}) | PROBLEM_STATUSES


class EgressTotals(NamedTuple):
    """What the flow logs measured of one ALB on D (the egress query, one flow log per ENI)."""

    egress_bytes: int
    skipdata_records: int = 0
    cloudfront_bytes: int = 0
    aws_service_bytes: int = 0


class CurTotals(NamedTuple):
    """What the CUR billed one ALB for D (the usage query)."""

    gb: float
    cost: float
    inter_region_gb: float = 0.0
    same_region_gb: float = 0.0
    net_cost: float | None = None  # net unblended, when every line of the ALB has it


def is_alerted(status: str, below_min_impact: bool = False) -> bool:
    """Whether a result is e-mailed: its status asks for attention, and it is not a measured
    difference worth less than MinImpactUSD (run-level problems and MISSING_CUR always are)."""
    return status in ALERTED and not below_min_impact


# the statuses MinImpactUSD applies to: a $ figure at the bill's own rate exists for them
IMPACT_FLOORED = frozenset({Status.MISMATCH, Status.MISSING_FLOW_LOGS})


@dataclass(frozen=True, slots=True)
class Thresholds:
    tolerance_percent: float = 1.0
    min_delta_gb: float = 0.01
    min_impact_usd: float = 0.0  # MinImpactUSD: a smaller estimated impact is stored, not e-mailed


@dataclass(frozen=True, slots=True)
class AlbDay:
    """One ALB's reconciliation for one day."""

    date: str
    load_balancer: str
    load_balancer_arn: str
    account_id: str
    region: str
    eni_count: int
    flow_log_bytes: int
    flow_log_gb: float
    cur_gb: float
    cur_unblended_cost: float
    delta_gb: float
    delta_pct: float | None
    status: Status
    skipdata_records: int
    effective_rate_usd_per_gb: float | None
    estimated_impact_usd: float | None
    # Egress the bill does not count as DataTransfer-Out-Bytes, reported beside the comparison:
    # to CloudFront edges (origin fetches are free) and to other AWS public IPs (inter-region).
    cloudfront_gb: float = 0.0
    aws_service_gb: float = 0.0
    egress_split: bool = True  # False: the format has no pkt-dst-aws-service, nothing could be split
    cur_inter_region_gb: float = 0.0  # the bill's <SRC>-<DST>-AWS-Out-Bytes of the ALB on D
    # the bill's DataTransfer-Regional-Bytes out of the ALB (operation ...-PublicIP-Out): to public
    # IPs of its own region, billed per GB but not internet egress
    cur_same_region_gb: float = 0.0
    # the bill's net unblended cost of the egress (EDP, private pricing) when every line has it;
    # the rate and the $ impact use it then ("net_unblended"), else the unblended cost
    cur_net_unblended_cost: float | None = None
    cost_basis: str = "unblended"
    # flow-log records of the ALB's ENIs that cannot be real (lines that do not parse, impossible
    # values): excluded from the bytes, counted here
    damaged_records: int = 0
    # more than one flow log recorded its ENIs: the one counted per ENI, and the others (never summed)
    flow_logs_counted: str = ""
    flow_logs_not_counted: str = ""
    # a MISMATCH / MISSING_FLOW_LOGS whose estimated $ impact is below MinImpactUSD: not e-mailed
    below_min_impact: bool = False

    @property
    def alerted(self) -> bool:
        return is_alerted(self.status, self.below_min_impact)

    def as_dict(self) -> dict:
        values = asdict(self)
        values["status"] = str(self.status)
        return values


def cur_covers_day(covered_until: str | None, day: date) -> bool:
    """Whether the CUR reaches the end of ``day``: its latest usage end (Athena's
    ``YYYY-MM-DD HH:MM:SS.fff``, UTC) is at or after D+1 00:00."""
    if not covered_until:
        return False
    try:
        reached = parse_instant(covered_until.strip().replace(" ", "T") + "+00:00")
    except InvalidDate:
        return False
    return format_instant(reached) >= day_bounds(day)[1]


def classify(
    flow_gb: float, cur_gb: float, cur_covers_day: bool, thresholds: Thresholds, flow_logged: bool = True
) -> Status:
    """``flow_logged``: the ALB's ENIs have at least one flow-log record starting in D (any
    direction or status: an ENI whose flow log is on logs NODATA when idle)."""
    if flow_gb == 0 and cur_gb == 0:
        return Status.NO_TRAFFIC
    if not cur_covers_day:
        return Status.PENDING_CUR  # comparing against a partial day would raise false alarms
    if not flow_logged:
        # Billed, and not one record of its ENIs: nothing was measured, however small the bill.
        return Status.MISSING_FLOW_LOGS
    allowed = max(thresholds.min_delta_gb, thresholds.tolerance_percent / 100 * max(flow_gb, cur_gb))
    if abs(flow_gb - cur_gb) <= allowed:
        return Status.MATCH
    if cur_gb == 0:
        return Status.MISSING_CUR
    if flow_gb == 0:
        return Status.MISSING_FLOW_LOGS
    return Status.MISMATCH


def reconcile_day(
    day: date,
    eni_counts: Mapping[str, int],
    egress_by_alb: Mapping[str, EgressTotals],
    cur_by_alb: Mapping[str, CurTotals],
    cur_covers_day: bool,
    scope: Scope,
    thresholds: Thresholds,
    egress_split: bool = True,
) -> list[AlbDay]:
    """Every in-scope ALB with ENIs on ``day`` or CUR usage on ``day``, sorted by name and ARN.

    ``eni_counts``: ARN -> ENIs of the day's ENI table; ``egress_by_alb``: ARN -> (internet egress
    bytes, SKIPDATA records[, CloudFront bytes, other AWS service bytes]) from the flow-log query,
    which has a row for every ALB whose ENIs logged any record in D;
    ``cur_by_alb``: ARN -> (GB, unblended cost) from the CUR query (every ALB AWS billed: a
    consolidated bill holds every account's).
    """
    results = []
    for arn in sorted(set(eni_counts) | set(cur_by_alb)):
        if not scope.covers(arn):
            continue  # out of scope, or a CUR resource id that is not an ALB ARN
        load_balancer = load_balancer_of(arn)
        # a plain tuple (a test's, an older caller's) of the first fields gets the others' defaults
        flow_bytes, skipdata, cloudfront, aws_service = EgressTotals(*egress_by_alb.get(arn, (0,)))
        cur_gb, cur_cost, inter_region, same_region, net_cost = CurTotals(*cur_by_alb.get(arn, (0.0, 0.0)))
        flow_gb = flow_bytes / BYTES_PER_GB
        flow_logged = arn in egress_by_alb  # the query has a row for every ALB with any record in D
        delta_gb = flow_gb - cur_gb
        paid = net_cost if net_cost is not None else cur_cost
        rate = paid / cur_gb if cur_gb > 0 else None
        status = classify(flow_gb, cur_gb, cur_covers_day, thresholds, flow_logged=flow_logged)
        impact = delta_gb * rate if rate is not None else None
        results.append(
            AlbDay(
                date=day.isoformat(),
                load_balancer=load_balancer.name,
                load_balancer_arn=arn,
                account_id=load_balancer.account,
                region=load_balancer.region,
                eni_count=int(eni_counts.get(arn, 0)),
                flow_log_bytes=int(flow_bytes),
                flow_log_gb=flow_gb,
                cur_gb=float(cur_gb),
                cur_unblended_cost=float(cur_cost),
                delta_gb=delta_gb,
                delta_pct=100 * delta_gb / cur_gb if cur_gb > 0 else None,
                status=status,
                skipdata_records=int(skipdata),
                effective_rate_usd_per_gb=rate,
                estimated_impact_usd=impact,
                cloudfront_gb=cloudfront / BYTES_PER_GB,
                aws_service_gb=aws_service / BYTES_PER_GB,
                egress_split=egress_split,
                cur_inter_region_gb=float(inter_region),
                cur_same_region_gb=float(same_region),
                cur_net_unblended_cost=None if net_cost is None else float(net_cost),
                cost_basis="unblended" if net_cost is None else "net_unblended",
                below_min_impact=status in IMPACT_FLOORED
                and impact is not None
                and abs(impact) < thresholds.min_impact_usd,
            )
        )
    return sorted(results, key=lambda r: (r.load_balancer, r.load_balancer_arn))


def out_of_scope_billed(cur_by_alb: Mapping[str, CurTotals], scope: Scope) -> int:
    """ALBs the CUR bills for D that the scope leaves out (counted in the run summary only)."""
    return sum(1 for arn in cur_by_alb if not scope.covers(arn))
