"""What AWS really delivers and deploys (issue: real AWS data): formats of every flow-log version,
table definitions that follow a stack update, CUR 2.0's column names."""

import json
import shutil
from pathlib import Path

import pytest

from alb_egress.flowlog_format import FIELD_TYPES, V5_FIELDS
from albrecon.generator.dataset import DatasetSpec, generate

from .conftest import ALBS, DAY, results_by_name

pytestmark = pytest.mark.slow
D = DAY.isoformat()
LATER_FIELDS = [f for f in FIELD_TYPES if f not in V5_FIELDS]  # v7 ECS fields and later ones


def test_a_format_with_ecs_and_later_fields_reconciles_exactly(scenario):
    fields = ["version", "ecs-cluster-arn", *V5_FIELDS[1:15], *LATER_FIELDS[1:], *V5_FIELDS[15:]]
    data = scenario(flow_log_format=" ".join(f"${{{f}}}" for f in fields))
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    assert run.report.status == "SUCCEEDED" and run.problems == []
    for name, truth in data.by_name().items():
        assert results_by_name(run)[name]["flow_log_bytes"] == truth["flow_log_bytes"] > 0


def test_a_stack_update_that_changes_the_format_never_reads_a_stale_table(scenario, tmp_path):
    """CREATE EXTERNAL TABLE IF NOT EXISTS would keep the old table, whose positional text columns
    would read `bytes` from another field: the table's name follows its definition instead."""
    data = scenario()
    reordered = " ".join(f"${{{f}}}" for f in sorted(V5_FIELDS))
    other = tmp_path / "reordered"
    generate(DatasetSpec(day=DAY, albs=ALBS, records_per_day=8_000, flow_log_format=reordered), other)
    with data.pipeline() as pipeline:
        before = pipeline.run(D)
        # the flow log was recreated with another format; the stack updated with it
        shutil.rmtree(data.root / "s3" / "demo-flow-logs")
        shutil.copytree(other / "s3" / "demo-flow-logs", data.root / "s3" / "demo-flow-logs")
        for function in pipeline.aws.functions.values():
            function.environment["FlowLogFormat"] = reordered
        after = pipeline.run(D)
        tables = [name for (_, name) in pipeline.aws.athena.tables if name.startswith("vpc_flow_logs")]
    assert len(tables) == 2  # one per definition
    for name, truth in data.by_name().items():
        assert results_by_name(before)[name]["flow_log_bytes"] == truth["flow_log_bytes"]
        assert results_by_name(after)[name]["flow_log_bytes"] == truth["flow_log_bytes"]
    assert after.problems == []


def test_cur2_names_the_region_product_region_code(scenario):
    data = scenario(cur_format="cur2")
    with data.pipeline(CurFormat="cur2") as pipeline:
        run = pipeline.run(D)
        [cur_table] = [
            t
            for (_, name), t in pipeline.aws.athena.tables.items()
            if name.startswith("cost_and_usage") and not name.endswith("_status")
        ]
    assert "product_region_code" in [c for c, _ in cur_table.columns]
    assert "product_region" not in [c for c, _ in cur_table.columns]
    assert {r["status"] for r in run.results} == {"MATCH", "MISMATCH"}


def test_an_alb_behind_cloudfront_is_compared_like_with_like(scenario):
    """Origin fetches by CloudFront and transfer to other AWS public IPs are not billed as
    DataTransfer-Out-Bytes: they are split out by pkt-dst-aws-service and reported, not compared."""
    data = scenario(aws_destination_share=0.3)
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    got = results_by_name(run)
    for name, truth in data.by_name().items():
        assert truth["cloudfront_bytes"] > 0 and truth["aws_service_bytes"] > 0
        assert got[name]["flow_log_bytes"] == truth["flow_log_bytes"]
        assert got[name]["cloudfront_gb"] * 2**30 == pytest.approx(truth["cloudfront_bytes"])
        assert got[name]["aws_service_gb"] * 2**30 == pytest.approx(truth["aws_service_bytes"])
        assert got[name]["egress_split"] is True
    assert got["Test751"]["status"] == "MATCH"  # CloudFront bytes do not inflate the delta
    # the bill's inter-region transfer of the ALB (the generator bills 0.3 GB an hour for the first)
    assert got["Test751"]["cur_inter_region_gb"] == pytest.approx(24 * 0.3)
    assert got["Test7510"]["cur_inter_region_gb"] == 0
    [alert] = run.alerts  # Test7510 is billed 10 % more
    assert "not compared (not internet on the bill): to CloudFront" in alert["message"]


