"""Writes one UTC day of realistic data, laid out exactly as AWS delivers it, with its ground truth.

Layout (docs/DESIGN.md §5), under ``DIR``:
- ``s3/<flow bucket>/<prefix>/AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/[HH/]`` (or the
  Hive-compatible ``aws-account-id=/aws-service=vpcflowlogs/aws-region=/year=/month=/day=/[hour=/]``)
  gzip text flow logs, AWS-named, one file per 5-minute delivery, header line in the configured
  format; one central bucket for every account and region of an Organization. Files are foldered
  by delivery time, so late records of D land in D+1's folder (and D-1's in D's).
- ``s3/<cur bucket>/<prefix>/<report>/<report>/year=YYYY/month=M/`` hourly legacy CUR Parquet (or
  CUR 2.0's ``<prefix>/<export>/data/BILLING_PERIOD=YYYY-MM/``).
- ``events/cloudtrail.json``: the ENIs' CloudTrail events (EventBridge envelopes).
- ``parameters.json``: template parameters for these buckets; ``ground-truth.json``: the answers.

Flow records are generated window by window (10-minute capture windows) with numpy and written
with pyarrow, so memory stays bounded whatever the day's volume. The ground truth is summed from
the same arrays by numpy, independently of any SQL.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from alb_egress.flowlog_format import FlowLogFormat

from .cloudtrail_events import create_event, delete_event, failed_delete_event

GIB = 2**30
CAPTURE_WINDOW = 600  # seconds: the default aggregation interval
DELIVERY_SLOT = 300  # seconds: flow log files are published about every 5 minutes
DT_OUT_PRICE = 0.09  # USD per GB, first 10 TB tier
USAGE_TYPE_PREFIX = {
    "us-east-1": "",
    "us-east-2": "USE2-",
    "us-west-1": "USW1-",
    "us-west-2": "USW2-",
    "eu-west-1": "EU-",
    "eu-west-2": "EUW2-",
    "eu-central-1": "EUC1-",
    "ap-northeast-1": "APN1-",
    "ap-southeast-1": "APS1-",
    "ap-southeast-2": "APS2-",
}

# Record kinds of ALB ENIs: (name, share, direction, traffic_path or None, action, counted as internet egress)
_KINDS = [
    ("egress_igw_nitro", 0.40, "egress", 8, "ACCEPT", True),
    ("egress_igw", 0.08, "egress", 2, "ACCEPT", True),
    ("egress_vpc", 0.14, "egress", 1, "ACCEPT", False),
    ("egress_peering", 0.02, "egress", 4, "ACCEPT", False),
    ("egress_igw_reject", 0.01, "egress", 8, "REJECT", False),
    ("ingress", 0.32, "ingress", None, "ACCEPT", False),
    ("ingress_reject", 0.03, "ingress", None, "REJECT", False),
]
# Egress to AWS public IPs through the internet gateway, marked by pkt-dst-aws-service: not
# DataTransfer-Out-Bytes on the bill (CloudFront origin fetches are free; other AWS regions are
# inter-region transfer). Present when DatasetSpec.aws_destination_share > 0.
_AWS_KINDS = [
    ("egress_cloudfront", "egress", 8, "ACCEPT", "CLOUDFRONT"),
    ("egress_aws_public", "egress", 8, "ACCEPT", "AMAZON"),
]


@dataclass(frozen=True)
class _Kinds:
    share: np.ndarray
    direction: np.ndarray
    path: np.ndarray  # -1: no traffic path (ingress)
    action: np.ndarray
    counted: np.ndarray  # internet egress (the bill's DataTransfer-Out-Bytes)
    dst_service: np.ndarray  # pkt-dst-aws-service, None for other addresses


def _kinds(aws_destination_share: float) -> _Kinds:
    rows = [(k[1], k[2], k[3] or -1, k[4], k[5], None) for k in _KINDS]
    total = sum(k[1] for k in _KINDS)
    if aws_destination_share > 0:
        each = total * aws_destination_share / (1 - aws_destination_share) / len(_AWS_KINDS)
        rows += [(each, d, p, a, False, service) for _n, d, p, a, service in _AWS_KINDS]
    share = np.array([r[0] for r in rows])
    return _Kinds(
        share=share / share.sum(),
        direction=np.array([r[1] for r in rows], dtype=object),
        path=np.array([r[2] for r in rows]),
        action=np.array([r[3] for r in rows], dtype=object),
        counted=np.array([r[4] for r in rows]),
        dst_service=np.array([r[5] for r in rows], dtype=object),
    )


@dataclass
class AlbSpec:
    name: str
    lb_id: str
    enis: int = 2
    cur_factor: float = 1.0  # CUR GB = flow GB x this (1.0: they match)
    flow_logs: bool = True  # False: the ALB's ENIs have no flow log (MISSING_FLOW_LOGS)
    billed: bool = True  # False: no CUR rows for it (MISSING_CUR)
    weight: float = 1.0  # share of the day's traffic relative to other ALBs
    account: str | None = None  # None: the dataset's account (an Organization has several)
    region: str | None = None  # None: the dataset's region
    billing_zone: str | None = None  # a Local Zone ("LAX1") or "Outposts": one more usage-type segment
    # Over a range of days (DatasetSpec.days > 1): the CUR factor of each day from the first on (the
    # last value holds for later days; empty: cur_factor), and days (0 = the first) whose records
    # the flow log lost, e.g. a flow log deleted for a day: MISSING_FLOW_LOGS on those days.
    cur_factor_by_day: tuple[float, ...] = ()
    flow_logs_lost_on: tuple[int, ...] = ()

    def cur_factor_on(self, offset: int) -> float:
        if not self.cur_factor_by_day:
            return self.cur_factor
        return self.cur_factor_by_day[min(offset, len(self.cur_factor_by_day) - 1)]


_NAME_PARTS = (
    ("shop", "pay", "search", "media", "auth", "cart", "feed", "api", "edge", "img", "chat", "ads"),
    ("web", "gateway", "svc", "public", "internal", "mobile", "batch", "live", "admin", "static"),
)


def random_albs(count: int, days: int, seed: int = 11) -> list[AlbSpec]:
    """``count`` ALBs of varied sizes. Most are billed as measured; about one in twenty drifts
    above or below its bill from a random day on, one in thirty loses its flow logs for a day."""
    rng = np.random.default_rng(seed)
    albs = []
    for n in range(count):
        first, second = (parts[rng.integers(len(parts))] for parts in _NAME_PARTS)
        draw = rng.random()
        by_day: tuple[float, ...] = ()
        lost: tuple[int, ...] = ()
        if draw < 0.05 and days > 1:
            start, step = int(rng.integers(days)), float(rng.choice([-1, 1]) * rng.uniform(0.01, 0.04))
            by_day = tuple(1.0 if d < start else 1.0 + step * (d - start + 1) for d in range(days))
        elif draw < 0.083:
            lost = (int(rng.integers(days)),)
        albs.append(
            AlbSpec(
                name=f"{first}-{second}-{n:03d}",
                lb_id=f"{int(rng.integers(2**63)):016x}",
                enis=int(rng.integers(1, 5)),
                weight=float(rng.lognormal(0, 1.0)),
                cur_factor_by_day=by_day,
                flow_logs_lost_on=lost,
            )
        )
    return albs


@dataclass
class DatasetSpec:
    day: date  # the first day
    albs: list[AlbSpec]
    days: int = 1  # consecutive days from `day` on, one continuous history (ENIs live across days)
    records_per_day: int = 20_000  # flow records of the ALBs' ENIs with start in D (approximately)
    account: str = "123456789012"
    region: str = "us-east-1"
    flow_log_format: str | None = None  # None: every v5 field in AWS's order
    flow_logs_bucket: str = "demo-flow-logs"
    flow_logs_prefix: str = "vpc"
    flow_log_id: str = "fl-0a1b2c3d4e5f67890"
    flow_logs_file_format: str = "text"  # or "parquet" (the flow log's Parquet delivery)
    hive_partitions: bool = False  # DestinationOptions HiveCompatiblePartitions
    per_hour_partitions: bool = False  # DestinationOptions PerHourPartition
    cur_bucket: str = "demo-cur"
    cur_prefix: str = "billing"
    cur_report_name: str = "hourly-cur"
    cur_format: str = "legacy"
    cur_delivered_through: int = 30  # hours after the last day's 00:00 the CUR reaches (< 24: not covered)
    cur_resource_ids: bool = True  # False: a report without "Include resource IDs" (no such column)
    cur_granularity: str = "HOURLY"  # or "MONTHLY": usage lines span the month (nothing per day)
    cur2_deliveries: int = 0  # CUR 2.0 "create new export file": this many refreshes, each in its folder
    cur_status: str = "READY"  # the legacy CUR's status table: READY, or UPDATING during a refresh
    mid_day_changes: bool = True  # one ENI created and one deleted during D (each day: another ALB)
    mid_day_change_albs: int = 1  # how many ALBs (the first ones) replace an ENI so on D
    unrelated_enis: int = 3  # instance ENIs with internet egress, not in the inventory
    skipdata_per_eni: int = 1  # SKIPDATA records per ALB ENI per day
    malformed_lines: int = 0  # garbage lines appended to a D file (must be reported, never summed)
    aws_destination_share: float = 0.0  # of ALB records: egress to CloudFront and other AWS public IPs
    seed: int = 7
    extra_parameters: dict[str, str] = field(default_factory=dict)


@dataclass
class Eni:
    eni_id: str
    alb: AlbSpec | None  # None: an unrelated (instance) ENI
    created: datetime
    deleted: datetime | None = None
    subnet: str = "subnet-0aaa000000000000a"
    az: str = "us-east-1a"

    def alive(self, moment: datetime) -> bool:
        return self.created <= moment and (self.deleted is None or moment < self.deleted)


def home(spec: DatasetSpec, alb: AlbSpec | None) -> tuple[str, str]:
    """The account and region an ALB (None: an unrelated instance) lives in."""
    if alb is None:
        return spec.account, spec.region
    return alb.account or spec.account, alb.region or spec.region


def load_balancer_arn(spec: DatasetSpec, alb: AlbSpec) -> str:
    account, region = home(spec, alb)
    return f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{alb.name}/{alb.lb_id}"


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _enis(spec: DatasetSpec) -> list[Eni]:
    d0 = _midnight(spec.day)
    enis: list[Eni] = []
    counter = 0
    for alb_index, alb in enumerate(spec.albs):
        first = len(enis)
        for i in range(alb.enis):
            counter += 1
            az = f"{home(spec, alb)[1]}{'abc'[i % 3]}"
            eni = Eni(
                eni_id=f"eni-0{alb_index + 1:04x}{counter:012x}",
                alb=alb,
                created=d0 - timedelta(days=20 + i, hours=3),
                subnet=f"subnet-0{i % 3 + 10:016x}",
                az=az,
            )
            enis.append(eni)
        if spec.mid_day_changes and alb_index < spec.mid_day_change_albs:
            # The ALB scales: one new ENI at 13:20, one old ENI gone at 09:45.
            counter += 1
            enis.append(
                Eni(
                    f"eni-0{alb_index + 1:04x}{counter:012x}",
                    alb,
                    d0 + timedelta(hours=13, minutes=20),
                    az=f"{home(spec, alb)[1]}c",
                )
            )
            enis[first].deleted = d0 + timedelta(hours=9, minutes=45)
    if spec.mid_day_changes and spec.albs:
        # Later days of a range: each day another ALB scales out at 09:45 and drops its oldest
        # ENI at 13:20, so ENIs created on one day are deleted on a later one.
        for offset in range(1, spec.days):
            alb_index = offset % len(spec.albs)
            alb = spec.albs[alb_index]
            day_start = d0 + timedelta(days=offset)
            counter += 1
            alive = [e for e in enis if e.alb is alb and e.deleted is None]
            enis.append(
                Eni(
                    f"eni-0{alb_index + 1:04x}{counter:012x}",
                    alb,
                    day_start + timedelta(hours=9, minutes=45),
                    az=f"{home(spec, alb)[1]}b",
                )
            )
            if alive:
                min(alive, key=lambda e: e.created).deleted = day_start + timedelta(hours=13, minutes=20)
    for n in range(spec.unrelated_enis):
        enis.append(Eni(f"eni-0ff{n:014x}", None, d0 - timedelta(days=40)))
    # An ENI of the same ALB deleted the day before D: belongs to no part of D.
    if spec.albs:
        counter += 1
        enis.append(
            Eni(
                f"eni-0{1:04x}{counter:012x}",
                spec.albs[0],
                d0 - timedelta(days=9),
                deleted=d0 - timedelta(hours=5),
            )
        )
    return enis


class _FlowLogWriter:
    """Buffers records per delivery slot and writes each slot's file once no later window can add to it."""

    def __init__(
        self, spec: DatasetSpec, data_dir: Path, fmt: FlowLogFormat, account: str, region: str
    ) -> None:
        self.spec, self.fmt, self.account, self.region = spec, fmt, account, region
        logs = data_dir / "s3" / spec.flow_logs_bucket / spec.flow_logs_prefix / "AWSLogs"
        if spec.hive_partitions:
            self.root = (
                logs / f"aws-account-id={account}" / "aws-service=vpcflowlogs" / f"aws-region={region}"
            )
        else:
            self.root = logs / account / "vpcflowlogs" / region
        self.pending: dict[int, list[pa.Table]] = {}
        self.files: list[Path] = []
        self.records = 0

    def add(self, slot_seconds: np.ndarray, table: pa.Table) -> None:
        for slot in np.unique(slot_seconds):
            self.pending.setdefault(int(slot), []).append(table.filter(pa.array(slot_seconds == slot)))

    def flush_before(self, moment: int | None) -> None:
        for slot in sorted(self.pending):
            if moment is not None and slot >= moment:
                break
            self._write(slot, pa.concat_tables(self.pending.pop(slot)))

    def _write(self, slot: int, table: pa.Table) -> None:
        stamp = datetime.fromtimestamp(slot, UTC)
        if self.spec.hive_partitions:
            folder = self.root / f"year={stamp:%Y}" / f"month={stamp:%m}" / f"day={stamp:%d}"
            folder = folder / f"hour={stamp:%H}" if self.spec.per_hour_partitions else folder
        else:
            folder = self.root / f"{stamp:%Y}" / f"{stamp:%m}" / f"{stamp:%d}"
            folder = folder / f"{stamp:%H}" if self.spec.per_hour_partitions else folder
        folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha1(
            f"{self.spec.flow_log_id}{self.account}{self.region}{slot}".encode(), usedforsecurity=False
        ).hexdigest()
        owner = f"{self.account}_vpcflowlogs_{self.region}_{self.spec.flow_log_id}"
        if self.spec.flow_logs_file_format == "parquet":
            path = folder / f"{owner}_{stamp:%Y%m%dT%H%M}Z_{digest[:8]}.log.parquet"
            pq.write_table(_typed(table, self.fmt), path, compression="snappy")
            self.files.append(path)
            self.records += table.num_rows
            return
        path = folder / f"{owner}_{stamp:%Y%m%dT%H%M}Z_{digest[:8]}.log.gz"
        with gzip.open(path, "wb", compresslevel=6) as handle:
            handle.write((self.fmt.header + "\n").encode())
            pacsv.write_csv(
                table,
                handle,
                write_options=pacsv.WriteOptions(include_header=False, delimiter=" ", quoting_style="none"),
            )
        self.files.append(path)
        self.records += table.num_rows


