from datetime import UTC, datetime

import pytest

from alb_egress.discovery import created_from_interface
from alb_egress.identity import InvalidIdentifier


def interface(**overrides):
    base = {
        "NetworkInterfaceId": "eni-0d15c0000000000a1",
        "Description": "ELB app/web-prod/50dc6c495c0c9188",
        "OwnerId": "123456789012",
        "VpcId": "vpc-0a1b2c3d4e5f60718",
        "SubnetId": "subnet-0123456789abcdef0",
        "AvailabilityZone": "us-east-1b",
        "RequesterId": "amazon-elb",
        "RequesterManaged": True,
        "Attachment": {
            "AttachTime": datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
            "InstanceOwnerId": "amazon-elb",
        },
    }
    base.update(overrides)
    return base


def test_attachment_time_stands_in_for_creation():
    change = created_from_interface(interface(), "us-east-1")
    assert change.created_at == "2026-03-04T05:06:07Z"
    assert change.source == "discovery"
    assert change.attributes()["created_at_known"] is True
    assert change.load_balancer_arn.endswith(":123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188")


def test_unknown_attachment_time_is_flagged():
    change = created_from_interface(interface(Attachment={}), "us-east-1")
    assert change.created_at is None
    assert change.attributes()["created_at_known"] is False


def test_non_elb_interfaces_are_skipped():
    assert created_from_interface(interface(Description="Primary network interface"), "us-east-1") is None


def test_bad_owner_is_an_error():
    with pytest.raises(InvalidIdentifier):
        created_from_interface(interface(OwnerId="amazon-elb"), "us-east-1")
