"""The night on flow logs as real Organizations deliver them (issue 22): more than one flow log on a
VPC, formats of their own, files for part of the day, the wrong layout flags, damaged lines and
impossible values. Each ends exactly or in a named problem, never in a blamed ALB.

The files start as the generator writes them (AWS's names, five-minute files, header lines) and are
then changed the way the real cases change them: copied under another flow log's id, rewritten in
another field order, deleted for some hours, damaged line by line.
"""

from __future__ import annotations

import gzip
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from alb_egress.flowlog_format import V5_FIELDS
from alb_egress.flowlog_survey import parse_file_name

from .conftest import DAY, results_by_name

pytestmark = pytest.mark.slow
D = DAY.isoformat()
GIB = 2**30
DAY_START = int(datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC).timestamp())
OTHER_FLOW_LOG = "fl-0ffffeeeeddddcccc"
NUMBERS = {"MATCH", "MISMATCH", "MISSING_CUR", "MISSING_FLOW_LOGS"}


def flow_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "s3" / "demo-flow-logs").rglob("*") if p.is_file())


def read_text(path: Path) -> tuple[list[str], list[list[str]]]:
    with gzip.open(path, "rt") as handle:
        lines = handle.read().splitlines()
    return lines[0].split(" "), [line.split(" ") for line in lines[1:]]