def _typed(table: pa.Table, fmt: FlowLogFormat) -> pa.Table:
    """The Parquet delivery's columns: numbers as int32/int64, absent values as nulls (not "-")."""
    arrow_types = {"int": pa.int32(), "bigint": pa.int64(), "string": pa.string()}
    columns = []
    for (_column, athena_type), field_name in zip(fmt.columns, fmt.fields, strict=True):
        values = table.column(field_name)
        values = pc.if_else(pc.equal(values, "-"), pa.scalar(None, pa.string()), values)
        columns.append(values.cast(arrow_types[athena_type]))
    return pa.Table.from_arrays(columns, names=[c for c, _ in fmt.columns])


def _columns(fmt: FlowLogFormat, values: dict[str, np.ndarray | pa.Array], n: int) -> pa.Table:
    """A table of strings in the format's field order; absent values are ``-`` as AWS writes them."""
    arrays = []
    for field_name in fmt.fields:
        value = values.get(field_name)
        if value is None:
            arrays.append(pa.array(np.full(n, "-", dtype=object), type=pa.string()))
            continue
        array = value if isinstance(value, pa.Array) else pa.array(value)
        if not pa.types.is_string(array.type):
            array = array.cast(pa.string())
        arrays.append(array.fill_null("-"))
    return pa.Table.from_arrays(arrays, names=list(fmt.fields))


