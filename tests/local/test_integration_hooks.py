"""The Step Functions speed hooks (albrecon/local/hooks.py) change no answer: shared integration
clients, memoised JSONPaths, KMS private keys made on first use."""

from __future__ import annotations

import json

import boto3
from cryptography.hazmat.primitives import serialization
from moto.kms import models as kms_models

from albrecon.local import hooks
from albrecon.local.runtime import PLACEHOLDER_PARAMETERS, LocalAws


def test_kms_private_key_is_made_on_first_use_and_signs_and_verifies():
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS):
        made: list[str] = []
        original = hooks._ORIGINAL_PRIVATE_KEY
        hooks._ORIGINAL_PRIVATE_KEY = lambda spec: made.append(spec) or original(spec)
        try:
            kms = boto3.client("kms", region_name="us-east-1")
            symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
            signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
            assert made == []  # neither key has made its private key yet
            signature = kms.sign(KeyId=signing, Message=b"billed", SigningAlgorithm="RSASSA_PSS_SHA_256")[
                "Signature"
            ]
            assert made == ["RSA_2048"]
            assert kms.verify(
                KeyId=signing, Message=b"billed", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256"
            )["SignatureValid"]
            public_key = serialization.load_der_public_key(kms.get_public_key(KeyId=signing)["PublicKey"])
            assert public_key.key_size == 2048
            assert made == ["RSA_2048"]  # made once, kept
            ciphertext = kms.encrypt(KeyId=symmetric, Plaintext=b"measured")["CiphertextBlob"]
            assert kms.decrypt(CiphertextBlob=ciphertext)["Plaintext"] == b"measured"
        finally:
            hooks._ORIGINAL_PRIVATE_KEY = original
    assert kms_models.generate_private_key is hooks._ORIGINAL_PRIVATE_KEY  # unhooked after the block


def test_integration_clients_are_shared_per_region_and_service_and_dropped_after():
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import StateCredentials

    with LocalAws(parameters=PLACEHOLDER_PARAMETERS):
        first = hooks._integration_client("us-east-1", "athena").wrapped
        role = StateCredentials(role_arn="arn:aws:iam::123456789012:role/x")
        as_role = hooks._integration_client("us-east-1", "athena", state_credentials=role)
        assert as_role.wrapped is first and as_role.principal == role.role_arn  # one client, the task's role
        assert hooks._integration_client("eu-west-1", "athena").wrapped is not first
        assert hooks._integration_client("us-east-1", "sns").wrapped is not first
        assert first.meta.region_name == "us-east-1" and first.meta.service_model.service_name == "athena"
    assert hooks._INSTALLED == []


def test_a_client_made_outside_a_block_is_never_reused_inside_one():
    """A task left running after its block closed asks for a client while no mock is on: moto's
    answer points at its server. The next block must not be handed that client."""
    outside = hooks._integration_client("us-east-1", "athena")
    assert "localhost" in outside.meta.endpoint_url  # moto's server mode, as moto's function decides
    assert hooks._integration_client("us-east-1", "athena") is not outside  # nothing kept
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS):
        inside = hooks._integration_client("us-east-1", "athena").wrapped
        assert inside is not outside and "localhost" not in inside.meta.endpoint_url


def test_memoised_json_paths_give_moto_the_same_answers():
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    document = {"plan": {"sql": {"q": "SELECT 1"}}, "items": [{"n": 1}, {"n": 2}], "list": [7, 8]}
    paths = ["$.plan.sql.q", "$.items[*].n", "$.list[1]", "$.items[?(@.n > 1)].n", "$"]
    expected = [json_path.extract_json(p, document) for p in paths]
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS):
        assert json_path.parse is hooks._parsed_json_path
        for _ in range(2):  # the second round reads the memoised parses
            assert [json_path.extract_json(p, document) for p in paths] == expected
        assert hooks._parsed_json_path.cache_info().hits >= len(paths)
        # a memoised ResultPath expression is reused for a new state input, which it must not keep
        expression = result_path.parse("$.out")
        assert expression.update_or_create({"a": 1}, 2) == {"a": 1, "out": 2}
        assert result_path.parse("$.out").update_or_create({"b": 3}, 4) == {"b": 3, "out": 4}