def write_text(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with gzip.open(path, "wt") as handle:
        handle.write(" ".join(header) + "\n" + "".join(" ".join(r) + "\n" for r in rows))


def copy_as_other_flow_log(path: Path, fields: list[str] | None = None, suffix: str = "") -> Path:
    """The same records, delivered by a second flow log (another id, its own field order)."""
    name = parse_file_name(path.name)
    target = path.with_name(
        path.name.replace(name.flow_log, OTHER_FLOW_LOG).replace(".log.", f"{suffix}.log.")
    )
    if path.suffix == ".parquet":
        shutil.copy(path, target)
        return target
    header, rows = read_text(path)
    fields = fields or header
    at = [header.index(f) for f in fields]
    write_text(target, fields, [[r[i] for i in at] for r in rows])
    return target


def assert_exact(run, data, statuses=("MATCH", "MISMATCH")):
    assert run.report.status == "SUCCEEDED", run.report.describe()
    got = results_by_name(run)
    for name, expected in data.by_name().items():
        assert got[name]["flow_log_bytes"] == expected["flow_log_bytes"], name
    assert (got["Test751"]["status"], got["Test7510"]["status"]) == statuses
    return got


def test_two_flow_logs_on_one_vpc_count_each_eni_once_and_say_so(scenario):
    data = scenario()
    for path in flow_files(data.root):
        copy_as_other_flow_log(path)
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    got = assert_exact(run, data)  # not twice the bytes, not MISMATCH everywhere
    for result in got.values():
        assert result["flow_logs_counted"] == "fl-0a1b2c3d4e5f67890"  # same coverage: the lowest id
        assert result["flow_logs_not_counted"] == OTHER_FLOW_LOG
    assert run.problems == []


def test_a_second_flow_log_created_at_noon_is_not_the_one_counted(scenario):
    data = scenario()
    for path in flow_files(data.root):
        name = parse_file_name(path.name)
        if name.stamp.date() > DAY or name.stamp.hour >= 12:
            copy_as_other_flow_log(path)
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    got = assert_exact(run, data)
    assert got["Test751"]["flow_logs_not_counted"] == OTHER_FLOW_LOG
    assert run.problems == []  # the counted flow log covers the day


def test_a_duplicate_flow_log_in_another_field_order_shares_the_folder(scenario):
    """Two formats in one folder: each file is read with its own flow log's columns."""
    data = scenario()
    alphabetical = sorted(V5_FIELDS)
    for path in flow_files(data.root):
        copy_as_other_flow_log(path, fields=alphabetical)
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    got = assert_exact(run, data)
    assert got["Test751"]["flow_logs_not_counted"] == OTHER_FLOW_LOG
    assert run.problems == []


def test_files_in_another_order_than_flowlogformat_are_read_by_their_header(scenario):
    data = scenario()
    alphabetical = sorted(V5_FIELDS)
    for path in flow_files(data.root):
        header, rows = read_text(path)
        at = [header.index(f) for f in alphabetical]
        write_text(path, alphabetical, [[r[i] for i in at] for r in rows])
    with data.pipeline() as pipeline:  # FlowLogFormat stays AWS's order: the files' header wins
        run = pipeline.run(D)
    assert_exact(run, data)
    assert run.problems == []


def test_a_field_aws_added_after_this_release_is_read_not_refused(scenario):
    """A header naming a field this version does not know (AWS adds fields: v7, v8...): the
    format is the header's, the new field a string column, the answer exact."""
    data = scenario()
    for path in flow_files(data.root):
        header, rows = read_text(path)
        at = header.index("bytes")
        write_text(
            path, [*header[:at], "flow-tag-id", *header[at:]], [[*r[:at], "tag-7", *r[at:]] for r in rows]
        )
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    assert_exact(run, data)
    assert run.problems == []


def test_a_format_without_traffic_path_is_named_and_blames_no_alb(scenario):
    data = scenario()
    fields = [f for f in V5_FIELDS if f != "traffic-path"]
    for path in flow_files(data.root):
        header, rows = read_text(path)
        at = [header.index(f) for f in fields]
        write_text(path, fields, [[r[i] for i in at] for r in rows])
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    [problem] = run.problems
    assert problem["kind"] == "FLOW_LOG_FORMAT_MISMATCH" and "traffic-path" in problem["detail"]
    assert "${traffic-path}" in problem["fix"]
    assert {r["status"] for r in run.results} == {"FLOW_LOG_FORMAT_MISMATCH"}


def test_files_for_only_part_of_the_day_are_partial_coverage_not_mismatch(scenario):
    data = scenario()
    for path in flow_files(data.root):
        name = parse_file_name(path.name)
        if name.stamp.date() == DAY and name.stamp.hour < 12:  # the flow log was created at noon
            path.unlink()
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    assert run.report.status == "SUCCEEDED"
    [problem] = run.problems
    assert problem["kind"] == "PARTIAL_FLOW_LOG_COVERAGE"
    assert "00:00-12:00" in problem["detail"] and problem["account"] == "123456789012"
    assert {r["status"] for r in run.results} == {"PARTIAL_FLOW_LOG_COVERAGE"}  # never MISMATCH


def test_a_delivery_gap_of_one_flow_log_of_two_is_partial_for_the_albs_it_counts(scenario):
    """The folder as a whole is covered (another flow log delivers all day), but the flow log that
    recorded the ALBs has a gap: the ALBs it touches are partial."""
    data = scenario()
    for path in flow_files(data.root):
        name = parse_file_name(path.name)
        if name.stamp.date() == DAY and 3 <= name.stamp.hour < 5:
            path.unlink()
    folder = next(p.parent for p in flow_files(data.root) if parse_file_name(p.name).stamp.date() == DAY)
    for hour in range(24):  # another VPC's flow log, delivering all day
        name = (
            f"123456789012_vpcflowlogs_us-east-1_{OTHER_FLOW_LOG}_{DAY:%Y%m%d}T{hour:02d}05Z_0badc0de.log.gz"
        )
        write_text(folder / name, list(V5_FIELDS), [])
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    [problem] = run.problems
    assert problem["kind"] == "PARTIAL_FLOW_LOG_COVERAGE" and "fl-0a1b2c3d4e5f67890" in problem["detail"]
    assert "03:00-05:00" in problem["detail"]
    assert {r["status"] for r in run.results} == {"PARTIAL_FLOW_LOG_COVERAGE"}


def test_per_hour_flag_on_daily_folders_is_a_layout_problem(scenario):
    data = scenario()
    with data.pipeline(FlowLogsPerHourPartition="true") as pipeline:
        run = pipeline.run(D)
    [problem] = run.problems
    assert problem["kind"] == "FLOW_LOG_LAYOUT_MISMATCH"
    assert "FlowLogsPerHourPartition=false" in problem["fix"]
    assert {r["status"] for r in run.results} == {"FLOW_LOG_LAYOUT_MISMATCH"}  # not MISSING_FLOW_LOGS


def test_a_wrong_hive_flag_is_a_layout_problem(scenario):
    data = scenario(hive_partitions=True)
    with data.pipeline(FlowLogsHiveCompatiblePartitions="false") as pipeline:
        run = pipeline.run(D)
    [problem] = run.problems
    assert problem["kind"] == "FLOW_LOG_LAYOUT_MISMATCH"
    assert "FlowLogsHiveCompatiblePartitions=true" in problem["fix"]
    assert {r["status"] for r in run.results} == {"FLOW_LOG_LAYOUT_MISMATCH"}


def _damage(data, every: int, make) -> int:
    """Damages every ``every``-th egress record of the ALBs' ENIs in D's files; returns how many."""
    enis = {e for lb in data.by_name().values() for e in lb["eni_ids"]}
    damaged = 0
    for path in flow_files(data.root):
        if parse_file_name(path.name).stamp.date() != DAY:
            continue
        header, rows = read_text(path)
        at = {f: header.index(f) for f in ("interface-id", "flow-direction", "bytes", "start")}
        for row in rows:
            if (
                row[at["interface-id"]] in enis
                and row[at["flow-direction"]] == "egress"
                and int(row[at["start"]]) >= DAY_START  # a record of D (the first files hold D-1's last)
            ):
                damaged += 1
                if damaged % every == 0:
                    make(row, at)
        write_text(path, header, rows)
    return damaged // every


def test_half_the_records_damaged_is_a_problem_not_a_mismatch(scenario):
    data = scenario()

    def corrupt(row, at):
        row[at["bytes"]] = row[at["bytes"]] + "x"

    count = _damage(data, 2, corrupt)
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    [problem] = run.problems
    assert problem["kind"] == "FLOW_LOG_DAMAGED" and problem["account"] == "123456789012"
    assert {r["status"] for r in run.results} == {"FLOW_LOG_DAMAGED"}
    assert sum(r["damaged_records"] for r in run.results) == count
    [damage] = run.as_json()["flow_log_damage"]
    assert damage["damaged_records"] == count and damage["over_limit"] is True
    [alert] = run.alerts
    assert "FLOW_LOG_DAMAGED" in alert["message"]


IMPOSSIBLE = ["-5", "1.5e9", str(2**62), "-", "", "12x4", "0x10", " 7"]


def test_impossible_values_are_excluded_and_counted(scenario):
    """Records that cannot be real (negative, not an integer, more than any interface can carry,
    missing, truncated): excluded from the bytes and counted; below 0.1 % the ALB keeps its number."""
    data = scenario(records_per_day=24_000)
    enis = set(data.by_name()["Test751"]["eni_ids"])
    path = [p for p in flow_files(data.root) if parse_file_name(p.name).stamp.date() == DAY][3]
    header, rows = read_text(path)
    template = next(
        r
        for r in rows
        if r[header.index("interface-id")] in enis and int(r[header.index("start")]) >= DAY_START
    )
    bad_rows = []
    for value in IMPOSSIBLE:
        bad = list(template)
        bad[header.index("bytes")] = value
        bad[header.index("flow-direction")] = "egress"
        bad_rows.append(bad[: header.index("bytes")] if value == "" else bad)  # "": a truncated line
    write_text(path, header, rows + bad_rows)
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    got = assert_exact(run, data)
    assert got["Test751"]["damaged_records"] == len(IMPOSSIBLE) and got["Test7510"]["damaged_records"] == 0
    [damage] = run.as_json()["flow_log_damage"]
    assert damage["damaged_records"] == len(IMPOSSIBLE) and damage["over_limit"] is False
    [alert] = run.alerts
    assert (
        "were excluded from the bytes and counted: account 123456789012 us-east-1: 8 of" in alert["message"]
    )


def test_parquet_duplicate_flow_logs_count_once(scenario):
    data = scenario(flow_logs_file_format="parquet")
    for path in flow_files(data.root):
        copy_as_other_flow_log(path)
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    got = assert_exact(run, data)
    assert got["Test751"]["flow_logs_not_counted"] == OTHER_FLOW_LOG


def test_parquet_files_without_traffic_path_are_a_format_problem(scenario):
    data = scenario(flow_logs_file_format="parquet")
    for path in flow_files(data.root):
        table = pq.read_table(path)
        pq.write_table(table.drop_columns(["traffic_path"]), path)
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    [problem] = run.problems
    assert problem["kind"] == "FLOW_LOG_FORMAT_MISMATCH" and "traffic-path" in problem["detail"]
    assert {r["status"] for r in run.results} == {"FLOW_LOG_FORMAT_MISMATCH"}


def test_per_hour_hive_layout_with_a_duplicate_flow_log_and_a_gap(scenario):
    data = scenario(per_hour_partitions=True, hive_partitions=True)
    for path in flow_files(data.root):
        copy_as_other_flow_log(path)
    with data.pipeline(FlowLogsPerHourPartition="true", FlowLogsHiveCompatiblePartitions="true") as pipeline:
        run = pipeline.run(D)
    assert_exact(run, data)
    assert run.problems == []


def test_stamps_are_read_from_aws_names():
    name = parse_file_name("123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz")
    assert name.flow_log == "fl-1234abcd" and name.stamp == datetime.fromisoformat("2018-06-20T16:20+00:00")
    assert parse_file_name("notes.txt") is None


@pytest.mark.parametrize("layout", ["default", "hive-per-hour"])
def test_an_organization_whose_accounts_log_in_their_own_field_orders_reconciles_exactly(tmp_path, layout):
    """Each member created its own flow log: the member's files are in another field order (and,
    in one region, without the optional fields), the payer's in AWS's. One table per format."""
    from albrecon.generator.dataset import DatasetSpec, generate
    from albrecon.pipeline import LocalPipeline

    from .test_organization import IN_SCOPE, MEMBER, ORG_ALBS, PAYER, STACK

    hive = layout != "default"
    spec = DatasetSpec(
        day=DAY,
        albs=ORG_ALBS,
        records_per_day=6_000,
        account=PAYER,
        flow_logs_bucket="org-log-archive",
        hive_partitions=hive,
        per_hour_partitions=hive,
        extra_parameters=IN_SCOPE,
    )
    truth = generate(spec, tmp_path)
    reordered = {
        "us-east-1": sorted(V5_FIELDS),
        "eu-west-1": [f for f in reversed(V5_FIELDS) if "pkt" not in f],
    }
    for path in (tmp_path / "s3" / "org-log-archive").rglob("*.log.gz"):
        if f"{MEMBER}_vpcflowlogs_" in path.name:
            region = path.name.split("_")[2]
            header, rows = read_text(path)
            at = [header.index(f) for f in reordered[region]]
            write_text(path, reordered[region], [[r[i] for i in at] for r in rows])
    with LocalPipeline(tmp_path, parameter_overrides=STACK, retry_delay_scale=0) as pipeline:
        run = pipeline.run(D)
    assert run.report.status == "SUCCEEDED" and run.problems == []
    for arn, lb in truth["load_balancers"].items():
        [result] = [r for r in run.results if r["load_balancer_arn"] == arn] or [None]
        if result is None:
            continue  # out of scope
        if lb["account"] == MEMBER and lb["region"] == "eu-west-1":
            # no pkt-dst-aws-service in that format: AWS-bound bytes cannot be split out
            assert (
                result["flow_log_bytes"]
                == lb["flow_log_bytes"] + lb["cloudfront_bytes"] + lb["aws_service_bytes"]
            )
            assert result["egress_split"] is False
        else:
            assert result["flow_log_bytes"] == lb["flow_log_bytes"], lb["name"]
            assert result["egress_split"] is True, (lb["name"], lb["account"], lb["region"])


@pytest.mark.parametrize("file_format", ["text", "parquet"])
def test_the_next_days_folder_is_read_only_for_its_first_hours_files(scenario, file_format):
    """Daily folders: of D+1's folder only the files stamped before D+1 01:00 are read (Athena
    prunes files by "$path" ranges); the bytes scanned are those files and D's, nothing else -
    and the answer is still exact (records of late D are in D+1's first files)."""
    data = scenario(flow_logs_file_format=file_format)
    read = 0
    for path in flow_files(data.root):
        stamp = parse_file_name(path.name).stamp
        folder_day = datetime.strptime("/".join(path.parent.parts[-3:]), "%Y/%m/%d").date()
        if folder_day == DAY or (
            folder_day == DAY + timedelta(days=1) and stamp.hour < 1 and stamp.date() > DAY
        ):
            read += path.stat().st_size
    own = sum(
        p.stat().st_size
        for p in flow_files(data.root)
        if datetime.strptime("/".join(p.parent.parts[-3:]), "%Y/%m/%d").date() == DAY
    )
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    assert_exact(run, data)
    scanned = run.report.state("FlowLogEgress").output["data_scanned_bytes"]  # its ResultSelector
    assert 0 < scanned - read < 2_000  # and the day's ENI table (a CSV of a few lines), nothing else
    assert read <= 1.1 * own  # was D's and D+1's folders whole: about 2x
