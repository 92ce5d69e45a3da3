"""The local runtime on a miniature template: every construct the pipeline relies on, and faults."""

from pathlib import Path

import pytest

from albrecon.local.runtime import LocalAws
from albrecon.local.template import Template

MINI = Path(__file__).parents[1] / "fixtures" / "mini" / "template.yaml"
INPUT = {"sql": "SELECT n FROM (VALUES (1), (2), (3)) AS t(n) ORDER BY n", "numbers": [1, 2, 3]}


@pytest.fixture
def aws():
    with LocalAws(template=Template.load(MINI), parameters={"Greeting": "hi"}) as local:
        yield local


def test_whole_machine_succeeds_with_lambda_athena_parallel_and_map(aws):
    report = aws.start_execution("Machine", INPUT)
    assert report.status == "SUCCEEDED", report.describe()
    assert report.output["echo"] == {"greeting": "hi from us-east-1", "topic": aws.ref("Alerts")}
    query, doubled = report.output["both"]
    assert [row["Data"][0].get("VarCharValue") for row in query["rows"]] == ["n", "1"]  # header + 1 row
    assert query["next"]  # MaxResults 2: a second page exists
    assert doubled == [2, 4, 6]
    assert [s.name for s in report.states][:2] == ["Echo", "Both"]
    assert report.state("Double").duration_ms is not None
    assert aws.published_messages("Alerts") == []


def test_outcome_only_without_the_history(aws):
    """read_history=False: the same outcome, and GetExecutionHistory is never called."""
    full = aws.start_execution("Machine", INPUT)
    brief = aws.start_execution("Machine", INPUT, read_history=False)
    assert (brief.status, brief.output, brief.error) == (full.status, full.output, full.error)
    assert aws.faults.calls[("stepfunctions", "GetExecutionHistory")] == 1  # the first run's only
    assert brief.history is None and brief.states == []
    for needs_history in (
        lambda: brief.state("Echo"),
        lambda: brief.ran("Echo"),
        lambda: brief.largest_payload_bytes,
    ):
        with pytest.raises(ValueError, match="history was not read"):
            needs_history()
    assert "history was not read" in brief.describe() and brief.describe().endswith("SUCCEEDED")


def test_lambda_error_is_caught_and_published(aws):
    report = aws.start_execution("Machine", {**INPUT, "fail_with": "bad day"})
    assert report.status == "FAILED" and report.error == "MiniFailed"
    [message] = aws.published_messages("Alerts")
    assert message["subject"] == "mini failed"
    assert '"Error":"ValueError"' in message["message"] and "bad day" in message["message"]


def test_retry_then_succeed(aws):
    aws.faults.fail("lambda", "Invoke", "ServiceException", on_calls=[1, 2])
    report = aws.start_execution("Machine", INPUT)
    assert report.status == "SUCCEEDED", report.describe()
    assert [f[:3] for f in aws.faults.injected] == [("lambda", "Invoke", 1), ("lambda", "Invoke", 2)]
    assert report.state("Echo").events.count("TaskFailed") == 2


def test_retries_exhausted_then_caught(aws):
    aws.faults.fail("lambda", "Invoke", "ServiceException", on_calls=[1, 2, 3])
    report = aws.start_execution("Machine", INPUT)
    assert report.status == "FAILED"
    [message] = aws.published_messages("Alerts")
    assert "Lambda.ServiceException" in message["message"]


def test_athena_query_failure_fails_the_sync_task(aws):
    report = aws.start_execution("Machine", {**INPUT, "sql": "SELECT * FROM no_such_table"})
    assert report.status == "FAILED"
    [message] = aws.published_messages("Alerts")
    assert "States.TaskFailed" in message["message"] and "TABLE_NOT_FOUND" in message["message"]


