"""The night on real bills (tests/fixtures/real/, see its README).

Real: every CUR line - a 2019 legacy CUR of an ALB, its product code (AmazonEC2), usage types,
amounts and costs, as AWS wrote them; the 2018 Parquet file exactly as AWS wrote it (tz=UTC
timestamps); a FOCUS 1.0 export of a real bill. Built around them, in AWS's documented shapes: the
Parquet layout of the legacy CUR's Athena integration (the 2019 lines were dumped as text), one
flow-log file per hour whose records carry exactly the bytes each hourly line bills
(round(GB x 2^30)), and the CloudTrail event that created the ALB's ENI.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from albrecon.generator.cloudtrail_events import create_event
from albrecon.pipeline import LocalPipeline

pytestmark = pytest.mark.slow

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
DAY = "2019-11-26"
ACCOUNT, REGION = "836060457634", "us-east-1"
ALB_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/Orders/a1a8cde46f07f7be"
ENI = "eni-0a1b2c3d4e5f60718"
GIB = 2**30
FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} "
    "${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${flow-direction} ${traffic-path} "
    "${pkt-dst-aws-service}"
)
TIMESTAMPS = (
    "bill_billing_period_start_date",
    "bill_billing_period_end_date",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
)
NUMBERS = ("line_item_usage_amount", "line_item_unblended_cost", "line_item_blended_cost")


def real_2019_lines() -> pa.Table:
    """The 2019 CUR lines, typed as the legacy CUR's Parquet types them (timestamp[ms, tz=UTC])."""
    with gzip.open(REAL / "cur-legacy-2019-11-alb-lines.x01.gz", "rb") as handle:
        table = pacsv.read_csv(
            handle,
            parse_options=pacsv.ParseOptions(delimiter="\x01", quote_char=False),
            convert_options=pacsv.ConvertOptions(
                null_values=["\\N"],
                strings_can_be_null=True,
                column_types=dict.fromkeys(NUMBERS, pa.float64()),
            ),
            read_options=pacsv.ReadOptions(block_size=1 << 24),
        )
    table = table.drop_columns(
        [c for c in ("year", "month") if c in table.column_names]
    )  # the partition path
    for name in TIMESTAMPS:
        text = pc.utf8_slice_codeunits(table[name].cast(pa.string()), 0, 19)
        parsed = pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="ms").cast(pa.timestamp("ms", tz="UTC"))
        table = table.set_column(table.schema.get_field_index(name), name, parsed)
    return table


def damaged(table: pa.Table, damage: str) -> list[dict]:
    """The real lines with the ALB's egress lines damaged one way (built, not real)."""
    rows = table.to_pylist()
    egress = [
        i
        for i, r in enumerate(rows)
        if r["line_item_usage_type"] == "DataTransfer-Out-Bytes" and r["line_item_resource_id"] == ALB_ARN
    ]
    if damage == "upper_case_ids":
        for i in egress:
            rows[i]["line_item_resource_id"] = rows[i]["line_item_resource_id"].upper()
    elif damage == "name_only_ids":
        for i in egress:
            rows[i]["line_item_resource_id"] = "Orders"
    elif damage == "duplicated_lines":  # the same line items twice: certain, counted once
        rows += [dict(rows[i]) for i in egress]
    elif damage == "leftover_copy":  # alike in all but the id: a leftover file of another refresh
        rows += [{**rows[i], "identity_line_item_id": f"leftover-{i}"} for i in egress]
    elif damage == "negative_usage":
        rows[egress[3]]["line_item_usage_amount"] = -rows[egress[3]]["line_item_usage_amount"]
    elif damage == "nan_usage":
        rows[egress[3]]["line_item_usage_amount"] = float("nan")
    else:
        raise ValueError(damage)
    return rows


def with_next_hour(table: pa.Table) -> pa.Table:
    """The sample ends with D's 23:00 lines; the night waits for a usage line of D+1 (the CUR's
    freshness rule). Built, not real: a copy of the ALB's 23:00 LoadBalancerUsage line one hour on,
    as the next delivery would hold it."""
    rows = table.to_pylist()
    last = max(
        (
            r
            for r in rows
            if r["line_item_resource_id"] == ALB_ARN and r["line_item_usage_type"] == "LoadBalancerUsage"
        ),
        key=lambda r: r["line_item_usage_start_date"],
    )
    shifted = dict(last)
    shifted["identity_line_item_id"] = "built-next-hour"
    for name in ("line_item_usage_start_date", "line_item_usage_end_date"):
        shifted[name] = last[name] + timedelta(hours=1)
    return pa.Table.from_pylist([*rows, shifted], schema=table.schema)