def _organization_scope(spec: DatasetSpec) -> dict[str, str]:
    """ALBs in several accounts or regions make an Organization: its scope is theirs, written into
    parameters.json, so the dataset reconciles every ALB it holds without further flags."""
    accounts = sorted({alb.account or spec.account for alb in spec.albs})
    regions = sorted({alb.region or spec.region for alb in spec.albs})
    if len(accounts) == 1 and len(regions) == 1:
        return {}
    return {"Accounts": ",".join(accounts), "Regions": ",".join(regions)}


@dataclass
class _Truth:
    """What the range's records add up to (the ground truth's arrays), per ENI and day of the
    range unless said: the one place a new rule's answer is counted (``_count_logged``)."""

    counted: np.ndarray  # internet egress bytes with start in each day, as logged
    to_cloudfront: np.ndarray  # egress to CloudFront / other AWS public IPs, as logged
    to_aws: np.ndarray
    skipdata: np.ndarray  # SKIPDATA records
    billed_hour_bytes: np.ndarray  # per ALB and hour of the range, logged or not: the bill's side

    @classmethod
    def zeros(cls, enis: int, albs: int, days: int) -> _Truth:
        per_eni = functools.partial(np.zeros, (enis, days), dtype=np.int64)
        return cls(per_eni(), per_eni(), per_eni(), per_eni(), np.zeros((albs, 24 * days), dtype=np.int64))