def test_fault_on_the_nth_athena_call(aws):
    aws.faults.fail("athena", "GetQueryResults", "TooManyRequestsException", on_calls=1)
    report = aws.start_execution("Machine", INPUT)
    assert report.status == "FAILED"
    assert "Athena.TooManyRequestsException" in aws.published_messages("Alerts")[0]["message"]


def test_sns_failure_fails_the_execution(aws):
    aws.faults.fail("sns", "Publish", "InternalErrorException", on_calls=1)
    report = aws.start_execution("Machine", {**INPUT, "fail_with": "x"})
    assert report.status == "FAILED"
    assert report.error == "SNS.InternalErrorException"


def test_dynamodb_throttling_is_retried_by_the_sdk_then_surfaces(aws):
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    aws.faults.fail("dynamodb", "ListTables", "ProvisionedThroughputExceededException", on_calls=[1, 2])
    client = boto3.client("dynamodb", region_name="us-east-1", config=Config(retries={"max_attempts": 3}))
    assert client.list_tables()["ResponseMetadata"]["RetryAttempts"] == 2
    aws.faults.fail("dynamodb", "ListTables", "ProvisionedThroughputExceededException", on_calls=range(4, 40))
    with pytest.raises(ClientError, match="ProvisionedThroughputExceededException"):
        client.list_tables()


def test_unknown_parameter_is_refused():
    from albrecon.local.template import TemplateError

    with pytest.raises(TemplateError, match="unknown template parameters"):
        LocalAws(template=Template.load(MINI), parameters={"Nope": "x"})


def test_a_state_output_over_256_kib_fails_the_execution_uncaught(aws):
    """AWS's quota holds locally: States.DataLimitExceeded, which States.ALL does not catch."""
    report = aws.start_execution("Machine", {**INPUT, "pad": "x" * 261_950})  # Echo's result tips it over
    assert report.status == "FAILED" and report.error == "States.DataLimitExceeded"
    assert aws.published_messages("Alerts") == []  # the Catch to Alert never ran


def test_an_athena_query_over_262144_bytes_is_refused_by_the_engine(aws):
    """Athena's StartQueryExecution refuses a QueryString over 262,144 bytes (the engine itself,
    not only our renderer); a state that carried one would hit the 256 KiB state quota first."""
    from botocore.exceptions import ClientError

    athena = aws.client("athena")
    with pytest.raises(ClientError) as refused:
        athena.start_query_execution(QueryString="SELECT 1" + " " * 262_137, WorkGroup="primary")
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "at most 262144" in refused.value.response["Error"]["Message"]
    fits = athena.start_query_execution(QueryString="SELECT 1" + " " * 262_136, WorkGroup="primary")
    assert fits["QueryExecutionId"]


def test_a_new_process_runs_the_definition_parsed_by_an_earlier_one(tmp_path, monkeypatch):
    """The parsed program is pickled to the user's cache; a later process (here: the in-process
    memo cleared) runs from it, and a damaged cache file is parsed again, not trusted."""
    from albrecon.local import hooks

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    parses = []
    original = hooks._ORIGINAL_PARSE
    monkeypatch.setattr(hooks, "_ORIGINAL_PARSE", lambda text: parses.append(1) or original(text))
    outputs, parsed = [], []
    for damage in (False, False, True):
        hooks._parsed_definition.cache_clear()
        if damage:
            for cached in (tmp_path / "albrecon").glob("asl-*.pickle"):
                cached.write_bytes(b"not a pickle")
        with LocalAws(template=Template.load(MINI), parameters={"Greeting": "hi"}) as local:
            report = local.start_execution("Machine", INPUT)
        assert report.status == "SUCCEEDED", report.describe()
        outputs.append(report.output["both"][1])
        parsed.append(len(parses))
    assert outputs == [[2, 4, 6]] * 3
    assert parsed == [1, 1, 2]  # parsed, then read from the cache, then parsed again over the damage
    assert len(list((tmp_path / "albrecon").glob("asl-*.pickle"))) == 1
    hooks._parsed_definition.cache_clear()
