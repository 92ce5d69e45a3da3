"""The operator's CLI against a "deployed" stack: the local runtime's AWS, found through a CloudFormation
stack's outputs exactly as on AWS. Nothing of the CLI itself is mocked."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from albrecon.cli import main
from albrecon.generator.dataset import AlbSpec, DatasetSpec, generate
from albrecon.pipeline import LocalPipeline

pytestmark = pytest.mark.slow
DAY = datetime.now(UTC).date() - timedelta(days=3)
D = DAY.isoformat()


@pytest.fixture
def stack(tmp_path):
    """A local pipeline plus a CloudFormation stack whose outputs name its resources."""
    spec = DatasetSpec(
        day=DAY,
        albs=[
            AlbSpec("Test751", "0123456789abcdef", 3),
            AlbSpec("Test7510", "fedcba9876543210", 2, cur_factor=1.1),
        ],
        records_per_day=6_000,
    )
    generate(spec, tmp_path / "data")
    with LocalPipeline(tmp_path / "data", retry_delay_scale=0.0) as pipeline:
        aws = pipeline.aws
        outputs = {
            "StateMachineArn": aws.state_machines["ReconcileStateMachine"],
            "ResultsTableName": aws.ref("ResultsTable"),
            "AlertTopicArn": aws.ref("AlertTopic"),
        }
        template = {
            "Resources": {"Marker": {"Type": "AWS::SQS::Queue"}},
            "Outputs": {key: {"Value": value} for key, value in outputs.items()},
        }
        aws.client("cloudformation").create_stack(
            StackName="albrecon-test", TemplateBody=json.dumps(template)
        )
        yield pipeline


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--stack", "albrecon-test", "--region", "us-east-1"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_run_and_wait_shows_progress_results_and_alert(stack, capsys):
    code, out, _ = cli(capsys, "run", "--date", D, "--wait", "--poll", "0.05")
    assert code == 0, out
    # Every state, in the order the history holds them. (Lines printed while a state's Lambda ran
    # in moto's thread used to be lost in that function's stdout, which looked like missing events.)
    progress = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    for state in (
        "Plan",
        "FindEnis",
        "FlowLogEgress",
        "CurUsage",
        "Compare",
        "Persist",
        "Notify",
        "Reconciled",
    ):
        assert progress.index(f"→ {state}") < progress.index(f"✓ {state}"), out
    assert "execution SUCCEEDED" in out, out
    rows = [line for line in out.splitlines() if line.startswith(D)]
    assert any("Test7510" in r and "MISMATCH" in r for r in rows) and any(
        "Test751 " in r and "MATCH" in r for r in rows
    )
    assert f"ALERT - ALB egress {D}: 1 of 2 ALBs need attention" in out


def test_run_of_a_day_without_enis_says_so(stack, capsys):
    empty = (DAY - timedelta(days=60)).isoformat()
    code, out, _ = cli(capsys, "run", "--date", empty, "--wait", "--poll", "0.05")
    assert code == 0 and "nothing to reconcile" in out


def test_run_rejects_a_bad_date_before_calling_aws(stack, capsys):
    code, _, err = cli(capsys, "run", "--date", "2026-02-30")
    assert code == 2 and "not a calendar date" in err


def test_backfill_then_resume_skips_and_force_reruns(stack, capsys):
    first, last = (DAY - timedelta(days=1)).isoformat(), (DAY + timedelta(days=1)).isoformat()
    code, out, err = cli(
        capsys, "backfill", "--from", first, "--to", last, "--concurrency", "2", "--poll", "0.05"
    )
    assert code == 0, out + err
    assert "3 reconciled, 0 skipped" in out
    code, out, _ = cli(capsys, "backfill", "--from", first, "--to", last, "--poll", "0.05")
    assert code == 0 and "0 reconciled, 3 skipped" in out
    code, out, _ = cli(capsys, "backfill", "--from", D, "--to", D, "--force", "--poll", "0.05")
    assert code == 0 and "1 reconciled, 0 skipped" in out


def test_backfill_refuses_a_reversed_range(stack, capsys):
    code, _, err = cli(capsys, "backfill", "--from", D, "--to", (DAY - timedelta(days=1)).isoformat())
    assert code == 2 and "before --from" in err


def test_history_as_table_json_and_csv(stack, capsys):
    cli(capsys, "run", "--date", D, "--wait", "--poll", "0.05")
    days = str((datetime.now(UTC).date() - DAY).days + 1)
    code, out, _ = cli(capsys, "history", "--days", days, "--json")
    assert code == 0
    items = json.loads(out)
    assert {i["load_balancer"] for i in items} == {"Test751", "Test7510"}
    code, out, _ = cli(capsys, "history", "--days", days, "--csv", "--alb", "Test7510")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["date"], r["status"]) for r in rows] == [(D, "MISMATCH")]
    code, out, _ = cli(capsys, "history", "--days", days)
    assert code == 0 and "Test7510" in out and "MISMATCH" in out


def test_report_png_and_html(stack, capsys, tmp_path):
    cli(capsys, "run", "--date", D, "--wait", "--poll", "0.05")
    png, page = tmp_path / "chart.png", tmp_path / "chart.html"
    assert cli(capsys, "report", "--from", D, "--to", D, "--out", str(png))[0] == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert cli(capsys, "report", "--from", D, "--to", D, "--out", str(page))[0] == 0
    text = page.read_text()
    assert "<svg" in text and 'class="alert"' in text and "Test7510" in text


def test_missing_stack_is_a_clear_error(stack, capsys):
    code = main(["history", "--stack", "no-such-stack", "--region", "us-east-1"])
    assert code == 2 and "stack 'no-such-stack' not found in us-east-1" in capsys.readouterr().err


def test_missing_credentials_is_a_clear_error(monkeypatch, capsys, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code = main(["history", "--stack", "x", "--region", "us-east-1"])
    assert code == 2 and "no AWS credentials" in capsys.readouterr().err


@pytest.mark.parametrize("code", ["ExecutionAlreadyExists", "ExecutionLimitExceeded"])
def test_a_run_step_functions_refuses_to_start_is_a_clear_error(stack, capsys, code):
    stack.aws.faults.fail("stepfunctions", "StartExecution", code, "refused for the test")
    exit_code, _, err = cli(capsys, "run", "--date", D)
    assert exit_code == 2
    assert f"did not start the run of {D}: {code}: refused for the test" in err
    assert "Traceback" not in err
