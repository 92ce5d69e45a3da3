"""Discovery against moto's EC2, invoked as CloudFormation's custom resource and as the daily run."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from aws_adapters.ec2_interfaces import elb_network_interfaces
from aws_adapters.inventory_table import InventoryTable


@pytest.fixture
def subnet(local_aws):
    ec2 = local_aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]


def make_eni(local_aws, subnet, description):
    ec2 = local_aws.client("ec2")
    return ec2.create_network_interface(SubnetId=subnet["SubnetId"], Description=description)[
        "NetworkInterface"
    ]["NetworkInterfaceId"]


def inventory(aws):
    return {
        i["eni_id"]: i
        for i in InventoryTable(aws.ref("EniInventoryTable"), aws.client("dynamodb")).all_records()
    }


@pytest.fixture
def cloudformation_endpoint():
    """Where CloudFormation's pre-signed response URL would be: a local server recording the PUT."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/response", received
    server.shutdown()


def custom_resource_event(url, request_type="Create"):
    return {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:albrecon-local-EniDiscoveryFunction",
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/albrecon/0f1e2d3c",
        "RequestId": "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
        "ResourceType": "Custom::EniInventoryBackfill",
        "LogicalResourceId": "EniInventoryBackfill",
        "ResourceProperties": {"ServiceToken": "arn", "BackfillVersion": "1"},
    }


def test_server_side_filter_returns_only_elb_enis(local_aws, subnet):
    alb = make_eni(local_aws, subnet, "ELB app/web-prod/50dc6c495c0c9188")
    nlb = make_eni(local_aws, subnet, "ELB net/tcp-edge/7f3a9b2c1d0e4f56")
    make_eni(local_aws, subnet, "Primary network interface")
    make_eni(local_aws, subnet, "ELB legacy-clb")
    found = {i["NetworkInterfaceId"] for i in elb_network_interfaces(local_aws.client("ec2"))}
    assert found == {alb, nlb}


def test_deploy_time_backfill_answers_cloudformation(local_aws, subnet, cloudformation_endpoint, event):
    url, received = cloudformation_endpoint
    alb = make_eni(local_aws, subnet, "ELB app/web-prod/50dc6c495c0c9188")
    # an ENI the recorder already knows from its create event keeps the event's data
    known = make_eni(local_aws, subnet, "ELB app/web-prod/50dc6c495c0c9188")
    recorded = event("create_alb_eni")
    recorded["detail"]["responseElements"]["networkInterface"]["networkInterfaceId"] = known
    local_aws.invoke("EniRecorderFunction", recorded)

    assert local_aws.invoke("EniDiscoveryFunction", custom_resource_event(url)) is None
    [response] = received
    assert response["Status"] == "SUCCESS"
    assert response["Data"]["written"] == "1" and response["Data"]["kept_event_data"] == "1"
    items = inventory(local_aws)
    assert items[alb]["source"] == "discovery"
    assert items[alb]["load_balancer_arn"].endswith(
        ":123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188"
    )
    assert items[alb]["subnet_id"] == subnet["SubnetId"]
    assert items[known]["source"] == "event" and items[known]["created_at"] == "2026-11-20T09:14:03Z"


def test_failed_backfill_fails_the_deployment_with_a_reason(local_aws, subnet, cloudformation_endpoint):
    url, received = cloudformation_endpoint
    make_eni(local_aws, subnet, "ELB app/web-prod/50dc6c495c0c9188")
    local_aws.client("dynamodb").delete_table(TableName=local_aws.ref("EniInventoryTable"))
    local_aws.invoke("EniDiscoveryFunction", custom_resource_event(url))
    [response] = received
    assert response["Status"] == "FAILED"
    assert response["Reason"].startswith("ENI backfill failed")


def test_stack_deletion_is_acknowledged(local_aws, cloudformation_endpoint):
    url, received = cloudformation_endpoint
    local_aws.invoke("EniDiscoveryFunction", custom_resource_event(url, "Delete"))
    assert received[0]["Status"] == "SUCCESS"


def test_daily_run_returns_counts(local_aws, subnet):
    make_eni(local_aws, subnet, "ELB app/web-prod/50dc6c495c0c9188")
    scheduled = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.scheduler", "detail": {}}
    counts = local_aws.invoke("EniDiscoveryFunction", scheduled)
    assert counts["seen"] == 1 and counts["written"] == 1
