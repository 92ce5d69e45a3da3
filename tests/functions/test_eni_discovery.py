"""Discovery against moto's EC2, invoked as CloudFormation's custom resource and as the daily run."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from aws_adapters.ec2_interfaces import elb_network_interfaces
from aws_adapters.inventory_table import InventoryTable


def new_subnet(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]


@pytest.fixture
def subnet(local_aws):
    return new_subnet(local_aws)


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


MEMBER = "210987654321"


@pytest.fixture
def organization_aws():
    """The stack in 123456789012 reconciling itself and a member account in two regions."""
    from albrecon.local.runtime import PLACEHOLDER_PARAMETERS, LocalAws

    scope = {"Accounts": f"123456789012,{MEMBER}", "Regions": "us-east-1,eu-west-1"}
    with LocalAws(
        parameters=PLACEHOLDER_PARAMETERS | scope, function_env={"POWERTOOLS_LOG_LEVEL": "ERROR"}
    ) as aws:
        yield aws


def member_eni(aws, region: str, description: str) -> str:
    """An ENI created in the member account, through the role the member stack would create."""
    import boto3

    credentials = aws.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{MEMBER}:role/albrecon-member-discovery", RoleSessionName="setup"
    )["Credentials"]
    ec2 = boto3.client(
        "ec2",
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24", AvailabilityZone=f"{region}a")["Subnet"]
    return ec2.create_network_interface(SubnetId=subnet["SubnetId"], Description=description)[
        "NetworkInterface"
    ]["NetworkInterfaceId"]


def test_discovery_lists_every_in_scope_account_and_region_through_the_member_role(organization_aws):
    own = make_eni(organization_aws, new_subnet(organization_aws), "ELB app/web/50dc6c495c0c9188")
    dublin = member_eni(organization_aws, "eu-west-1", "ELB app/web/0123456789abcdef")
    counts = organization_aws.invoke("EniDiscoveryFunction", {"source": "albrecon.daily-discovery"})
    assert counts["targets"] == 4 and counts["unreachable"] == 0 and counts["written"] == 2
    items = inventory(organization_aws)
    assert items[own]["load_balancer_arn"].startswith("arn:aws:elasticloadbalancing:us-east-1:123456789012:")
    assert items[dublin]["load_balancer_arn"] == (
        f"arn:aws:elasticloadbalancing:eu-west-1:{MEMBER}:loadbalancer/app/web/0123456789abcdef"
    )
    assert (items[dublin]["account_id"], items[dublin]["region"]) == (MEMBER, "eu-west-1")


@pytest.mark.filterwarnings(
    "ignore:Exception\\(LocalServiceError\\):UserWarning"
)  # STS models no AccessDenied shape
def test_an_unreachable_member_is_counted_and_the_others_still_discovered(organization_aws):
    own = make_eni(organization_aws, new_subnet(organization_aws), "ELB app/web/50dc6c495c0c9188")
    organization_aws.faults.fail("sts", "AssumeRole", "AccessDenied", "no such role", on_calls=range(1, 10))
    counts = organization_aws.invoke("EniDiscoveryFunction", {"source": "albrecon.daily-discovery"})
    assert counts["unreachable"] == 2 and counts["targets"] == 4  # the member's two regions
    assert own in inventory(organization_aws)


@pytest.fixture
def wildcard_organization_aws():
    """Accounts=* / Regions=*: discovery knows only the accounts and regions it has seen."""
    from albrecon.local.runtime import PLACEHOLDER_PARAMETERS, LocalAws

    with LocalAws(
        parameters=PLACEHOLDER_PARAMETERS | {"Accounts": "*", "Regions": "*"},
        function_env={"POWERTOOLS_LOG_LEVEL": "ERROR"},
    ) as aws:
        yield aws


def _member_stack_event(account: str, region: str) -> dict:
    """What the main stack's rule gives discovery (its InputTransformer over the forwarded
    CloudFormation Stack Status Change: tests/deploy pins the transformer)."""
    return {"member_stack": {"account": account, "region": region}}


def test_a_new_member_stack_is_discovered_at_once_and_every_day_after(wildcard_organization_aws):
    """The deploy-time backfill ran before the StackSet existed, and a member's stable ALBs send
    no event: without the member stack's own completion, Accounts=* would never discover them."""
    aws = wildcard_organization_aws
    dublin = member_eni(aws, "eu-west-1", "ELB app/web/0123456789abcdef")
    daily = {"source": "albrecon.daily-discovery"}
    assert aws.invoke("EniDiscoveryFunction", daily)["targets"] == 1  # only the stack's own
    assert dublin not in inventory(aws)
    counts = aws.invoke("EniDiscoveryFunction", _member_stack_event(MEMBER, "eu-west-1"))
    assert counts["targets"] == 1 and counts["written"] == 1
    assert inventory(aws)[dublin]["account_id"] == MEMBER
    later = member_eni(aws, "eu-west-1", "ELB app/api/89abcdef01234567")
    # the daily run now covers the member's account and region (and, `*` being a product of the
    # two, the stack's own region in the member account and the member's region in its own)
    counts = aws.invoke("EniDiscoveryFunction", daily)
    assert counts["targets"] == 4 and later in inventory(aws)


@pytest.mark.parametrize(
    "member",
    [
        {"account": "21098765432\n", "region": "eu-west-1"},
        {"account": MEMBER, "region": "eu-west-1'; DROP"},
        {"account": None, "region": "eu-west-1"},
        "210987654321/eu-west-1",
    ],
)
def test_a_member_stack_event_that_is_not_an_account_and_region_is_refused(wildcard_organization_aws, member):
    aws = wildcard_organization_aws
    assert aws.invoke("EniDiscoveryFunction", {"member_stack": member}) == {
        "refused": "not an account and region"
    }
    assert inventory(aws) == {}


def test_a_member_stack_outside_the_scope_is_not_registered(organization_aws):
    counts = organization_aws.invoke("EniDiscoveryFunction", _member_stack_event("333333333333", "eu-west-1"))
    assert counts == {"outside_scope": 1}
    assert inventory(organization_aws) == {}
