"""An AWS Organization reconciled by one stack (docs/DESIGN.md §2 organisation topology, §3 scope):
several accounts and regions in one central flow-log bucket, a consolidated CUR, ALBs out of
scope, and the local runtime running as the data's own account and region."""

import json
from datetime import date

import pytest

from albrecon.cli import main
from albrecon.generator.dataset import AlbSpec, DatasetSpec, generate
from albrecon.pipeline import LocalPipeline

pytestmark = pytest.mark.slow

PAYER, MEMBER, OUTSIDER = "111111111111", "222222222222", "333333333333"
ORG_ALBS = [
    AlbSpec("web", "0123456789abcdef", enis=3, account=PAYER, region="us-east-1"),
    AlbSpec("web", "fedcba9876543210", enis=2, account=MEMBER, region="us-east-1", cur_factor=1.10),
    AlbSpec("api", "00000000000000aa", enis=2, account=MEMBER, region="eu-west-1"),
    AlbSpec("shop", "00000000000000bb", enis=2, account=PAYER, region="eu-west-1", weight=0.5),
    AlbSpec("outsider", "00000000000000cc", enis=2, account=OUTSIDER, region="us-east-1", cur_factor=2.0),
    AlbSpec("far", "00000000000000dd", enis=2, account=PAYER, region="ap-southeast-2", cur_factor=3.0),
]
STACK = {"AWS::AccountId": PAYER, "AWS::Region": "us-east-1"}
IN_SCOPE = {"Accounts": f"{PAYER},{MEMBER}", "Regions": "us-east-1,eu-west-1"}


@pytest.fixture(scope="module", params=["hive-per-hour-cur2", "default-daily-legacy"])
def organization(request, tmp_path_factory):
    hive = request.param.startswith("hive")
    spec = DatasetSpec(
        day=date(2025, 12, 31),  # the last day of a year: D+1 is in the next year and billing period
        albs=ORG_ALBS,
        records_per_day=12_000,
        account=PAYER,
        region="us-east-1",
        flow_logs_bucket="org-log-archive",
        flow_logs_prefix="central",
        hive_partitions=hive,
        per_hour_partitions=hive,
        cur_format="cur2" if hive else "legacy",
        extra_parameters=IN_SCOPE,
    )
    root = tmp_path_factory.mktemp(request.param)
    return root, generate(spec, root)


def _key(result: dict) -> tuple[str, str, str]:
    return (result["account_id"], result["region"], result["load_balancer"])


def test_every_in_scope_alb_exact_and_nothing_else(organization):
    root, truth = organization
    with LocalPipeline(root, parameter_overrides=STACK, retry_delay_scale=0) as pipeline:
        run = pipeline.run("2025-12-31")
    assert run.report.status == "SUCCEEDED", run.report.describe()
    expected = {
        arn: lb for arn, lb in truth["load_balancers"].items() if lb["name"] not in ("outsider", "far")
    }
    got = {r["load_balancer_arn"]: r for r in run.results}
    assert set(got) == set(expected)  # "web" in two accounts is two rows; out of scope never appears
    for arn, lb in expected.items():
        assert got[arn]["flow_log_bytes"] == lb["flow_log_bytes"] > 0, lb["name"]
        assert got[arn]["cur_gb"] == pytest.approx(lb["cur_gb"])
        assert (got[arn]["account_id"], got[arn]["region"]) == (lb["account"], lb["region"])
    statuses = {_key(r): r["status"] for r in run.results}
    assert statuses == {
        (PAYER, "us-east-1", "web"): "MATCH",
        (MEMBER, "us-east-1", "web"): "MISMATCH",
        (MEMBER, "eu-west-1", "api"): "MATCH",
        (PAYER, "eu-west-1", "shop"): "MATCH",
    }
    [alert] = run.alerts
    assert "outsider" not in alert["message"] and "far" not in alert["message"]
    assert MEMBER in alert["message"]  # the alert names the account of the ALB it blames
    assert run.report.output["out_of_scope_billed"] == 2


def test_partitions_added_for_in_scope_accounts_regions_only(organization):
    root, truth = organization
    with LocalPipeline(root, parameter_overrides=STACK, retry_delay_scale=0) as pipeline:
        pipeline.run("2025-12-31")
        [egress] = [r for r in pipeline.aws.athena.executions.values() if "egress_bytes" in r.query]
        [table] = [
            t for (db, name), t in pipeline.aws.athena.tables.items() if name.startswith("vpc_flow_logs")
        ]
    pairs = {key[:2] for key in table.partitions}
    assert pairs == {(PAYER, "us-east-1"), (MEMBER, "us-east-1"), (MEMBER, "eu-west-1"), (PAYER, "eu-west-1")}
    per_pair = len(table.partitions) // len(pairs)
    hourly = truth["spec"]["per_hour_partitions"]
    assert per_pair == (25 if hourly else 2)  # D's 24 hours and D+1's first, or D and D+1
    assert egress.data_scanned_bytes > 0 and egress.unpruned_tables == []


def test_local_needs_the_stack_account_when_the_data_holds_several(organization, capsys):
    root, _ = organization
    assert main(["local", "--data", str(root), "--date", "2025-12-31", "--json"]) == 2
    error = capsys.readouterr().err
    assert "several AccountId values" in error and "--account-id" in error


def test_local_runs_as_the_data_account_and_region_without_flags(tmp_path, capsys):
    spec = DatasetSpec(
        day=date(2026, 3, 1),
        albs=[AlbSpec("tokyo-web", "0123456789abcdef", enis=2)],
        records_per_day=4_000,
        account="444455556666",
        region="ap-northeast-1",
    )
    truth = generate(spec, tmp_path)
    assert main(["local", "--data", str(tmp_path), "--date", "2026-03-01", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    [result] = printed["results"]
    [lb] = truth["load_balancers"].values()
    assert result["flow_log_bytes"] == lb["flow_log_bytes"] > 0
    assert result["status"] == "MATCH"
    assert result["load_balancer_arn"].startswith("arn:aws:elasticloadbalancing:ap-northeast-1:444455556666:")