def _lines_of(table: pa.Table, usage_type: str, operation: str) -> list[dict]:
    rows = table.to_pylist()
    return [
        r
        for r in rows
        if r["line_item_resource_id"] == ALB_ARN
        and r["line_item_usage_type"] == usage_type
        and r["line_item_operation"] == operation
        and r["line_item_line_item_type"] == "Usage"
        and r["line_item_usage_start_date"].strftime("%Y-%m-%d") == DAY
    ]


def write_cur(root: Path, table: pa.Table, report: str = "orders-cur") -> None:
    base = root / "s3" / "payer-cur" / "cur" / report
    folder = base / report / "year=2019" / "month=11"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / f"{report}-00001.snappy.parquet", compression="snappy")
    status = base / "cost_and_usage_data_status"
    status.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"status": ["READY"]}), status / "cost_and_usage_data_status.parquet")


def write_flow_logs(root: Path, table: pa.Table) -> dict[str, int]:
    """One file per hour (delivered at HH:55) with a record per billed line of that hour: internet
    egress for DataTransfer-Out-Bytes, to AWS public IPs for the regional and inter-region lines."""
    internet = _lines_of(table, "DataTransfer-Out-Bytes", "LoadBalancing")
    same_region = _lines_of(table, "DataTransfer-Regional-Bytes", "LoadBalancing-PublicIP-Out")
    inter_region = _lines_of(table, "USE1-USW2-AWS-Out-Bytes", "LoadBalancing-PublicIP-Out")
    records: dict[int, list[str]] = {}
    for lines, destination, service in (
        (internet, "203.0.113.9", "-"),
        (same_region, "52.95.110.1", "AMAZON"),
        (inter_region, "52.94.76.10", "AMAZON"),
    ):
        for line in lines:
            start = int(line["line_item_usage_start_date"].timestamp()) + 60
            size = round(line["line_item_usage_amount"] * GIB)
            packets = max(1, -(-size // 1448))  # full TCP segments at the internet's 1,500-byte MTU
            records.setdefault(start - 60, []).append(
                f"5 {ACCOUNT} {ENI} 10.0.1.23 {destination} 443 51000 6 {packets} {size} {start} {start + 60} "
                f"ACCEPT OK egress 8 {service}"
            )
    folder = (
        root / "s3" / "org-flow-logs" / "AWSLogs" / ACCOUNT / "vpcflowlogs" / REGION / "2019" / "11" / "26"
    )
    folder.mkdir(parents=True, exist_ok=True)
    header = FORMAT.replace("${", "").replace("}", "")
    for hour, lines in sorted(records.items()):
        stamp = datetime.fromtimestamp(hour, UTC) + timedelta(minutes=55)
        name = f"{ACCOUNT}_vpcflowlogs_{REGION}_fl-0123456789abcdef0_{stamp:%Y%m%dT%H%M}Z_{hour:08x}.log.gz"
        with gzip.open(folder / name, "wt") as handle:
            handle.write(header + "\n" + "\n".join(lines) + "\n")
    return {
        "internet_bytes": sum(round(r["line_item_usage_amount"] * GIB) for r in internet),
        "internet_lines": len(internet),
    }


def write_stack(root: Path, table: pa.Table, **parameters: str) -> dict[str, int]:
    write_cur(root, with_next_hour(table))
    truth = write_flow_logs(root, table)
    events = root / "events"
    events.mkdir(parents=True, exist_ok=True)
    event = create_event(
        eni_id=ENI,
        description="ELB app/Orders/a1a8cde46f07f7be",
        event_time="2019-11-01T10:00:00Z",
        account=ACCOUNT,
        region=REGION,
    )
    (events / "eni.json").write_text(json.dumps(event))
    (root / "parameters.json").write_text(
        json.dumps(
            {
                "FlowLogsBucket": "org-flow-logs",
                "CurBucket": "payer-cur",
                "CurPrefix": "cur",
                "CurReportName": "orders-cur",
                "FlowLogFormat": FORMAT,
                "MinDeltaGB": "0",
                "AWS::AccountId": ACCOUNT,
                "AWS::Region": REGION,
                **parameters,
            }
        )
    )
    return truth


def run_night(root: Path):
    with LocalPipeline(root, retry_delay_scale=0.0) as pipeline:
        return pipeline.run(DAY)


@pytest.fixture(scope="module")
def real_lines() -> pa.Table:
    return real_2019_lines()


def test_the_real_2019_bill_reconciles_to_the_byte(tmp_path, real_lines):
    truth = write_stack(tmp_path, real_lines)
    run = run_night(tmp_path)
    assert run.report.status == "SUCCEEDED"
    assert run.problems == []
    [result] = run.results
    billed = _lines_of(real_lines, "DataTransfer-Out-Bytes", "LoadBalancing")
    assert {r["line_item_product_code"] for r in billed} == {"AmazonEC2"}  # not AWSELB: older bills
    assert result["status"] == "MATCH"
    assert result["flow_log_bytes"] == truth["internet_bytes"]
    assert result["cur_gb"] == pytest.approx(sum(r["line_item_usage_amount"] for r in billed), rel=1e-12)
    # what the bill implies in bytes, to within the rounding of each hourly amount
    assert abs(result["cur_gb"] * GIB - result["flow_log_bytes"]) <= truth["internet_lines"]
    same_region = _lines_of(real_lines, "DataTransfer-Regional-Bytes", "LoadBalancing-PublicIP-Out")
    assert result["cur_same_region_gb"] == pytest.approx(
        sum(r["line_item_usage_amount"] for r in same_region)
    )
    inter_region = _lines_of(real_lines, "USE1-USW2-AWS-Out-Bytes", "LoadBalancing-PublicIP-Out")
    assert result["cur_inter_region_gb"] == pytest.approx(
        sum(r["line_item_usage_amount"] for r in inter_region)
    )
    assert run.alerts == []


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Tokyo"])
def test_the_answer_does_not_depend_on_the_machines_time_zone(tmp_path, real_lines, zone):
    write_stack(tmp_path / "utc", real_lines)
    in_utc = run_night(tmp_path / "utc").results
    write_stack(tmp_path / "zoned", real_lines)
    saved = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        zoned = run_night(tmp_path / "zoned").results
    finally:
        if saved is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = saved
        time.tzset()
    assert [r["status"] for r in zoned] == ["MATCH"]
    assert [r["flow_log_bytes"] for r in zoned] == [r["flow_log_bytes"] for r in in_utc]
    # the same lines summed (a parallel engine, like Athena, may add them in another order)
    assert [r["cur_gb"] for r in zoned] == pytest.approx([r["cur_gb"] for r in in_utc], rel=1e-12)


def test_a_focus_export_at_the_cur_location_is_not_a_cur(tmp_path, real_lines):
    write_stack(tmp_path, real_lines)
    focus = pacsv.read_csv(REAL / "focus-1.0-aws-2024-09-sample.csv")
    write_cur(tmp_path, focus)  # the same location, the real FOCUS export instead of the CUR
    run = run_night(tmp_path)
    assert run.report.status == "SUCCEEDED"
    kinds = [p["kind"] for p in run.problems]
    assert "NOT_A_CUR" in kinds, run.problems
    assert {r["status"] for r in run.results} <= {"NOT_A_CUR"}  # the ALB is not blamed
    assert any("NOT_A_CUR" in alert["subject"] for alert in run.alerts)


@pytest.mark.parametrize(
    ("damage", "kind"),
    [
        ("upper_case_ids", "CUR_RESOURCE_IDS_NOT_ARNS"),
        ("name_only_ids", "CUR_RESOURCE_IDS_NOT_ARNS"),
        ("leftover_copy", "CUR_DUPLICATE_LINE_ITEMS"),
        ("negative_usage", "CUR_IMPOSSIBLE_USAGE"),
        ("nan_usage", "CUR_IMPOSSIBLE_USAGE"),
    ],
)
def test_a_damaged_real_bill_is_a_named_problem_not_a_blamed_alb(tmp_path, real_lines, damage, kind):
    write_stack(tmp_path, real_lines)
    rows = damaged(real_lines, damage)
    write_cur(tmp_path, with_next_hour(pa.Table.from_pylist(rows, schema=real_lines.schema)))
    run = run_night(tmp_path)
    assert run.report.status == "SUCCEEDED", (run.report.error, run.report.cause)
    assert kind in [p["kind"] for p in run.problems], run.problems
    assert {r["status"] for r in run.results} <= {kind}
    assert all(isinstance(r["cur_gb"], float) and r["cur_gb"] == r["cur_gb"] for r in run.results)


def test_the_real_aws_written_parquet_cur_is_read_as_a_cur(tmp_path):
    """The 2018 file as AWS wrote it (no ELB lines, tz=UTC timestamps): read as a CUR, nothing blamed."""
    import shutil

    write_stack(tmp_path, real_2019_lines())
    folder = tmp_path / "s3" / "payer-cur" / "cur" / "orders-cur" / "orders-cur" / "year=2019" / "month=11"
    shutil.rmtree(folder)
    aws_written = folder.parent / "month=11"
    aws_written.mkdir(parents=True)
    shutil.copy(
        REAL / "cur-legacy-2018-11-aws-written.snappy.parquet",
        aws_written / "orders-cur-00001.snappy.parquet",
    )
    run = run_night(tmp_path)
    assert run.report.status == "SUCCEEDED"
    # read as a CUR (no NOT_A_CUR, no damage); its lines end in November 2018, so for 2019-11-26
    # the report has stopped arriving - said, not "pending" for ever
    assert [p["kind"] for p in run.problems] == ["CUR_NOT_ARRIVING"]
    assert "2018-11" in run.problems[0]["detail"]


def test_a_bill_with_net_costs_prices_the_impact_at_the_net_rate(tmp_path, real_lines):
    """EDP / private pricing: the net unblended cost is what is paid. Built: the real lines with a
    line_item_net_unblended_cost of 80 % of their unblended cost (the real 2019 bill has none)."""
    net = pc.multiply(pc.fill_null(real_lines["line_item_unblended_cost"], 0.0), 0.8)
    with_net = real_lines.append_column("line_item_net_unblended_cost", net)
    write_stack(tmp_path, with_net)
    [result] = run_night(tmp_path).results
    billed = _lines_of(real_lines, "DataTransfer-Out-Bytes", "LoadBalancing")
    unblended = sum(r["line_item_unblended_cost"] or 0 for r in billed)
    assert result["cost_basis"] == "net_unblended"
    assert result["cur_net_unblended_cost"] == pytest.approx(0.8 * unblended)
    if result["cur_gb"]:
        assert result["effective_rate_usd_per_gb"] == pytest.approx(0.8 * unblended / result["cur_gb"])


def test_a_bill_without_net_costs_says_the_rate_is_unblended(tmp_path, real_lines):
    write_stack(tmp_path, real_lines)
    [result] = run_night(tmp_path).results
    assert result["cost_basis"] == "unblended" and result.get("cur_net_unblended_cost") is None


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        ("focus", "not a Cost and Usage Report"),
        ("upper_case_ids", "not an ARN"),
        ("leftover_copy", "present more than once"),
        ("negative_usage", "negative, NaN or infinite"),
    ],
)
def test_doctor_names_what_the_night_names(tmp_path, real_lines, capsys, damage, said):
    from albrecon.cli import main

    write_stack(tmp_path, real_lines)
    assert main(["doctor", "--data", str(tmp_path)]) == 0  # the real bill as it is: fine
    if damage == "focus":
        write_cur(tmp_path, pacsv.read_csv(REAL / "focus-1.0-aws-2024-09-sample.csv"))
    else:
        rows = damaged(real_lines, damage)
        write_cur(tmp_path, pa.Table.from_pylist(rows, schema=real_lines.schema))
    capsys.readouterr()
    assert main(["doctor", "--data", str(tmp_path)]) == 1
    assert said in capsys.readouterr().out