@dataclass
class _Range:
    """The range's fixed arrays, indexed by ENI: what every record of an ENI carries."""

    spec: DatasetSpec
    fmt: FlowLogFormat
    enis: list[Eni]
    day_start: int
    day_end: int
    homes: list[tuple[str, str]]  # the (account, region) folders of the central bucket
    home_of_eni: np.ndarray
    eni_ids: np.ndarray
    account_of_eni: np.ndarray
    region_of_eni: np.ndarray
    alb_of_eni: np.ndarray  # index in spec.albs, -1: an unrelated instance ENI
    subnet_of_eni: np.ndarray
    instance_of_eni: np.ndarray
    alb_enis: list[int]
    # ENIs of ALBs without a flow log still carry traffic (the CUR bills it); it is just not logged.
    logged: np.ndarray
    # Index 0 of a day axis with one more slot: records just before/after the range are never lost.
    lost: np.ndarray

    @classmethod
    def of(cls, spec: DatasetSpec, fmt: FlowLogFormat) -> _Range:
        enis = _enis(spec)
        d0 = _midnight(spec.day)
        homes = sorted({home(spec, e.alb) for e in enis})
        lost = np.zeros((len(enis), spec.days + 2), dtype=bool)
        for i, e in enumerate(enis):
            for offset in e.alb.flow_logs_lost_on if e.alb else ():
                if 0 <= offset < spec.days:
                    lost[i, offset + 1] = True
        return cls(
            spec=spec,
            fmt=fmt,
            enis=enis,
            day_start=int(d0.timestamp()),
            day_end=int((d0 + timedelta(days=spec.days)).timestamp()),
            homes=homes,
            home_of_eni=np.array([homes.index(home(spec, e.alb)) for e in enis]),
            eni_ids=np.array([e.eni_id for e in enis], dtype=object),
            account_of_eni=np.array([home(spec, e.alb)[0] for e in enis], dtype=object),
            region_of_eni=np.array([home(spec, e.alb)[1] for e in enis], dtype=object),
            alb_of_eni=np.array([spec.albs.index(e.alb) if e.alb else -1 for e in enis]),
            subnet_of_eni=np.array([e.subnet for e in enis], dtype=object),
            instance_of_eni=np.array([None if e.alb else "i-0abc1234def567890" for e in enis], dtype=object),
            alb_enis=[i for i, e in enumerate(enis) if e.alb is not None],
            logged=np.array([e.alb is None or e.alb.flow_logs for e in enis]),
            lost=lost,
        )

    def day_slot(self, seconds: np.ndarray) -> np.ndarray:
        return np.clip((seconds - self.day_start) // 86400 + 1, 0, self.spec.days + 1)

    def hour_of(self, seconds: np.ndarray) -> np.ndarray:
        return (seconds - self.day_start) // 3600


# One batch of a capture window's records, as delivered: 5-minute file slots, owners, the table.
_Delivery = tuple[np.ndarray, np.ndarray, pa.Table]


def _count_billed(r: _Range, truth: _Truth, kinds: _Kinds, owner, kind, start, size) -> None:
    """The bill's side: every internet-egress byte of an ALB starting in the range, logged or not."""
    in_day = (start >= r.day_start) & (start < r.day_end)
    billed = kinds.counted[kind] & in_day & (r.alb_of_eni[owner] >= 0)
    np.add.at(truth.billed_hour_bytes, (r.alb_of_eni[owner][billed], r.hour_of(start[billed])), size[billed])


def _count_logged(r: _Range, truth: _Truth, kinds: _Kinds, owner, kind, start, size) -> None:
    """The flow logs' side: what the logged records of each ENI add up to on each day."""
    in_day = (start >= r.day_start) & (start < r.day_end)
    offset = r.day_slot(start) - 1
    mask = kinds.counted[kind] & in_day
    np.add.at(truth.counted, (owner[mask], offset[mask]), size[mask])
    dst_service = kinds.dst_service[kind]
    for service, totals in (("CLOUDFRONT", truth.to_cloudfront), ("AMAZON", truth.to_aws)):
        mask = (dst_service == service) & in_day
        np.add.at(totals, (owner[mask], offset[mask]), size[mask])


def _traffic_records(
    r: _Range, truth: _Truth, kinds: _Kinds, rng, window: int, owner, kind
) -> _Delivery | None:
    """Records of ``owner`` ENIs in the capture window at ``window``, counted into the truth."""
    n = owner.size
    start = window + rng.integers(0, CAPTURE_WINDOW, n)
    end = np.minimum(start + rng.integers(1, CAPTURE_WINDOW, n), window + CAPTURE_WINDOW + 5)
    size = np.maximum(40, rng.lognormal(mean=11.0, sigma=1.6, size=n).astype(np.int64))
    _count_billed(r, truth, kinds, owner, kind, start, size)
    visible = r.logged[owner] & ~r.lost[owner, r.day_slot(start)]
    if not visible.all():
        owner, kind, start, end, size = (a[visible] for a in (owner, kind, start, end, size))
        n = int(visible.sum())
        if n == 0:
            return None
    _count_logged(r, truth, kinds, owner, kind, start, size)
    direction, path_values, action = kinds.direction[kind], kinds.path[kind], kinds.action[kind]
    egress = direction == "egress"
    values = {
        "version": np.full(n, 5),
        "account-id": r.account_of_eni[owner],
        "interface-id": r.eni_ids[owner],
        "srcaddr": np.where(egress, "10.0.1.23", "203.0.113.7"),
        "dstaddr": np.where(egress, "198.51.100.9", "10.0.1.23"),
        "srcport": np.where(egress, 443, rng.integers(1024, 65535, n)),
        "dstport": np.where(egress, rng.integers(1024, 65535, n), 443),
        "protocol": np.full(n, 6),
        "packets": np.maximum(1, size // 1200),
        "bytes": size,
        "start": start,
        "end": end,
        "action": action,
        "log-status": np.full(n, "OK", dtype=object),
        "vpc-id": np.full(n, "vpc-0a1b2c3d4e5f60718", dtype=object),
        "subnet-id": r.subnet_of_eni[owner],
        "instance-id": pa.array(r.instance_of_eni[owner], pa.string()),
        "tcp-flags": rng.choice([2, 3, 18, 19], n),
        "type": np.full(n, "IPv4", dtype=object),
        "pkt-srcaddr": np.where(egress, "10.0.1.23", "203.0.113.7"),
        "pkt-dstaddr": np.where(egress, "198.51.100.9", "10.0.1.23"),
        "pkt-dst-aws-service": pa.array(kinds.dst_service[kind], pa.string()),
        "region": r.region_of_eni[owner],
        "az-id": np.full(n, "use1-az1", dtype=object),
        "flow-direction": direction,
        "traffic-path": pa.array(path_values, mask=path_values < 0),
    }
    # Delivered a few minutes after the capture window closes, in 5-minute files.
    delivered = window + CAPTURE_WINDOW + rng.integers(60, 540, n)
    return delivered - delivered % DELIVERY_SLOT, owner, _columns(r.fmt, values, n)


def _status_records(
    r: _Range, truth: _Truth, rng, window: int, live: list[int], skip_windows: dict[int, set[int]]
) -> _Delivery | None:
    """NODATA / SKIPDATA records of the live logged ENIs: most fields "-" (AWS's documented shape)."""
    slot = int(r.day_slot(np.array([window]))[0])
    status_rows = [
        (i, "SKIPDATA") for i in live if r.logged[i] and not r.lost[i, slot] and window in skip_windows[i]
    ]
    status_rows += [
        (i, "NODATA") for i in live if r.logged[i] and not r.lost[i, slot] and rng.random() < 0.02
    ]
    if not status_rows:
        return None
    owners = np.array([i for i, _ in status_rows])
    statuses = np.array([s for _, s in status_rows], dtype=object)
    n = owners.size
    if r.day_start <= window < r.day_end:
        np.add.at(truth.skipdata, (owners[statuses == "SKIPDATA"], slot - 1), 1)
    values = {
        "version": np.full(n, 5),
        "account-id": r.account_of_eni[owners],
        "interface-id": r.eni_ids[owners],
        "start": np.full(n, window),
        "end": np.full(n, window + CAPTURE_WINDOW),
        "log-status": statuses,
    }
    delivered = window + CAPTURE_WINDOW + 120
    return np.full(n, delivered - delivered % DELIVERY_SLOT), owners, _columns(r.fmt, values, n)


def _skip_windows(r: _Range, rng) -> dict[int, set[int]]:
    """The capture windows each ALB ENI reports SKIPDATA in, ``skipdata_per_eni`` a day."""
    return {
        i: {
            int(w)
            for offset in range(r.spec.days)
            for w in rng.choice(
                np.arange(r.day_start + offset * 86400, r.day_start + (offset + 1) * 86400, CAPTURE_WINDOW),
                size=r.spec.skipdata_per_eni,
                replace=False,
            )
        }
        for i in r.alb_enis
    }


def generate(spec: DatasetSpec, data_dir: Path, progress: Callable[[int, int], None] | None = None) -> dict:
    """Writes the dataset; returns (and writes) the ground truth (per day when ``spec.days > 1``).
    ``progress(done, total)`` is told of each capture window written (the CLI's progress bar)."""
    if spec.days < 1:
        raise ValueError("a dataset has at least one day")
    data_dir = Path(data_dir)
    rng = np.random.default_rng(spec.seed)
    fmt = FlowLogFormat.parse(spec.flow_log_format)
    r = _Range.of(spec, fmt)
    truth = _Truth.zeros(len(r.enis), len(spec.albs), spec.days)
    kinds = _kinds(spec.aws_destination_share)
    writers = {h: _FlowLogWriter(spec, data_dir, fmt, *h) for h in r.homes}

    def deliver(delivery: _Delivery | None) -> None:
        """Each record goes to its ENI's account and region folder of the central bucket."""
        if delivery is None:
            return
        slots, owners, table = delivery
        where = r.home_of_eni[owners]
        for index in np.unique(where):
            mask = where == index
            writers[r.homes[index]].add(slots[mask], table.filter(pa.array(mask)))

    weights = np.array([r.enis[i].alb.weight for i in r.alb_enis]) if r.alb_enis else np.array([])
    weight_index = {eni: position for position, eni in enumerate(r.alb_enis)}
    windows = range(r.day_start - 3 * CAPTURE_WINDOW, r.day_end + 3 * CAPTURE_WINDOW, CAPTURE_WINDOW)
    per_window = spec.records_per_day / (86400 / CAPTURE_WINDOW)
    skip_windows = _skip_windows(r, rng)

    for done, window in enumerate(windows):
        if progress is not None:
            progress(done, len(windows))
        moment = datetime.fromtimestamp(window, UTC)
        live = [i for i in r.alb_enis if r.enis[i].alive(moment)]
        unrelated = [i for i, e in enumerate(r.enis) if e.alb is None and e.alive(moment)]
        batches = []
        if live:
            w = weights[[weight_index[i] for i in live]]
            n = rng.poisson(per_window)
            owner = np.array(live)[rng.choice(len(live), size=n, p=w / w.sum())]
            kind = rng.choice(len(kinds.share), size=n, p=kinds.share)
            batches.append((owner, kind))
        if unrelated:  # instances sending to the internet: never part of any ALB
            n = max(1, int(per_window * 0.1))
            batches.append(
                (np.array(unrelated)[rng.integers(0, len(unrelated), n)], np.zeros(n, dtype=np.int64))
            )
        for owner, kind in batches:
            if owner.size:
                deliver(_traffic_records(r, truth, kinds, rng, window, owner, kind))
        deliver(_status_records(r, truth, rng, window, live, skip_windows))
        for writer in writers.values():
            writer.flush_before(window + CAPTURE_WINDOW)
    for writer in writers.values():
        writer.flush_before(None)

    if spec.malformed_lines and spec.flow_logs_file_format == "text":
        _append_malformed(
            writers[home(spec, None)] if home(spec, None) in writers else writers[r.homes[0]],
            spec,
            fmt,
            r.day_start,
        )

    cur_rows = _write_cur(spec, data_dir, truth.billed_hour_bytes, rng)
    events = _write_events(spec, data_dir, r.enis)
    parameters = {
        "FlowLogsBucket": spec.flow_logs_bucket,
        "FlowLogsPrefix": spec.flow_logs_prefix,
        "FlowLogFormat": fmt.format_string(),
        "FlowLogsFileFormat": spec.flow_logs_file_format,
        "FlowLogsHiveCompatiblePartitions": str(spec.hive_partitions).lower(),
        "FlowLogsPerHourPartition": str(spec.per_hour_partitions).lower(),
        "CurBucket": spec.cur_bucket,
        "CurPrefix": spec.cur_prefix,
        "CurReportName": spec.cur_report_name,
        "CurFormat": spec.cur_format,
        **_organization_scope(spec),
        **spec.extra_parameters,
    }
    (data_dir / "parameters.json").write_text(json.dumps(parameters, indent=2) + "\n")

    answers = _ground_truth(spec, r.enis, truth, list(writers.values()), cur_rows, events)
    (data_dir / "ground-truth.json").write_text(json.dumps(answers, indent=2) + "\n")
    return answers


def _append_malformed(writer: _FlowLogWriter, spec: DatasetSpec, fmt: FlowLogFormat, day_start: int) -> None:
    """Garbage appended to the first file of D: truncated lines and a non-numeric byte count."""
    target = next(p for p in writer.files if f"{spec.day:%Y%m%d}T" in p.name)
    eni = "eni-0ff00000000000000"
    lines = []
    for n in range(spec.malformed_lines):
        if n % 2 == 0:
            lines.append(f"5 {spec.account} {eni} 10.0.1.5 198.51.100.9")
        else:
            fields = {f: "-" for f in fmt.fields}
            fields.update(
                {"version": "5", "interface-id": eni, "bytes": "12x4", "start": str(day_start + 60)}
            )
            lines.append(" ".join(fields[f] for f in fmt.fields))
    with gzip.open(target, "ab") as handle:  # a second gzip member, as `cat a.gz b.gz` would make
        handle.write(("\n".join(lines) + "\n").encode())


def _write_cur(  # noqa: PLR0915 - the two CUR formats' columns, line by line as AWS writes them
    spec: DatasetSpec, data_dir: Path, billed_hour_bytes: np.ndarray, rng
) -> int:
    """Hourly CUR rows from the first day's billing period up to ``cur_delivered_through`` hours after
    the last day's 00:00; ``billed_hour_bytes[alb, hour of the range]`` is what each ALB sent."""
    d0 = _midnight(spec.day)
    period_start = d0.replace(day=1)
    # As AWS delivers it: hour by hour, into the next billing period's own report when it gets there.
    until = d0 + timedelta(days=spec.days - 1, hours=spec.cur_delivered_through)
    next_period = (period_start + timedelta(days=32)).replace(day=1)
    rows: dict[str, list] = {k: [] for k in _CUR_COLUMNS}

    def add(
        start: datetime,
        product: str,
        usage_type: str,
        operation: str,
        resource: str | None,
        amount: float,
        rate: float,
        item_type: str = "Usage",
        unit: str = "GB",
        where: tuple[str, str] | None = None,
        end: datetime | None = None,
    ) -> None:
        account, region = where or (spec.account, spec.region)
        rows["identity_line_item_id"].append(
            hashlib.sha1(
                f"{start}{usage_type}{resource}{item_type}".encode(), usedforsecurity=False
            ).hexdigest()
        )
        rows["identity_time_interval"].append(
            f"{start:%Y-%m-%dT%H:%M:%SZ}/{start + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"
        )
        rows["bill_invoice_id"].append("")
        if spec.cur_granularity == "MONTHLY" and item_type == "Usage":  # every usage line spans its month
            month = start.replace(day=1, hour=0, minute=0, second=0)
            start, end = month, (month + timedelta(days=32)).replace(day=1)
        rows["bill_billing_period_start_date"].append(
            start.replace(day=1, hour=0, minute=0, second=0, tzinfo=None)  # the row's own billing period
        )
        rows["bill_payer_account_id"].append(spec.account)
        rows["line_item_usage_account_id"].append(account)
        rows["line_item_line_item_type"].append(item_type)
        rows["line_item_usage_start_date"].append(start.replace(tzinfo=None))
        rows["line_item_usage_end_date"].append((end or start + timedelta(hours=1)).replace(tzinfo=None))
        rows["line_item_product_code"].append(product)
        rows["line_item_usage_type"].append(usage_type)
        rows["line_item_operation"].append(operation)
        rows["line_item_resource_id"].append(resource)
        rows["line_item_usage_amount"].append(float(amount))
        rows["line_item_currency_code"].append("USD")
        rows["line_item_unblended_rate"].append(f"{rate}")
        rows["line_item_unblended_cost"].append(float(amount) * rate)
        rows["pricing_unit"].append(unit)
        rows["product_region"].append(region)
        rows["product_product_name"].append(_PRODUCT_NAMES.get(product, product))

    hour = period_start
    prefix = USAGE_TYPE_PREFIX.get(spec.region, "XX1-")
    nlb_arn = load_balancer_arn(spec, AlbSpec("tcp-ingest", "1122334455667788")).replace("/app/", "/net/")
    while hour < until:
        on_day = d0 <= hour < d0 + timedelta(days=spec.days)
        for alb_index, alb in enumerate(spec.albs):
            arn = load_balancer_arn(spec, alb)
            where = home(spec, alb)
            add_here = functools.partial(add, where=where)  # a consolidated bill: the ALB's account/region
            prefix = USAGE_TYPE_PREFIX.get(where[1], "XX1-")
            if alb.billing_zone:  # e.g. USW2-LAX1-DataTransfer-Out-Bytes
                prefix = f"{prefix or 'USE1-'}{alb.billing_zone}-"
            if not alb.billed:
                continue
            if on_day:
                hour_index = int((hour - d0).total_seconds()) // 3600
                gb = billed_hour_bytes[alb_index][hour_index] / GIB * alb.cur_factor_on(hour_index // 24)
            else:
                gb = float(rng.gamma(2.0, 0.5))
            if gb > 0:
                add_here(
                    hour,
                    "AWSELB",
                    f"{prefix}DataTransfer-Out-Bytes",
                    "LoadBalancing:Application",
                    arn,
                    gb,
                    DT_OUT_PRICE,
                )
            add_here(
                hour,
                "AWSELB",
                f"{prefix}LoadBalancerUsage",
                "LoadBalancing:Application",
                arn,
                1.0,
                0.0225,
                unit="Hrs",
            )
            add_here(
                hour,
                "AWSELB",
                f"{prefix}LCUUsage",
                "LoadBalancing:Application",
                arn,
                float(rng.gamma(2, 1)),
                0.008,
                unit="LCU-Hrs",
            )
            add_here(
                hour,
                "AWSELB",
                f"{prefix}DataTransfer-In-Bytes",
                "LoadBalancing:Application",
                arn,
                float(rng.gamma(2, 0.2)),
                0.0,
            )
        prefix = USAGE_TYPE_PREFIX.get(spec.region, "XX1-")
        # Noise that must never be counted: NLB and EC2 egress, inter-region transfer.
        add(
            hour,
            "AWSELB",
            f"{prefix}DataTransfer-Out-Bytes",
            "LoadBalancing:Network",
            nlb_arn,
            0.7,
            DT_OUT_PRICE,
        )
        add(
            hour,
            "AmazonEC2",
            f"{prefix}DataTransfer-Out-Bytes",
            "RunInstances",
            "i-0abc1234def567890",
            2.5,
            DT_OUT_PRICE,
        )
        add(
            hour,
            "AWSELB",
            f"{prefix}USE1-USW2-AWS-Out-Bytes" if not prefix else f"{prefix}USE1-AWS-Out-Bytes",
            "LoadBalancing:Application",
            load_balancer_arn(spec, spec.albs[0]) if spec.albs else None,
            0.3,
            0.02,
        )
        hour += timedelta(hours=1)
    if spec.albs and spec.albs[0].billed:  # a credit on D's transfer: not Usage, not counted
        add(
            d0 + timedelta(hours=3),
            "AWSELB",
            f"{prefix}DataTransfer-Out-Bytes",
            "LoadBalancing:Application",
            load_balancer_arn(spec, spec.albs[0]),
            0.0,
            0.0,
            item_type="Credit",
        )
        rows["line_item_unblended_cost"][-1] = -1.25
    add(period_start, "AWSELB", "", "", None, 0.0, 0.0, item_type="Tax", unit="")
    # A monthly fee spans the whole month from the first delivery on: its end says nothing about D.
    add(
        period_start,
        "AWSSupportBusiness",
        "Dollar",
        "",
        None,
        1.0,
        100.0,
        item_type="Fee",
        unit="",
        end=next_period,
    )

    table = pa.table(
        {
            k: pa.array(v, type=_CUR_COLUMNS[k])
            for k, v in rows.items()
            if spec.cur_resource_ids or k != "line_item_resource_id"
        }
    )
    if spec.cur_format == "cur2":  # CUR 2.0 names the region product_region_code
        table = table.rename_columns(
            ["product_region_code" if n == "product_region" else n for n in table.column_names]
        )
    # As AWS delivers them, one report per billing period, written independently of the pipeline's
    # own layout code (statements.py).
    report = data_dir / "s3" / spec.cur_bucket / spec.cur_prefix / spec.cur_report_name
    periods = table.column("bill_billing_period_start_date")
    if spec.cur_format == "legacy":  # the Athena integration's status table (create-manual-cur-table.html)
        status = report / "cost_and_usage_data_status"
        status.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"status": [spec.cur_status]}), status / "cost_and_usage_data_status.parquet")
    for period in pc.unique(periods).to_pylist():
        rows_of_period = table.filter(pc.equal(periods, pa.scalar(period, periods.type)))
        if spec.cur_format == "legacy":
            folder = report / spec.cur_report_name / f"year={period.year}" / f"month={period.month}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                rows_of_period, folder / f"{spec.cur_report_name}-00001.snappy.parquet", compression="snappy"
            )
            continue
        _write_cur2_period(spec, data_dir, report, period, rows_of_period)
    return table.num_rows


