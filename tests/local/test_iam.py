"""IAM by execution: the local stack's calls are made as the roles `sam deploy` creates, and a call
that a role does not allow fails as it fails on AWS."""

from __future__ import annotations

import dataclasses

import pytest
from botocore.exceptions import ClientError

from albrecon.local import iam
from albrecon.local.lambdas import FunctionError


def _role(*statements: dict) -> iam.Role:
    return iam.Role(
        "R",
        "arn:aws:iam::123456789012:role/r",
        [iam.Statement(f"p#{i}", s) for i, s in enumerate(statements)],
    )


# ------------------------------------------------------------------ the evaluation rules
def test_wildcards_are_iams_not_regular_expressions():
    role = _role({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/AWSLogs/*"})
    assert role.decide("s3:GetObject", "arn:aws:s3:::logs/AWSLogs/123/x.gz")[0]
    assert not role.decide("s3:GetObject", "arn:aws:s3:::logsXAWSLogs/1")[0]  # "." is not "any"
    assert not role.decide("s3:GetObject", "arn:aws:s3:::logs/other/x")[0]
    one_char = _role({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/?"})
    assert one_char.decide("s3:GetObject", "arn:aws:s3:::b/a")[0]
    assert not one_char.decide("s3:GetObject", "arn:aws:s3:::b/ab")[0]


def test_actions_match_without_case_resources_with_case():
    role = _role({"Effect": "Allow", "Action": "DynamoDB:query", "Resource": "arn:aws:dynamodb:*:*:table/T"})
    assert role.decide("dynamodb:Query", "arn:aws:dynamodb:us-east-1:1:table/T")[0]
    assert not role.decide("dynamodb:Query", "arn:aws:dynamodb:us-east-1:1:table/t")[0]
    assert not role.decide("dynamodb:Query", "arn:aws:dynamodb:us-east-1:1:table/T/index/I")[0]


def test_an_explicit_deny_wins_and_not_action_excludes():
    role = _role(
        {"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/locked/*"},
    )
    assert role.decide("s3:GetObject", "arn:aws:s3:::b/x")[0]
    assert not role.decide("s3:DeleteObject", "arn:aws:s3:::b/x")[0]
    assert role.decide("s3:PutObject", "arn:aws:s3:::b/open/x")[0]
    assert not role.decide("s3:PutObject", "arn:aws:s3:::b/locked/x")[0]


def test_a_conditional_allow_never_allows_here():
    role = _role(
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        }
    )
    assert not role.decide("s3:GetObject", "arn:aws:s3:::b/x")[0]


def test_an_operation_nobody_modelled_fails_loudly():
    with pytest.raises(iam.LocalIamNotModelled):
        iam.Authorizer().needs_of("s3", "PutBucketPolicy", {"Bucket": "b"}, None)


# ------------------------------------------------------------------ the template's roles, executed
def test_functions_and_the_state_machine_run_as_their_translated_roles(local_aws):
    recorder = local_aws.role("EniRecorderFunction")
    assert recorder.logical_id == "EniRecorderFunctionRole"
    assert local_aws.functions["EniRecorderFunction"].role_arn == recorder.arn
    assert local_aws.role("ReconcileStateMachine").logical_id == "ReconcileStateMachineRole"
    described = local_aws.client("stepfunctions").describe_state_machine(
        stateMachineArn=local_aws.state_machines["ReconcileStateMachine"]
    )
    assert described["roleArn"] == local_aws.role("ReconcileStateMachine").arn


def _without(role: iam.Role, action: str) -> list[iam.Statement]:
    kept = [s for s in role.statements if action.lower() not in str(s.body.get("Action", "")).lower()]
    assert len(kept) == len(role.statements) - 1, f"one statement of {role.logical_id} allows {action}"
    return kept


def test_a_recorder_without_its_write_permission_fails_as_on_aws(local_aws, event):
    role = local_aws.role("EniRecorderFunction")
    role.statements = _without(role, "dynamodb:UpdateItem")
    with pytest.raises(FunctionError) as failed:
        local_aws.invoke("EniRecorderFunction", event("create_alb_eni"))
    assert "AccessDeniedException" in failed.value.message and "dynamodb:UpdateItem" in failed.value.message


def test_the_deploy_time_backfill_needs_its_inventory_query(local_aws):
    """The first deploy failed on AWS for want of this statement (the backfill custom resource
    answered FAILED): the test that runs it as deployed now fails in its absence."""
    role = local_aws.role("EniDiscoveryFunction")
    role.statements = [s for s in role.statements if "dynamodb:Query" not in str(s.body.get("Action"))]
    with pytest.raises(FunctionError) as failed:
        local_aws.invoke("EniDiscoveryFunction", {})
    assert "dynamodb:Query" in failed.value.message and "index/ByActiveUntil" in failed.value.message


def test_calls_of_the_harness_are_not_checked_but_a_role_s_are(local_aws):
    table = local_aws.ref("ResultsTable")
    local_aws.client("dynamodb").scan(TableName=table)  # the operator / provisioning: no role
    with iam.acting_as(local_aws.role("NotifyFunction").arn), pytest.raises(ClientError) as denied:
        local_aws.client("dynamodb").scan(TableName=table)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_athena_reads_the_catalog_and_s3_as_the_caller(local_aws):
    """Athena uses the caller's credentials for Glue and S3: a role that may start queries but
    not read the catalog's default database gets a FAILED query naming the permission."""
    machine = local_aws.role("ReconcileStateMachine")
    athena = iam.ActingClient(local_aws.client("athena"), machine.arn)
    workgroup = local_aws.ref("AthenaWorkGroup")
    ok = athena.start_query_execution(QueryString="SELECT 1", WorkGroup=workgroup)["QueryExecutionId"]
    assert athena.get_query_execution(QueryExecutionId=ok)["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    machine.statements = [
        dataclasses.replace(
            s,
            body={
                **s.body,
                "Resource": [
                    r for r in iam._listed(s.body["Resource"]) if not r.endswith("database/default")
                ],
            },
        )
        if s.body.get("Action") == "glue:GetDatabase"
        else s
        for s in machine.statements
    ]
    failed = athena.start_query_execution(QueryString="SELECT 1", WorkGroup=workgroup)["QueryExecutionId"]
    status = athena.get_query_execution(QueryExecutionId=failed)["QueryExecution"]["Status"]
    assert status["State"] == "FAILED" and "glue:GetDatabase" in status["AthenaError"]["ErrorMessage"]


def test_a_kms_encrypted_queue_needs_the_key_of_its_senders():
    from albrecon.local.runtime import PLACEHOLDER_PARAMETERS, LocalAws

    key = "arn:aws:kms:us-east-1:123456789012:key/0b7d4a3e-1111-4222-8333-944455556666"
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS | {"KmsKeyArn": key}) as aws:
        queue = aws.ref("ScheduleDeadLetterQueue")
        needs = iam.Authorizer().needs_of(
            "sqs", "SendMessage", {"QueueUrl": queue}, aws._call_context(aws.region)
        )
        assert ("kms:GenerateDataKey", key) in needs and ("kms:Decrypt", key) in needs
        nightly = aws.authorizer.roles[aws._role_arns["NightlyScheduleRole"]]
        for action, resource in needs:  # Scheduler sends dead letters as the schedule's role
            assert nightly.decide(action, resource)[0], (action, resource)


def test_the_nightly_schedule_starts_the_night_as_its_own_role(local_aws):
    """EventBridge Scheduler calls states:StartExecution as the schedule's role (and sends its dead
    letters as that role): the role the template gives it allows exactly that, and nothing else."""
    nightly = local_aws.authorizer.roles[local_aws._role_arns["NightlyScheduleRole"]]
    machine = local_aws.state_machines["ReconcileStateMachine"]
    sfn = local_aws.client("stepfunctions")
    with iam.acting_as(nightly.arn):
        started = sfn.start_execution(stateMachineArn=machine, input="{}")
        queue = local_aws.ref("ScheduleDeadLetterQueue")
        local_aws.client("sqs").send_message(QueueUrl=queue, MessageBody="{}")
        with pytest.raises(ClientError) as denied:
            local_aws.client("sqs").send_message(
                QueueUrl=local_aws.ref("EniEventsDeadLetterQueue"), MessageBody="{}"
            )
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    # the night it started runs to its end here (stopping it would leave moto's branch threads
    # failing after the test)
    assert local_aws.execution_ends.wait(started["executionArn"], 120)