def test_without_pkt_dst_aws_service_the_split_is_said_to_be_impossible(scenario):
    fields = [f for f in V5_FIELDS if f != "pkt-dst-aws-service"]
    data = scenario(aws_destination_share=0.3, flow_log_format=" ".join(f"${{{f}}}" for f in fields))
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    got = results_by_name(run)
    truth = data.by_name()["Test751"]
    everything = truth["flow_log_bytes"] + truth["cloudfront_bytes"] + truth["aws_service_bytes"]
    assert got["Test751"]["flow_log_bytes"] == everything and got["Test751"]["egress_split"] is False
    assert got["Test751"]["status"] == "MISMATCH"
    assert "could not be told apart" in run.alerts[0]["message"]


@pytest.mark.parametrize(("hours", "covered"), [(14, False), (23, False), (30, True)])
def test_freshness_comes_from_usage_lines_not_from_month_long_fees(tmp_path, hours, covered):
    """A monthly fee line spans the month from the first delivery on; coverage of D is a usage line
    starting at or after D+1 00:00 - at month end, in the next billing period's report."""
    from datetime import date

    from albrecon.pipeline import LocalPipeline

    last_day = date(2026, 10, 31)
    truth = generate(
        DatasetSpec(day=last_day, albs=ALBS, records_per_day=4_000, cur_delivered_through=hours), tmp_path
    )
    assert (
        tmp_path / "s3" / "demo-cur" / "billing" / "hourly-cur" / "hourly-cur" / "year=2026" / "month=11"
    ).is_dir() == covered
    with LocalPipeline(tmp_path, retry_delay_scale=0) as pipeline:
        run = pipeline.run("2026-10-31")
    statuses = {r["status"] for r in run.results}
    assert run.report.output["cur_covers_day"] is covered
    # the day is weeks old: a CUR that still does not cover it has stopped arriving, not "pending"
    assert statuses == ({"MATCH", "MISMATCH"} if covered else {"CUR_NOT_ARRIVING"})
    assert truth["cur_covers_day"] is covered


def test_a_monthly_cur_is_diagnosed(scenario):
    data = scenario(cur_granularity="MONTHLY")
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    assert [p["kind"] for p in run.problems] == ["CUR_MONTHLY_GRANULARITY"]
    assert {r["status"] for r in run.results} == {"CUR_MONTHLY_GRANULARITY"}
    [alert] = run.alerts  # a night that can compare nothing says so, as every run-level problem does
    assert "CUR_MONTHLY_GRANULARITY" in alert["subject"] + alert["message"]


def test_local_zone_and_outposts_usage_types_are_alb_egress(scenario):
    from albrecon.generator.dataset import AlbSpec

    albs = [
        AlbSpec("edge-lax", "00000000000000a1", enis=2, billing_zone="LAX1"),
        AlbSpec("on-prem", "00000000000000a2", enis=2, billing_zone="Outposts"),
    ]
    data = scenario(albs=albs, region="us-west-2")
    with data.pipeline(**{"AWS::Region": "us-west-2"}) as pipeline:
        run = pipeline.run(D)
    for name, truth in data.by_name().items():
        result = results_by_name(run)[name]
        assert result["cur_gb"] == pytest.approx(truth["cur_gb"]) and truth["cur_gb"] > 0
        assert result["status"] == "MATCH"


@pytest.mark.parametrize("deliveries", [0, 3])
def test_cur2_reads_only_the_latest_delivery(scenario, deliveries):
    """ "Create new export file" keeps every refresh in its own folder: reading the billing period
    whole would count usage once per refresh. Only the Manifest's delivery is read."""
    data = scenario(cur_format="cur2", cur2_deliveries=deliveries)
    cur = data.root / "s3" / "demo-cur" / "billing" / "hourly-cur"
    # D's billing period (on a month's last day the generator writes D+1's period too)
    assert len(list((cur / "data" / f"BILLING_PERIOD={D[:7]}").rglob("*.parquet"))) == max(1, deliveries)
    with data.pipeline(CurFormat="cur2") as pipeline:
        run = pipeline.run(D)
    for name, truth in data.by_name().items():
        assert results_by_name(run)[name]["cur_gb"] == pytest.approx(truth["cur_gb"])
    assert {r["status"] for r in run.results} == {"MATCH", "MISMATCH"}


def test_a_legacy_cur_in_the_middle_of_a_refresh_is_pending(scenario):
    """AWS: while the legacy CUR refreshes, Athena may read old and new data mixed; its status
    table says UPDATING. Nothing is compared against it: PENDING_CUR, nothing alerted."""
    data = scenario(cur_status="UPDATING")
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
        assert pipeline.aws.retry_clock.waits == [1800]  # it waited once for the refresh, in vain
    assert {r["status"] for r in run.results} == {"PENDING_CUR"}
    assert run.alerts == [] and run.report.output["cur_covers_day"] is False