def _write_cur2_period(spec: DatasetSpec, data_dir: Path, report: Path, period, rows: pa.Table) -> None:
    """CUR 2.0: the period's files (overwrite mode), or one folder per refresh ("create new export
    file", cur2_deliveries > 0; earlier refreshes held lower, estimated amounts), then the
    Manifest.json of the latest delivery (dataexports-manifest.html)."""
    period_folder = report / "data" / f"BILLING_PERIOD={period:%Y-%m}"
    name = f"{spec.cur_report_name}-00001.snappy.parquet"
    folders = [period_folder]
    if spec.cur2_deliveries:
        folders = []
        for hour in range(1, spec.cur2_deliveries + 1):  # <timestamp>-<execution id>, oldest first
            execution = hashlib.sha1(f"{period}{hour}".encode(), usedforsecurity=False).hexdigest()[:8]
            folders.append(period_folder / f"{spec.day:%Y%m%d}T{hour:02d}0000Z-{execution}")
    for position, folder in enumerate(folders, start=1):
        folder.mkdir(parents=True, exist_ok=True)
        refresh = rows
        if position < len(folders):  # an earlier refresh: the same lines with estimated amounts
            amounts = pc.multiply(rows.column("line_item_usage_amount"), 0.5)
            refresh = rows.set_column(
                rows.schema.get_field_index("line_item_usage_amount"), "line_item_usage_amount", amounts
            )
        pq.write_table(refresh, folder / name, compression="snappy")
    metadata = report / "metadata" / f"BILLING_PERIOD={period:%Y-%m}"
    metadata.mkdir(parents=True, exist_ok=True)
    latest = folders[-1] / name
    manifest = {
        "executionId": folders[-1].name,
        "exportArn": f"arn:aws:bcm-data-exports:us-east-1:{spec.account}:export/{spec.cur_report_name}",
        "columns": [{"name": c, "type": str(rows.schema.field(c).type)} for c in rows.column_names],
        "dataFiles": [f"s3://{latest.relative_to(data_dir / 's3')}"],
        "additionalOutputFiles": [],
    }
    (metadata / f"{spec.cur_report_name}-Manifest.json").write_text(json.dumps(manifest, indent=1))


