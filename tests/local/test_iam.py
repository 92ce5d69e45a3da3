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


# ------------------------------------------------------------------ what AWS does as a role
def _without_label(role: iam.Role, label: str) -> list[iam.Statement]:
    kept = [s for s in role.statements if s.label != label]
    assert len(kept) == len(role.statements) - 1, f"{role.logical_id} has no statement {label}"
    return kept


@pytest.mark.loses_telemetry
def test_functions_deliver_their_logs_and_traces_as_their_roles(local_aws, event):
    """Lambda writes a function's logs and X-Ray segments with its execution role. Without the
    permission the invocation still succeeds on AWS - and its logs are gone: the local stack records
    that loss instead of failing (and the suite's IAM gate fails on any loss)."""
    authorizer = local_aws.authorizer
    assert local_aws.invoke("EniRecorderFunction", event("create_alb_eni"))["outcome"]
    assert authorizer.lost_telemetry == []
    role = local_aws.role("EniRecorderFunction")
    role.statements = _without_label(role, "AWSLambdaBasicExecutionRole#0")
    assert local_aws.invoke("EniRecorderFunction", event("delete_alb_eni"))["outcome"]
    lost = {action for principal, action, _ in authorizer.lost_telemetry if principal == role.arn}
    assert lost == {"logs:CreateLogStream", "logs:PutLogEvents"}
    role.statements = _without_label(role, "AWSXrayWriteOnlyAccess#0")
    local_aws.invoke("EniRecorderFunction", event("delete_alb_eni"))
    assert {a for _, a, _ in authorizer.lost_telemetry} >= {"xray:PutTraceSegments", "logs:PutLogEvents"}


def test_a_state_machine_role_without_log_delivery_cannot_be_created(local_aws):
    """Step Functions refuses CreateStateMachine with a LoggingConfiguration its role cannot
    deliver (step-functions/latest/dg/cw-logs.html): the first deploy would fail."""
    from albrecon.local.template import TemplateError

    machine = local_aws.role("ReconcileStateMachine")
    [delivery] = [s for s in machine.statements if "logs:CreateLogDelivery" in str(s.body.get("Action"))]
    props = local_aws.template.resources["ReconcileStateMachine"]["Properties"]
    local_aws._check_state_machine_role("ReconcileStateMachine", props)  # as deployed: created
    machine.statements = _without_label(machine, delivery.label)
    with pytest.raises(TemplateError, match="not authorized to access the log destination"):
        local_aws._check_state_machine_role("ReconcileStateMachine", props)


def test_the_daily_healing_schedule_invokes_discovery_as_its_own_role(local_aws):
    """Scheduler invokes the discovery function (asynchronously) as the role SAM gives the schedule."""
    healing = local_aws.role("EniDiscoveryFunctionDailyHealingRole")
    discovery = local_aws.functions["EniDiscoveryFunction"]

    def discoveries() -> int:
        return sum("Discovery_targets" in document for document in discovery.metrics())

    local_aws.fire_schedule("EniDiscoveryFunctionDailyHealing")
    assert discoveries() == 1
    healing.statements = []
    with pytest.raises(iam.AccessDenied, match="lambda:InvokeFunction"):  # no dead-letter queue
        local_aws.fire_schedule("EniDiscoveryFunctionDailyHealing")
    assert discoveries() == 1


def _dead_letters(aws, queue_logical_id: str) -> list[dict]:
    import json

    sqs = aws.client("sqs")
    answer = sqs.receive_message(QueueUrl=aws.ref(queue_logical_id), MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


def test_a_discovery_that_keeps_failing_is_kept_in_the_dead_letter_queue(local_aws):
    """Lambda's asynchronous invoke retries twice, then sends the invocation record to the OnFailure
    destination as the function's role (the policy SAM generates for the destination)."""
    local_aws.faults.fail("dynamodb", "Query", "InternalServerError", on_calls=range(1, 100))
    local_aws.invoke_async("EniDiscoveryFunction", {"source": "albrecon.daily-discovery"})
    [record] = _dead_letters(local_aws, "EniEventsDeadLetterQueue")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"source": "albrecon.daily-discovery"}
    role = local_aws.role("EniDiscoveryFunction")
    role.statements = _without_label(role, "EniDiscoveryFunctionEventInvokeConfigOnFailureSQSPolicy#0")
    with pytest.raises(ClientError) as denied:  # on AWS: the record is dropped
        local_aws.invoke_async("EniDiscoveryFunction", {"source": "albrecon.daily-discovery"})
    assert "sqs:SendMessage" in str(denied.value)


