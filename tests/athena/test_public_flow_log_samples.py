"""Public flow-log samples (tests/fixtures/real/flow-logs/, see the README there), read the way the
night reads them: the format from the file's own header line, the records through the shipped SQL."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest

from alb_egress import statements
from alb_egress.flowlog_format import FlowLogFormat
from alb_egress.flowlog_survey import FlowTableSpec, read_header
from alb_egress.settings import Settings
from albrecon.local.athena import AthenaEngine

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "flow-logs"
ACCOUNT, REGION = "999999999999", "us-east-2"
DAY = date(2021, 3, 4)  # the v5 sample's records start 2021-03-04 14:01:33 UTC
ALB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/sample/0123456789abcdef"
SETTINGS = Settings.from_mapping(
    {
        "FlowLogsBucket": "flow-logs",
        "CurBucket": "cur-reports",
        "CurReportName": "hourly",
        "AccountId": ACCOUNT,
        "Region": REGION,
        "ResultsBucket": "albrecon-results",
    }
)


def _lines(name: str) -> list[str]:
    return (SAMPLES / name).read_text().splitlines()


def _egress(tmp_path: Path, lines: list[str]) -> list[dict]:
    """The lines as one AWS-named file of the day's folder, through the night's tables and query."""
    spec_reading = read_header(lines[0], SETTINGS.flow_log_format)
    assert spec_reading.has_header and spec_reading.fmt is not None
    table = FlowTableSpec(fields=spec_reading.fmt.fields)
    folder = tmp_path.joinpath(
        "s3", "flow-logs", *statements.flow_logs_folder(SETTINGS, ACCOUNT, REGION, DAY)[1:]
    )
    folder.mkdir(parents=True)
    name = f"{ACCOUNT}_vpcflowlogs_{REGION}_fl-0123456789abcdef0_{DAY:%Y%m%d}T1405Z_c0ffee01.log.gz"
    (folder / name).write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    enis = tmp_path / "s3" / "albrecon-results" / statements.enis_key(DAY)
    enis.parent.mkdir(parents=True)
    enis.write_text(f"eni-00123456789abcdef,{ALB},{ACCOUNT},{REGION},,\n")
    engine = AthenaEngine(tmp_path)
    for sql in (
        f"CREATE DATABASE {SETTINGS.database}",
        statements.create_flow_logs_table(SETTINGS, table),
        statements.create_enis_table(SETTINGS),
        *statements.add_flow_logs_partitions(SETTINGS, DAY, [(ACCOUNT, REGION)], table),
        statements.add_enis_partition(SETTINGS, DAY),
    ):
        assert engine.execute(sql).state == "SUCCEEDED", sql
    record = engine.execute(statements.flow_log_egress_query(SETTINGS, DAY, {table: []}))
    assert record.state == "SUCCEEDED", record.error
    names = [n for n, _ in record.columns]
    return [dict(zip(names, row, strict=True)) for row in record.rows]


def test_the_v5_sample_in_its_own_field_order_is_read_by_its_header(tmp_path):
    """flowlogs-reader's v5 file: alphabetical custom order, an ingress record from S3 and an egress
    record to S3 through a gateway endpoint (traffic-path 7): AWS traffic, not internet egress."""
    [row] = _egress(tmp_path, _lines("flowlogs-reader-v5.log"))
    assert row["load_balancer_arn"] == ALB and row["flow_log_id"] == "fl-0123456789abcdef0"
    assert (row["records"], row["damaged_records"]) == (2, 0)
    assert row["egress_bytes"] == 0  # 7 is not an internet path: nothing billed as DataTransfer-Out
    assert row["egress_records"] == 1 and row["egress_with_traffic_path"] == 1


def test_a_millisecond_timestamp_cannot_be_real_and_is_counted_damaged(tmp_path):
    """flowlogs-reader's SKIPDATA record with millisecond start/end, in the v5 file's format."""
    lines = _lines("flowlogs-reader-v5.log")
    header = lines[0].split(" ")
    skip = dict(
        zip(
            _lines("flowlogs-reader-millisecond-skipdata.log")[0].split(" "),
            _lines("flowlogs-reader-millisecond-skipdata.log")[1].split(" "),
            strict=True,
        )
    )
    values = {f: "-" for f in header} | {
        "account-id": ACCOUNT,
        "interface-id": "eni-00123456789abcdef",
        "start": skip["start"],
        "end": skip["end"],
        "log-status": skip["log-status"],
        "version": "5",
    }
    rows = _egress(tmp_path, [*lines, " ".join(values[f] for f in header)])
    assert sum(r["damaged_records"] for r in rows) == 1
    assert sum(r["records"] for r in rows) == 2 and sum(r["skipdata_records"] for r in rows) == 0


def test_the_default_format_cannot_tell_internet_egress_and_says_which_fields_it_lacks():
    """AWS's default format (the VPC guide's example records, with the header line AWS writes)."""
    reading = read_header(_lines("aws-vpc-guide-default-format.log")[0], FlowLogFormat.parse(None))
    assert reading.has_header and reading.fmt is None
    assert reading.missing == ("flow-direction", "traffic-path")


@pytest.mark.parametrize("record", _lines("aws-vpc-guide-default-format.log")[1:])
def test_a_file_without_a_header_line_is_read_with_flowlogformat(record):
    """A first line that is a record, not field names: FlowLogFormat says the order."""
    fallback = FlowLogFormat.parse(None)
    reading = read_header(record, fallback)
    assert not reading.has_header and reading.fmt == fallback