_PRODUCT_NAMES = {"AWSELB": "Elastic Load Balancing", "AmazonEC2": "Amazon Elastic Compute Cloud"}
_CUR_COLUMNS = {
    "identity_line_item_id": pa.string(),
    "identity_time_interval": pa.string(),
    "bill_invoice_id": pa.string(),
    "bill_billing_period_start_date": pa.timestamp("ms", tz="UTC"),  # as AWS writes them (real-samples/)
    "bill_payer_account_id": pa.string(),
    "line_item_usage_account_id": pa.string(),
    "line_item_line_item_type": pa.string(),
    "line_item_usage_start_date": pa.timestamp("ms", tz="UTC"),  # as AWS writes them (real-samples/)
    "line_item_usage_end_date": pa.timestamp("ms", tz="UTC"),  # as AWS writes them (real-samples/)
    "line_item_product_code": pa.string(),
    "line_item_usage_type": pa.string(),
    "line_item_operation": pa.string(),
    "line_item_resource_id": pa.string(),
    "line_item_usage_amount": pa.float64(),
    "line_item_currency_code": pa.string(),
    "line_item_unblended_rate": pa.string(),
    "line_item_unblended_cost": pa.float64(),
    "pricing_unit": pa.string(),
    "product_region": pa.string(),
    "product_product_name": pa.string(),
}


