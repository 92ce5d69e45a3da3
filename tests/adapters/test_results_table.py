"""The results adapter against moto, on the table as template.yaml declares it: a re-run replaces a
day whole or not at all, whatever interrupts it."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from aws_adapters.results_table import DAY_ITEM_KEY, ResultsTable

DAY = "2026-11-20"


def _results(run: str, albs: int, delta: float) -> list[dict]:
    return [
        {
            "date": DAY,
            "load_balancer_arn": f"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a{i:03d}/0123456789abcdef",
            "load_balancer": f"a{i:03d}",
            "status": "MATCH",
            "delta_gb": delta,
            "problems": [{"kind": "K", "share": 0.25}],
            "execution_arn": run,
        }
        for i in range(albs)
    ]


@pytest.fixture
def table(local_aws):
    return ResultsTable(local_aws.ref("ResultsTable"), local_aws.client("dynamodb"))


def test_a_day_reads_back_as_written_and_a_rerun_replaces_it(table):
    first = _results("run-1", 3, 0.5)
    table.replace_day(DAY, first, generation="run-1")
    assert table.items_of_day(DAY) == sorted(first, key=lambda r: r["load_balancer_arn"])
    second = _results("run-2", 2, 1.25)
    assert table.replace_day(DAY, second, generation="run-2") == 1  # a003's result removed
    assert table.items_of_day(DAY) == second
    assert table.items_of_load_balancer("a001", "2026-11-01") == [second[1]]


@pytest.mark.parametrize(("failing_call", "left_behind"), [("BatchWriteItem", 1), ("PutItem", 2)])
def test_a_rerun_interrupted_anywhere_leaves_the_old_day_whole(local_aws, table, failing_call, left_behind):
    """60 ALBs: three batches of writes, then the commit. A failure in the second batch (a day
    half overwritten) or at the commit (every item overwritten) leaves the old day readable,
    whole, by day and by ALB; the next write then replaces it whole."""
    old = _results("run-1", 60, 0.5)
    table.replace_day(DAY, old, generation="run-1")
    calls = local_aws.faults.calls[("dynamodb", failing_call)]
    on = calls + (2 if failing_call == "BatchWriteItem" else 1)
    local_aws.faults.fail("dynamodb", failing_call, "ValidationException", on_calls=on)
    with pytest.raises(ClientError):
        table.replace_day(DAY, _results("run-2", 61, 9.0), generation="run-2")
    assert table.items_of_day(DAY) == old
    assert table.items_of_load_balancer("a001", "2026-11-01") == [old[1]]
    # the interrupted write, retried (Persist again in the same execution) or redone by a re-run
    newest = _results("run-3", 59, 2.0)
    # removed after the commit: a059 (run 1's), and a060 where run 2 got as far as writing it
    assert table.replace_day(DAY, newest, generation="run-3") == left_behind
    assert table.items_of_day(DAY) == newest


def test_a_first_write_interrupted_leaves_no_day(local_aws, table):
    local_aws.faults.fail("dynamodb", "PutItem", "ValidationException", on_calls=1)
    with pytest.raises(ClientError):
        table.replace_day(DAY, _results("run-1", 3, 0.5), generation="run-1")
    assert table.items_of_day(DAY) == []
    assert table.items_of_load_balancer("a001", "2026-11-01") == []


def test_items_written_before_days_had_generations_are_the_day(local_aws, table):
    """A table written by an earlier release (items without generation, no day item) reads as it
    did; the first write of this release keeps them as the old day until its commit."""
    client = local_aws.client("dynamodb")
    old = _results("legacy", 2, 0.5)
    for item in old:
        client.put_item(
            TableName=table.table_name,
            Item={
                "date": {"S": DAY},
                "load_balancer_arn": {"S": item["load_balancer_arn"]},
                "load_balancer": {"S": item["load_balancer"]},
                "status": {"S": "MATCH"},
                "delta_gb": {"N": "0.5"},
                "problems": {"L": [{"M": {"kind": {"S": "K"}, "share": {"N": "0.25"}}}]},
                "execution_arn": {"S": "legacy"},
            },
        )
    assert table.items_of_day(DAY) == old
    local_aws.faults.fail(
        "dynamodb",
        "PutItem",
        "ValidationException",
        on_calls=local_aws.faults.calls[("dynamodb", "PutItem")] + 1,
    )
    with pytest.raises(ClientError):
        table.replace_day(DAY, _results("run-2", 2, 3.0), generation="run-2")
    assert table.items_of_day(DAY) == old
    table.replace_day(DAY, _results("run-3", 2, 3.0), generation="run-3")
    assert [r["execution_arn"] for r in table.items_of_day(DAY)] == ["run-3", "run-3"]
    assert DAY_ITEM_KEY not in {r["load_balancer_arn"] for r in table.items_of_day(DAY)}