def test_with_a_kms_key_every_sender_to_an_encrypted_queue_or_topic_has_the_key(event):
    """KmsKeyArn encrypts the dead-letter queues and the alert topic: the recorder parking an event,
    Lambda keeping a failed discovery, Scheduler keeping a refused night and the state machine
    publishing an alert each send as a role that needs the key - each removal fails here."""
    from albrecon.local.runtime import PLACEHOLDER_PARAMETERS, LocalAws

    key = "arn:aws:kms:us-east-1:123456789012:key/0b7d4a3e-1111-4222-8333-944455556666"
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS | {"KmsKeyArn": key}) as aws:
        kms_statement = {
            logical_id: next(
                s.label
                for s in aws.role(logical_id).statements
                if f"'{key}'" in str(s.body) or s.body.get("Resource") == key
            )
            for logical_id in (
                "EniRecorderFunction",
                "EniDiscoveryFunction",
                "NightlyScheduleRole",
                "ReconcileStateMachine",
            )
        }

        def park_malformed() -> None:
            assert aws.invoke("EniRecorderFunction", event("malformed_event_time"))["outcome"] == "malformed"

        def keep_failed_discovery() -> None:
            aws.faults.faults.clear()
            aws.faults.fail("dynamodb", "Query", "InternalServerError", on_calls=range(1, 10_000))
            aws.invoke_async("EniDiscoveryFunction", {})

        def keep_refused_night() -> None:
            nightly = aws.role("NightlyScheduleRole")
            saved = nightly.statements
            nightly.statements = [
                s for s in saved if "states:StartExecution" not in str(s.body.get("Action"))
            ]
            try:
                aws.fire_schedule("ReconcileStateMachineNightly")
            finally:
                nightly.statements = saved

        def publish_alert() -> None:
            with iam.acting_as(aws.role("ReconcileStateMachine").arn):
                aws.client("sns").publish(TopicArn=aws.ref("AlertTopic"), Message="m", Subject="s")

        sends = {
            "EniRecorderFunction": park_malformed,
            "EniDiscoveryFunction": keep_failed_discovery,
            "NightlyScheduleRole": keep_refused_night,
            "ReconcileStateMachine": publish_alert,
        }
        for send in sends.values():
            send()
        assert len(_dead_letters(aws, "EniEventsDeadLetterQueue")) == 2
        assert len(_dead_letters(aws, "ScheduleDeadLetterQueue")) == 1
        for logical_id, send in sends.items():
            role = aws.role(logical_id)
            role.statements = _without_label(role, kms_statement[logical_id])
            with pytest.raises((ClientError, FunctionError)) as denied:
                send()
            assert "kms:GenerateDataKey" in str(denied.value), logical_id


def test_athena_writes_the_result_where_the_workgroup_enforces_as_the_caller(local_aws):
    """The workgroup overrides client-side settings (EnforceWorkGroupConfiguration): the result
    goes to its OutputLocation whatever the request says, written with the caller's s3:PutObject."""
    machine = local_aws.role("ReconcileStateMachine")
    athena = iam.ActingClient(local_aws.client("athena"), machine.arn)
    workgroup = local_aws.ref("AthenaWorkGroup")
    ok = athena.start_query_execution(
        QueryString="SELECT 1",
        WorkGroup=workgroup,
        ResultConfiguration={"OutputLocation": "s3://elsewhere/x/"},
    )["QueryExecutionId"]
    execution = athena.get_query_execution(QueryExecutionId=ok)["QueryExecution"]
    bucket = local_aws.ref("AthenaResultsBucket")
    assert execution["ResultConfiguration"]["OutputLocation"] == f"s3://{bucket}/results/{ok}.csv"
    machine.statements = [
        s for s in machine.statements if "s3:PutObject" not in iam._listed(s.body["Action"])
    ]
    failed = athena.start_query_execution(QueryString="SELECT 1", WorkGroup=workgroup)["QueryExecutionId"]
    status = athena.get_query_execution(QueryExecutionId=failed)["QueryExecution"]["Status"]
    assert status["State"] == "FAILED" and "s3:PutObject" in status["AthenaError"]["ErrorMessage"]
