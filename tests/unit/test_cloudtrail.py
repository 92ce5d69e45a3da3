import pytest

from alb_egress.cloudtrail import Ignored, MalformedEvent, change_from_event
from alb_egress.inventory import EniCreated, EniDeleted


def test_create_of_an_alb_eni(event):
    change = change_from_event(event("create_alb_eni"))
    assert change == EniCreated(
        eni_id="eni-0a1b2c3d4e5f60001",
        load_balancer_name="web-prod",
        load_balancer_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188",
        load_balancer_type="app",
        created_at="2026-11-20T09:14:03Z",
        vpc_id="vpc-0a1b2c3d4e5f60718",
        subnet_id="subnet-0123456789abcdef0",
        availability_zone="us-east-1a",
        source="event",
    )


def test_arn_uses_the_events_account_and_region(event):
    change = change_from_event(event("create_eu_west_1"))
    assert change.load_balancer_arn == (
        "arn:aws:elasticloadbalancing:eu-west-1:210987654321:loadbalancer/app/api-eu/1234567890abcdef"
    )
    assert change.created_at == "2026-11-20T12:30:00Z"  # +00:00 normalised


def test_delete_carries_only_the_eni_id(event):
    assert change_from_event(event("delete_alb_eni")) == EniDeleted(
        "eni-0a1b2c3d4e5f60001", "2026-11-21T17:02:45Z"
    )


def test_failed_api_calls_are_ignored(event):
    change = change_from_event(event("delete_failed"))
    assert change == Ignored(reason="api_error:Client.InvalidNetworkInterfaceID.NotFound")


def test_nlb_enis_are_recorded_with_their_type(event):
    assert change_from_event(event("create_nlb_eni")).load_balancer_type == "net"


@pytest.mark.parametrize("name", ["create_classic_elb_eni", "create_hostile_description"])
def test_non_elbv2_descriptions_are_ignored(event, name):
    change = change_from_event(event(name))
    assert isinstance(change, Ignored)
    assert change.reason == "not_an_elb_eni"


def test_test751_is_not_test7510(event):
    a = change_from_event(event("create_test751"))
    b = change_from_event(event("create_test7510"))
    assert (a.load_balancer_name, b.load_balancer_name) == ("Test751", "Test7510")
    assert a.load_balancer_arn != b.load_balancer_arn


@pytest.mark.parametrize(
    "name", ["malformed_delete_bad_eni_id", "malformed_create_without_response", "malformed_event_time"]
)
def test_malformed_events_raise(event, name):
    with pytest.raises(MalformedEvent):
        change_from_event(event(name))


@pytest.mark.parametrize(
    "mutilate",
    [
        lambda e: e.pop("detail"),
        lambda e: e["detail"].update(eventName="AttachNetworkInterface"),
        lambda e: e["detail"].update(eventSource="s3.amazonaws.com"),
        lambda e: e.update(account="not-an-account") or e["detail"].pop("recipientAccountId"),
        lambda e: e["detail"]["responseElements"]["networkInterface"].update(
            networkInterfaceId="eni-../../x"
        ),
        # a trailing newline passed the validators once ($ matches before it): a phantom ENI
        lambda e: e["detail"]["responseElements"]["networkInterface"].update(
            networkInterfaceId="eni-0a1b2c3d4e5f60718\n"
        ),
        # before the first instant a datetime holds once it is in UTC: an OverflowError, retried
        lambda e: e["detail"].update(eventTime="0001-01-01T00:00:00+01:00"),
        lambda e: e["detail"].update(eventTime="9999-12-31T23:59:59-01:00"),
    ],
)
def test_broken_events_raise_malformed(event, mutilate):
    broken = event("create_alb_eni")
    mutilate(broken)
    with pytest.raises(MalformedEvent):
        change_from_event(broken)


def test_a_delete_of_an_id_with_a_trailing_newline_is_malformed(event):
    delete = event("delete_alb_eni")
    delete["detail"]["requestParameters"]["networkInterfaceId"] += "\n"
    with pytest.raises(MalformedEvent):
        change_from_event(delete)


@pytest.mark.parametrize("not_an_event", [None, [], "text", 3, {}])
def test_non_objects_are_malformed(not_an_event):
    with pytest.raises(MalformedEvent):
        change_from_event(not_an_event)
