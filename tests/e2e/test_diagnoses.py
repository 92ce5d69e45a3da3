"""Run-level problems (docs/DESIGN.md §3): a wrong prefix, a wrong format, a CUR without resource ids and a
missing CUR each produce one clear diagnosis naming what to fix, and no ALB is blamed for them -
in the single-account layout and in an Organization's."""

import gzip
import json
import shutil

import pytest

from .conftest import DAY
from .test_organization import ORG_ALBS, PAYER, STACK

pytestmark = pytest.mark.slow
D = DAY.isoformat()
NUMBERS = {"MATCH", "MISMATCH", "MISSING_CUR", "MISSING_FLOW_LOGS", "PENDING_CUR", "NO_TRAFFIC"}


def _run(data, **overrides):
    with data.pipeline(**overrides) as pipeline:
        return pipeline.run(D)


def test_a_wrong_prefix_is_no_flow_log_files_not_missing_flow_logs(scenario):
    data = scenario()
    run = _run(data, FlowLogsPrefix="not-where-the-logs-are")
    assert run.report.status == "SUCCEEDED"
    [problem] = run.problems
    assert problem["kind"] == "NO_FLOW_LOG_FILES" and (problem["account"], problem["region"]) == (
        "123456789012",
        "us-east-1",
    )
    assert problem["location"] == (
        f"s3://demo-flow-logs/not-where-the-logs-are/AWSLogs/123456789012/vpcflowlogs/us-east-1/{DAY:%Y/%m/%d}/"
    )
    assert {r["status"] for r in run.results} == {"NO_FLOW_LOG_FILES"}  # no ALB blamed
    [alert] = run.alerts
    assert "cannot reconcile - NO_FLOW_LOG_FILES" in alert["subject"]
    assert alert["message"].index("PROBLEM NO_FLOW_LOG_FILES") < alert["message"].index("fix:")
    assert "FlowLogsPrefix" in alert["message"] and "MISSING_FLOW_LOGS" not in alert["message"]


def test_a_flowlogformat_that_is_not_the_files_header_does_not_matter(scenario):
    """The night reads each flow log's format from its files' header line: FlowLogFormat is only
    for files without one."""
    from alb_egress.flowlog_format import FIELD_TYPES

    data = scenario()  # files in AWS's documented order
    alphabetical = " ".join(f"${{{f}}}" for f in sorted(FIELD_TYPES))  # valid, but not the files' order
    run = _run(data, FlowLogFormat=alphabetical)
    assert run.problems == []
    got = {r["load_balancer"]: r for r in run.results}
    for name, expected in data.by_name().items():
        assert got[name]["flow_log_bytes"] == expected["flow_log_bytes"]
    assert {r["status"] for r in run.results} == {"MATCH", "MISMATCH"}


def test_a_missing_cur_is_no_cur_data_not_pending(scenario):
    data = scenario()
    shutil.rmtree(data.root / "s3" / "demo-cur")
    run = _run(data)
    kinds = [p["kind"] for p in run.problems]
    assert kinds == ["NO_CUR_DATA"]
    assert "s3://demo-cur/billing/hourly-cur/hourly-cur/year=" in run.problems[0]["location"]
    assert {r["status"] for r in run.results} == {"NO_CUR_DATA"}


def test_a_cur_without_resource_ids_blames_no_alb(scenario):
    data = scenario(cur_resource_ids=False)
    run = _run(data)
    [problem] = run.problems
    assert problem["kind"] == "CUR_WITHOUT_RESOURCE_IDS" and "Include resource IDs" in problem["fix"]
    assert {r["status"] for r in run.results} == {"CUR_WITHOUT_RESOURCE_IDS"}
    assert run.as_json()["problems"] == run.problems


@pytest.mark.parametrize("layout", ["default", "hive-per-hour"])
def test_an_organization_member_without_files_is_diagnosed_and_the_others_reconciled(tmp_path, layout):
    from albrecon.generator.dataset import DatasetSpec, generate
    from albrecon.pipeline import LocalPipeline

    from .test_organization import IN_SCOPE

    hive = layout != "default"
    spec = DatasetSpec(
        day=DAY,
        albs=ORG_ALBS,
        records_per_day=8_000,
        account=PAYER,
        flow_logs_bucket="org-log-archive",
        flow_logs_prefix="central",
        hive_partitions=hive,
        per_hour_partitions=hive,
        extra_parameters=IN_SCOPE,
    )
    truth = generate(spec, tmp_path)
    logs = tmp_path / "s3" / "org-log-archive" / "central" / "AWSLogs"
    member = next(p for p in logs.iterdir() if "222222222222" in p.name)
    gone = next(
        p
        for p in (member / ("aws-service=vpcflowlogs" if hive else "vpcflowlogs")).iterdir()
        if "eu-west-1" in p.name
    )
    shutil.rmtree(gone)  # the member's eu-west-1 flow log was never set up
    with LocalPipeline(tmp_path, parameter_overrides=STACK, retry_delay_scale=0) as pipeline:
        run = pipeline.run(D)
    [problem] = run.problems
    assert (problem["kind"], problem["account"], problem["region"]) == (
        "NO_FLOW_LOG_FILES",
        "222222222222",
        "eu-west-1",
    )
    by_place = {(r["account_id"], r["region"], r["load_balancer"]): r for r in run.results}
    assert by_place[("222222222222", "eu-west-1", "api")]["status"] == "NO_FLOW_LOG_FILES"
    exact = {arn: lb for arn, lb in truth["load_balancers"].items() if lb["name"] in ("web", "shop")}
    for arn, lb in exact.items():
        [result] = [r for r in run.results if r["load_balancer_arn"] == arn]
        assert result["flow_log_bytes"] == lb["flow_log_bytes"] and result["status"] in ("MATCH", "MISMATCH")