def test_a_legacy_cur_refresh_that_ends_while_the_night_waits_is_compared(scenario):
    """The night reads the status first, waits once when a refresh is in progress, reads it again,
    and only then reads the bill: a refresh that ends during the wait costs the day nothing."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = scenario(cur_status="UPDATING")
    status = next((data.root / "s3" / "demo-cur").rglob("cost_and_usage_data_status.parquet"))

    def refresh_done(seconds: float) -> None:
        pq.write_table(pa.table({"status": ["READY"]}), status)

    with data.pipeline() as pipeline:
        pipeline.aws.retry_clock.on_wait = refresh_done
        run = pipeline.run(D)
        assert pipeline.aws.retry_clock.waits == [1800]
    assert {r["status"] for r in run.results} == {"MATCH", "MISMATCH"}
    for name, truth in data.by_name().items():
        assert results_by_name(run)[name]["cur_gb"] == pytest.approx(truth["cur_gb"])


def test_a_ready_legacy_cur_is_read_without_waiting(scenario):
    data = scenario()
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
        assert pipeline.aws.retry_clock.waits == []
    assert run.report.status == "SUCCEEDED" and "PENDING_CUR" not in {r["status"] for r in run.results}


def _rename_deliveries(cur: Path, rename) -> None:
    """Each delivery folder gets another name, and the manifests name the files where they now are."""
    for period in (cur / "data").iterdir():
        for folder in sorted(p for p in period.iterdir() if p.is_dir()):
            folder.rename(period / rename(folder.name))
    for manifest in (cur / "metadata").rglob("*-Manifest.json"):
        body = json.loads(manifest.read_text())
        for index, uri in enumerate(body["dataFiles"]):
            bucket_key = uri[len("s3://") :].split("/")
            bucket_key[-2] = rename(bucket_key[-2])
            body["dataFiles"][index] = "s3://" + "/".join(bucket_key)
        manifest.write_text(json.dumps(body))


def test_cur2_delivery_folders_of_any_name_are_read_exactly(scenario):
    """Nothing in AWS's docs promises the characters of a delivery folder's name; S3 keys may hold
    ':' and more. The night reads the manifest's delivery, whatever its name, never the period."""
    data = scenario(cur_format="cur2", cur2_deliveries=3)
    cur = data.root / "s3" / "demo-cur" / "billing" / "hourly-cur"
    _rename_deliveries(cur, lambda name: name.replace("T", "T:", 1).replace("-", " +run=", 1))
    with data.pipeline(CurFormat="cur2") as pipeline:
        run = pipeline.run(D)
    assert run.problems == []
    for name, truth in data.by_name().items():
        assert results_by_name(run)[name]["cur_gb"] == pytest.approx(truth["cur_gb"])


def test_cur2_deliveries_without_a_usable_manifest_are_a_problem_not_the_whole_period(scenario):
    data = scenario(cur_format="cur2", cur2_deliveries=3)
    cur = data.root / "s3" / "demo-cur" / "billing" / "hourly-cur"
    # D's period's (on a month's last day the night also reads D+1's period, whose manifest is whole)
    for manifest in (cur / "metadata" / f"BILLING_PERIOD={D[:7]}").rglob("*-Manifest.json"):
        manifest.write_text('{"dataFiles": "truncated')  # not JSON: a damaged manifest
    with data.pipeline(CurFormat="cur2") as pipeline:
        run = pipeline.run(D)
    assert run.report.status == "SUCCEEDED", run.report.cause
    assert [p["kind"] for p in run.problems] == ["CUR_DELIVERY_UNKNOWN"], run.problems
    assert {r["status"] for r in run.results} == {"CUR_DELIVERY_UNKNOWN"}


def test_doctor_names_a_damaged_cur2_manifest(scenario, capsys):
    from albrecon.cli import main

    data = scenario(cur_format="cur2", cur2_deliveries=3)
    (data.root / "parameters.json").write_text(
        json.dumps({**json.loads((data.root / "parameters.json").read_text()), "CurFormat": "cur2"})
    )
    assert main(["doctor", "--data", str(data.root)]) == 0, capsys.readouterr().out
    cur = data.root / "s3" / "demo-cur" / "billing" / "hourly-cur"
    for manifest in (cur / "metadata").rglob("*-Manifest.json"):
        manifest.write_text('{"dataFiles": "truncated')
    capsys.readouterr()
    assert main(["doctor", "--data", str(data.root)]) == 1
    assert "Manifest.json is not JSON" in capsys.readouterr().out
