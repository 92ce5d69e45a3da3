"""The recorder Lambda as deployed: invoked in-process with the template's environment."""

import json

import pytest

from albrecon.local.lambdas import FunctionError
from aws_adapters.inventory_table import InventoryTable


def inventory(aws):
    return {
        i["eni_id"]: i
        for i in InventoryTable(aws.ref("EniInventoryTable"), aws.client("dynamodb")).all_records()
    }


def parked(aws):
    sqs = aws.client("sqs")
    messages = sqs.receive_message(QueueUrl=aws.ref("EniEventsDeadLetterQueue"), MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_create_then_delete_is_recorded(local_aws, event):
    assert local_aws.invoke("EniRecorderFunction", event("create_alb_eni"))["outcome"] == "created"
    assert local_aws.invoke("EniRecorderFunction", event("delete_alb_eni"))["outcome"] == "deleted"
    item = inventory(local_aws)["eni-0a1b2c3d4e5f60001"]
    assert item["load_balancer_name"] == "web-prod"
    assert item["load_balancer_arn"].endswith("loadbalancer/app/web-prod/50dc6c495c0c9188")
    assert (item["created_at"], item["deleted_at"]) == ("2026-11-20T09:14:03Z", "2026-11-21T17:02:45Z")
    assert (item["vpc_id"], item["subnet_id"], item["availability_zone"]) == (
        "vpc-0a1b2c3d4e5f60718",
        "subnet-0123456789abcdef0",
        "us-east-1a",
    )
    assert item["source"] == "event"


def test_error_events_change_nothing(local_aws, event):
    result = local_aws.invoke("EniRecorderFunction", event("delete_failed"))
    assert result == {"outcome": "ignored", "reason": "api_error:Client.InvalidNetworkInterfaceID.NotFound"}
    assert inventory(local_aws) == {}


@pytest.mark.parametrize("name", ["create_hostile_description", "create_classic_elb_eni"])
def test_foreign_enis_leave_nothing(local_aws, event, name):
    assert local_aws.invoke("EniRecorderFunction", event(name))["outcome"] == "ignored"
    assert inventory(local_aws) == {}


@pytest.mark.parametrize(
    "name", ["malformed_delete_bad_eni_id", "malformed_create_without_response", "malformed_event_time"]
)
def test_malformed_events_are_parked_not_written_not_retried(local_aws, event, name):
    result = local_aws.invoke("EniRecorderFunction", event(name))  # returns: no Lambda retry
    assert result["outcome"] == "malformed"
    assert inventory(local_aws) == {}
    [message] = parked(local_aws)
    assert message["event"] == event(name)
    assert message["reason"] == result["reason"]


def test_dynamodb_unavailable_fails_the_invocation_so_lambda_retries(local_aws, event):
    local_aws.client("dynamodb").delete_table(TableName=local_aws.ref("EniInventoryTable"))
    with pytest.raises(FunctionError) as failure:
        local_aws.invoke("EniRecorderFunction", event("create_alb_eni"))
    assert "ResourceNotFoundException" in failure.value.message
    assert parked(local_aws) == []  # that path belongs to Lambda's on-failure destination