def test_a_night_builds_one_client_per_integrated_service(tmp_path, monkeypatch):
    """A night runs several Lambda tasks and Athena tasks (each .sync one twice): one Athena client,
    and no boto3 Lambda client at all (the in-process one answers)."""
    from datetime import UTC, datetime, timedelta

    from albrecon.generator.dataset import AlbSpec, DatasetSpec, generate
    from albrecon.pipeline import LocalPipeline

    built: list[tuple[str, str]] = []
    original = boto3.client

    def counting(*args, **kwargs):
        if kwargs.get("aws_access_key_id") == "ak":  # moto's boto_client_for, for a task
            built.append((kwargs["region_name"], kwargs["service_name"]))
        return original(*args, **kwargs)

    monkeypatch.setattr(boto3, "client", counting)
    day = datetime.now(UTC).date() - timedelta(days=3)
    generate(
        DatasetSpec(day=day, albs=[AlbSpec("web", "0123456789abcdef", 2)], records_per_day=500), tmp_path
    )
    with LocalPipeline(tmp_path) as pipeline:
        run = pipeline.run(day.isoformat())
    assert run.report.status == "SUCCEEDED"
    tasks = [e for e in run.report.history if e["type"] == "TaskScheduled"]
    assert len(tasks) > 10
    assert built == [("us-east-1", "athena")]
    assert any(
        e["type"] == "TaskSucceeded" and e["taskSucceededEventDetails"]["resourceType"] == "lambda"
        for e in run.report.history
    )


def test_in_process_lambda_answers_as_botocore_does(monkeypatch):
    """Success, a function error, an unknown function and an injected fault, as the integration sees them."""
    from botocore.exceptions import ClientError

    with LocalAws(parameters=PLACEHOLDER_PARAMETERS) as aws:
        client = hooks._integration_client("us-east-1", "lambda")
        assert isinstance(client.wrapped, hooks.InProcessLambda)
        plan = next(f for f in aws.functions.values() if f.logical_id.startswith("Plan"))
        event = {"partitions_of": [["123456789012", "us-east-1"]], "date": "2026-11-20"}
        ok = client.invoke(FunctionName=plan.arn, Payload=json.dumps(event).encode())
        assert ok["StatusCode"] == 200 and "FunctionError" not in ok
        assert json.loads(ok["Payload"].read()) == plan.invoke(event)  # by ARN or by name, the same function
        account_function = plan.arn.split(":", 4)[4]  # 123456789012:function:name
        for identifier in (plan.name, f"{plan.name}:$LATEST", f"{plan.arn}:$LATEST", account_function):
            assert json.loads(
                client.invoke(FunctionName=identifier, Payload=json.dumps(event))["Payload"].read()
            ) == (plan.invoke(event)), identifier
        other_account = plan.arn.replace(":123456789012:", ":210987654321:")
        for unknown in (f"{plan.name}:7", other_account, "no-such-function"):
            try:
                client.invoke(FunctionName=unknown, Payload=b"{}")
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ResourceNotFoundException", unknown
            else:
                raise AssertionError(f"{unknown} must not be found")
        failed = client.invoke(FunctionName=plan.name, Payload=b'{"input": {"date": "not a day"}}')
        assert failed["FunctionError"] == "Unhandled"
        assert set(json.loads(failed["Payload"].read())) == {"errorType", "errorMessage"}
        try:
            client.invoke(FunctionName="no-such-function", Payload=b"{}")
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ResourceNotFoundException"
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        else:
            raise AssertionError("an unknown function must fail")
        aws.faults.fail(
            "lambda",
            "Invoke",
            "TooManyRequestsException",
            "slow down",
            on_calls=aws.faults.calls[("lambda", "Invoke")] + 1,
        )
        try:
            client.invoke(FunctionName=plan.name, Payload=b"{}")
        except ClientError as error:
            assert (error.response["Error"], error.response["ResponseMetadata"]["HTTPStatusCode"]) == (
                {"Code": "TooManyRequestsException", "Message": "slow down"},
                429,
            )
        else:
            raise AssertionError("the injected fault must fail the call")
