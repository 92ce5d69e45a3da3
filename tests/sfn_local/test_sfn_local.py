"""The real state machine definition in AWS Step Functions Local (Docker), with mocked tasks.

Runs only where Docker runs the `amazon/aws-stepfunctions-local` image with
tests/sfn_local/MockConfigFile.json (`make test-sfn-local` starts it); skipped otherwise, with
the reason. The embedded runtime's e2e tests cover the same scenarios without Docker.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

ENDPOINT = os.environ.get("SFN_LOCAL_ENDPOINT", "http://127.0.0.1:8083")
DEFINITION = Path(__file__).parents[2] / "statemachine" / "reconcile.asl.json"
SUBSTITUTIONS = {
    "PlanFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:plan",
    "EnisFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:enis",
    "DiagnoseFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:diagnose",
    "CompareFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:compare",
    "PersistFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:persist",
    "NotifyFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:notify",
    "AthenaWorkGroup": "reconcile",
    "AthenaDatabase": "alb_egress_reconciliation",
    "AlertTopicArn": "arn:aws:sns:us-east-1:123456789012:alerts",
}
CASES = {  # test case -> (execution status, a state that must have run, a state that must not)
    "Match": ("SUCCEEDED", "Reconciled", "PublishAlert"),
    "Mismatch": ("SUCCEEDED", "PublishAlert", "DescribeFailure"),
    "MissingCur": ("SUCCEEDED", "PublishAlert", "DescribeFailure"),
    "MissingFlowLogs": ("SUCCEEDED", "PublishAlert", "DescribeFailure"),
    "PendingCur": ("SUCCEEDED", "Reconciled", "PublishAlert"),
    "NoEnis": ("SUCCEEDED", "NothingToReconcile", "Queries"),
    "AthenaRetriedThenSucceeds": ("SUCCEEDED", "Reconciled", "DescribeFailure"),
    "AthenaFailureAlerted": ("FAILED", "PublishFailure", "FindEnis"),
    "QueryFailureAlerted": ("FAILED", "PublishFailure", "Compare"),
    "SnsFailure": ("FAILED", "PipelineFailed", "Reconciled"),
    "InvalidDate": ("FAILED", "InvalidInput", "CreateTables"),
}


def _unavailable() -> str | None:
    if shutil.which("docker") is None:
        return "Docker is not installed: Step Functions Local runs in Docker (make test-sfn-local)"
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        return "no Docker engine is running: Step Functions Local needs one (make test-sfn-local)"
    try:
        _client().list_state_machines()
    except (BotoCoreError, ClientError):
        return f"Step Functions Local is not listening on {ENDPOINT}: start it with make test-sfn-local"
    return None


def _client():
    return boto3.client(
        "stepfunctions",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=30),
    )


needs_sfn_local = pytest.mark.skipif(bool(reason := _unavailable()), reason=reason or "")


@pytest.fixture(scope="module")
def state_machine_arn() -> str:
    text = DEFINITION.read_text()
    for key, value in SUBSTITUTIONS.items():
        text = text.replace("${" + key + "}", value)
    client = _client()
    return client.create_state_machine(
        name="ReconcileStateMachine",
        definition=text,
        roleArn="arn:aws:iam::123456789012:role/DummyRole",
    )["stateMachineArn"]


def _state_names(states: dict) -> set[str]:
    names = set(states)
    for state in states.values():
        for branch in [*state.get("Branches", []), state.get("ItemProcessor", {"States": {}})]:
            names |= _state_names(branch["States"])
    return names


def test_mock_config_matches_the_definition():
    """Runs without Docker: every case is mocked, every mocked state exists, every mock is defined."""
    config = json.loads((Path(__file__).parent / "MockConfigFile.json").read_text())
    cases = config["StateMachines"]["ReconcileStateMachine"]["TestCases"]
    assert set(cases) == set(CASES)
    states = _state_names(json.loads(DEFINITION.read_text())["States"])
    for case, mocks in cases.items():
        assert set(mocks) <= states, (case, set(mocks) - states)
        assert set(mocks.values()) <= set(config["MockedResponses"]), case
    for expected in CASES.values():
        assert {expected[1], expected[2]} <= states


@needs_sfn_local
@pytest.mark.parametrize("case", CASES)
def test_case(state_machine_arn, case):
    client = _client()
    execution = client.start_execution(
        stateMachineArn=f"{state_machine_arn}#{case}", input=json.dumps({"date": "2026-11-20"})
    )
    deadline = time.monotonic() + 300
    while (
        status := client.describe_execution(executionArn=execution["executionArn"])["status"]
    ) == "RUNNING":
        assert time.monotonic() < deadline, "execution did not finish"
        time.sleep(0.5)
    history = client.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
    entered = {e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e}
    expected_status, must_run, must_not_run = CASES[case]
    assert status == expected_status
    assert must_run in entered and must_not_run not in entered


def test_every_case_that_reaches_a_task_mocks_it():
    """Runs without Docker: a case that mocks a state of a Parallel branch mocks every task of the
    branches (Step Functions Local would call the real service for an unmocked one)."""
    config = json.loads((Path(__file__).parent / "MockConfigFile.json").read_text())
    definition = json.loads(DEFINITION.read_text())["States"]
    for case, mocks in config["StateMachines"]["ReconcileStateMachine"]["TestCases"].items():
        for state in definition.values():
            branches = state.get("Branches", [])
            tasks = {
                name
                for branch in branches
                for name, inner in branch["States"].items()
                if inner["Type"] == "Task"
            } | {
                name
                for branch in branches
                for inner_state in branch["States"].values()
                for name, inner in inner_state.get("ItemProcessor", {"States": {}})["States"].items()
                if inner["Type"] == "Task"
            }
            if tasks & set(mocks):
                assert tasks <= set(mocks), (case, tasks - set(mocks))