def _write_events(spec: DatasetSpec, data_dir: Path, enis: list[Eni]) -> int:
    events = []
    for eni in enis:
        if eni.alb is None:
            continue
        account, region = home(spec, eni.alb)
        stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        events.append(
            create_event(
                eni_id=eni.eni_id,
                description=f"ELB app/{eni.alb.name}/{eni.alb.lb_id}",
                event_time=stamp(eni.created),
                account=account,
                region=region,
                subnet_id=eni.subnet,
                availability_zone=eni.az,
            )
        )
        if eni.deleted is not None:
            events.append(
                delete_event(eni_id=eni.eni_id, event_time=stamp(eni.deleted), account=account, region=region)
            )
            events.append(
                failed_delete_event(
                    eni_id=eni.eni_id,
                    event_time=stamp(eni.deleted + timedelta(seconds=5)),
                    account=account,
                    region=region,
                )
            )
    folder = data_dir / "events"
    folder.mkdir(parents=True, exist_ok=True)
    # EventBridge does not keep order: deliver them reversed.
    (folder / "cloudtrail.json").write_text(json.dumps(events[::-1], indent=1) + "\n")
    return len(events)


def _ground_truth(spec, enis, truth: _Truth, writers, cur_rows, events) -> dict:
    """One day's answers (the top level when ``spec.days == 1``), or ``days`` keyed by date."""

    counted, skipdata, billed_hour_bytes = truth.counted, truth.skipdata, truth.billed_hour_bytes
    to_cloudfront, to_aws = truth.to_cloudfront, truth.to_aws

    def of_day(offset: int) -> dict:
        d0 = _midnight(spec.day) + timedelta(days=offset)
        d1 = d0 + timedelta(days=1)
        belongs = {e.eni_id: e.created < d1 and (e.deleted is None or e.deleted >= d0) for e in enis}
        load_balancers = {}
        for alb_index, alb in enumerate(spec.albs):
            members = [i for i, e in enumerate(enis) if e.alb is alb and belongs[e.eni_id]]
            flow_bytes = int(sum(counted[i, offset] for i in members))
            billed_gb = billed_hour_bytes[alb_index][offset * 24 : (offset + 1) * 24].sum() / GIB
            cur_gb = float(billed_gb * alb.cur_factor_on(offset)) if alb.billed else 0.0
            load_balancers[load_balancer_arn(spec, alb)] = {
                "name": alb.name,
                "eni_ids": sorted(enis[i].eni_id for i in members),
                "flow_log_bytes": flow_bytes,
                "flow_log_gb": flow_bytes / GIB,
                "cloudfront_bytes": int(sum(to_cloudfront[i, offset] for i in members)),
                "aws_service_bytes": int(sum(to_aws[i, offset] for i in members)),
                "cur_gb": cur_gb,
                "cur_unblended_cost": cur_gb * DT_OUT_PRICE,
                "skipdata_records": int(sum(skipdata[i, offset] for i in members)),
                "flow_logs": alb.flow_logs and offset not in alb.flow_logs_lost_on,
                "billed": alb.billed,
                "account": home(spec, alb)[0],
                "region": home(spec, alb)[1],
            }
        return {
            "day": d0.date().isoformat(),
            "cur_covers_day": (spec.days - 1 - offset) * 24 + spec.cur_delivered_through >= 24,
            "load_balancers": load_balancers,
            "enis": {
                e.eni_id: {
                    "load_balancer": e.alb.name if e.alb else None,
                    "belongs_on_day": belongs[e.eni_id] and e.alb is not None,
                    "egress_bytes": int(counted[i, offset]),
                    "skipdata_records": int(skipdata[i, offset]),
                }
                for i, e in enumerate(enis)
            },
        }

    common = {
        "account": spec.account,
        "region": spec.region,
        "malformed_lines": spec.malformed_lines if spec.flow_logs_file_format == "text" else 0,
        "flow_log_records": sum(w.records for w in writers),
        "flow_log_files": sum(len(w.files) for w in writers),
        "accounts_regions": sorted({home(spec, a) for a in spec.albs}),
        "cur_rows": cur_rows,
        "cloudtrail_events": events,
        "spec": json.loads(json.dumps(asdict(spec), default=str)),
    }
    if spec.days == 1:
        return of_day(0) | common
    days = [of_day(offset) for offset in range(spec.days)]
    return {"first": days[0]["day"], "last": days[-1]["day"], "days": {d["day"]: d for d in days}} | common