@pytest.mark.parametrize("diagnosis", ["FLOW_LOG_FORMAT_MISMATCH", "NO_CUR_DATA", "CUR_WITHOUT_RESOURCE_IDS"])
def test_each_diagnosis_in_an_organization(tmp_path, diagnosis):
    """The same diagnoses on an Organization's central bucket and consolidated CUR: one problem per
    in-scope account/region for the format, one for the whole run for the CUR; no ALB blamed."""
    from albrecon.generator.dataset import DatasetSpec, generate
    from albrecon.pipeline import LocalPipeline

    from .test_organization import IN_SCOPE

    spec = DatasetSpec(
        day=DAY,
        albs=ORG_ALBS,
        records_per_day=6_000,
        account=PAYER,
        flow_logs_bucket="org-log-archive",
        hive_partitions=True,
        cur_format="cur2",
        cur_resource_ids=diagnosis != "CUR_WITHOUT_RESOURCE_IDS",
        extra_parameters=IN_SCOPE,
    )
    generate(spec, tmp_path)
    overrides = dict(STACK)
    if diagnosis == "FLOW_LOG_FORMAT_MISMATCH":  # every account's flow log lacks traffic-path
        for path in (tmp_path / "s3" / "org-log-archive").rglob("*.log.gz"):
            with gzip.open(path, "rt") as handle:
                lines = handle.read().splitlines()
            at = lines[0].split(" ").index("traffic-path")
            with gzip.open(path, "wt") as handle:
                handle.write(
                    "".join(" ".join(v for n, v in enumerate(x.split(" ")) if n != at) + "\n" for x in lines)
                )
    if diagnosis == "NO_CUR_DATA":
        shutil.rmtree(tmp_path / "s3" / "demo-cur" / "billing" / "hourly-cur" / "data")
    with LocalPipeline(tmp_path, parameter_overrides=overrides, retry_delay_scale=0) as pipeline:
        run = pipeline.run(D)
    assert run.report.status == "SUCCEEDED"
    assert {p["kind"] for p in run.problems} == {diagnosis}
    if diagnosis == "FLOW_LOG_FORMAT_MISMATCH":
        assert {(p["account"], p["region"]) for p in run.problems} == {
            ("111111111111", "us-east-1"),
            ("111111111111", "eu-west-1"),
            ("222222222222", "us-east-1"),
            ("222222222222", "eu-west-1"),
        }
    else:
        assert len(run.problems) == 1 and "account" not in run.problems[0]
    assert len(run.results) == 4 and {r["status"] for r in run.results} == {diagnosis}
    [alert] = run.alerts
    assert f"cannot reconcile - {diagnosis}" in alert["subject"]


def test_an_organization_of_500_misconfigured_account_regions_succeeds_and_alerts(scenario):
    """Each problem is ~600 bytes and once travelled in the state twice: 240 account/regions with a
    mistyped prefix ended in States.DataLimitExceeded, which no Catch sees - no e-mail at all."""
    from albrecon.generator.cloudtrail_events import create_event

    data = scenario()
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"]
    events = [
        create_event(
            eni_id=f"eni-{index:017x}",
            description=f"ELB app/web-{index}/{index:016x}",
            event_time="2020-01-01T00:00:00Z",
            account=f"{100000000000 + index // 4:012d}",
            region=regions[index % 4],
        )
        for index in range(500)
    ]
    (data.root / "events" / "organization.json").write_text(json.dumps(events))
    run = _run(
        data,
        FlowLogsPrefix="not-where-the-logs-are",
        Accounts="*",
        Regions="*",
        **{"AWS::AccountId": "123456789012", "AWS::Region": "us-east-1"},
    )
    assert run.report.status == "SUCCEEDED", (run.report.error, run.report.cause)
    output = run.report.output
    assert output["problem_total"] >= 500 and output["problem_counts"]["NO_FLOW_LOG_FILES"] >= 500
    assert len(output["problems"]) <= 5  # the state's summary is bounded
    assert len(run.problems) == output["problem_total"]  # the whole list is in the results object
    assert {r["status"] for r in run.results} == {"NO_FLOW_LOG_FILES"}  # no ALB blamed
    [alert] = run.alerts
    assert "NO_FLOW_LOG_FILES" in alert["subject"]
    assert len(alert["message"].encode()) < 256 * 1024  # SNS's limit