def test_a_line_item_present_twice_is_counted_once_exactly(tmp_path, real_lines):
    """Same identity_line_item_id and identity_time_interval: certainly the same line item."""
    truth = write_stack(tmp_path, real_lines)
    write_cur(
        tmp_path,
        with_next_hour(
            pa.Table.from_pylist(damaged(real_lines, "duplicated_lines"), schema=real_lines.schema)
        ),
    )
    run = run_night(tmp_path)
    assert run.problems == []
    [result] = run.results
    assert result["status"] == "MATCH" and result["flow_log_bytes"] == truth["internet_bytes"]
    billed = _lines_of(real_lines, "DataTransfer-Out-Bytes", "LoadBalancing")
    assert result["cur_gb"] == pytest.approx(sum(r["line_item_usage_amount"] for r in billed), rel=1e-12)


def test_a_bill_without_its_usage_amounts_is_not_a_cur(tmp_path, real_lines):
    """A missing line_item_usage_amount column once gave MISSING_CUR on every ALB."""
    write_stack(tmp_path, real_lines)
    write_cur(tmp_path, with_next_hour(real_lines).drop_columns(["line_item_usage_amount"]))
    run = run_night(tmp_path)
    [problem] = [p for p in run.problems if p["kind"] == "NOT_A_CUR"]
    assert "line_item_usage_amount" in problem["detail"]
    assert {r["status"] for r in run.results} <= {"NOT_A_CUR"}


def test_a_cur_with_no_line_at_all_is_not_left_pending_for_ever(tmp_path, real_lines):
    """A zero-row report: pending while it may still arrive, then CUR_NOT_ARRIVING, never silent."""
    write_stack(tmp_path, real_lines)
    write_cur(tmp_path, real_lines.slice(0, 0))
    run = run_night(tmp_path)  # 2019-11-26 is long past: the report has stopped arriving
    assert [p["kind"] for p in run.problems] == ["CUR_NOT_ARRIVING"]
    assert {r["status"] for r in run.results} == {"CUR_NOT_ARRIVING"}
    assert any("CUR_NOT_ARRIVING" in alert["subject"] for alert in run.alerts)
