"""EventBridge "AWS API Call via CloudTrail" events for ENIs, shaped as AWS delivers them.

Shapes follow CloudTrail's record format for EC2 calls made by Elastic Load Balancing's
service-linked role (sourceIPAddress / userAgent / invokedBy = elasticloadbalancing.amazonaws.com).
"""

from __future__ import annotations

import hashlib
import uuid

ELB_SERVICE = "elasticloadbalancing.amazonaws.com"
_ELB_ROLE = "AWSServiceRoleForElasticLoadBalancing"


def _stable_uuid(*parts: str) -> str:
    return str(uuid.UUID(hashlib.md5("|".join(parts).encode()).hexdigest()))  # noqa: S324 - ids, not security


def _user_identity(account: str) -> dict:
    return {
        "type": "AssumedRole",
        "principalId": "AROAJ2LJQAEXAMPLE5RQ4:ElasticLoadBalancing",
        "arn": f"arn:aws:sts::{account}:assumed-role/{_ELB_ROLE}/ElasticLoadBalancing",
        "accountId": account,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAJ2LJQAEXAMPLE5RQ4",
                "arn": f"arn:aws:iam::{account}:role/aws-service-role/{ELB_SERVICE}/{_ELB_ROLE}",
                "accountId": account,
                "userName": _ELB_ROLE,
            },
            "attributes": {"creationDate": "2026-01-01T00:00:00Z", "mfaAuthenticated": "false"},
        },
        "invokedBy": ELB_SERVICE,
    }


def _envelope(detail: dict, account: str, region: str, event_time: str) -> dict:
    return {
        "version": "0",
        "id": _stable_uuid("envelope", detail["eventID"]),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ec2",
        "account": account,
        "time": event_time,
        "region": region,
        "resources": [],
        "detail": detail,
    }


def _detail(event_name: str, account: str, region: str, event_time: str, eni_id: str) -> dict:
    return {
        "eventVersion": "1.09",
        "userIdentity": _user_identity(account),
        "eventTime": event_time,
        "eventSource": "ec2.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": ELB_SERVICE,
        "userAgent": ELB_SERVICE,
        "requestID": _stable_uuid("request", event_name, eni_id, event_time),
        "eventID": _stable_uuid("event", event_name, eni_id, event_time),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }


def create_event(
    *,
    eni_id: str,
    description: str,
    event_time: str,
    account: str = "123456789012",
    region: str = "us-east-1",
    vpc_id: str = "vpc-0a1b2c3d4e5f60718",
    subnet_id: str = "subnet-0123456789abcdef0",
    availability_zone: str | None = None,
    private_ip: str = "10.0.1.23",
) -> dict:
    detail = _detail("CreateNetworkInterface", account, region, event_time, eni_id)
    detail["requestParameters"] = {
        "subnetId": subnet_id,
        "description": description,
        "groupSet": {"items": [{"groupId": "sg-0f1e2d3c4b5a69788"}]},
        "privateIpAddressesSet": {},
        "ipv6AddressCount": 0,
        "clientToken": _stable_uuid("token", eni_id),
    }
    detail["responseElements"] = {
        "requestId": detail["requestID"],
        "networkInterface": {
            "networkInterfaceId": eni_id,
            "subnetId": subnet_id,
            "vpcId": vpc_id,
            "availabilityZone": availability_zone or f"{region}a",
            "description": description,
            "ownerId": account,
            "requesterId": "amazon-elb",
            "requesterManaged": True,
            "status": "pending",
            "macAddress": "0e:12:34:56:78:9a",
            "privateIpAddress": private_ip,
            "privateDnsName": f"ip-{private_ip.replace('.', '-')}.ec2.internal",
            "sourceDestCheck": True,
            "interfaceType": "interface",
            "groupSet": {"items": [{"groupId": "sg-0f1e2d3c4b5a69788", "groupName": "alb-sg"}]},
            "privateIpAddressesSet": {"item": [{"privateIpAddress": private_ip, "primary": True}]},
            "ipv6AddressesSet": {},
            "tagSet": {},
        },
    }
    return _envelope(detail, account, region, event_time)


def delete_event(
    *, eni_id: str, event_time: str, account: str = "123456789012", region: str = "us-east-1"
) -> dict:
    detail = _detail("DeleteNetworkInterface", account, region, event_time, eni_id)
    detail["requestParameters"] = {"networkInterfaceId": eni_id}
    detail["responseElements"] = {"requestId": detail["requestID"], "_return": True}
    return _envelope(detail, account, region, event_time)


def failed_delete_event(
    *, eni_id: str, event_time: str, account: str = "123456789012", region: str = "us-east-1"
) -> dict:
    """A DeleteNetworkInterface that failed (the ENI was already gone)."""
    event = delete_event(eni_id=eni_id, event_time=event_time, account=account, region=region)
    detail = event["detail"]
    detail["errorCode"] = "Client.InvalidNetworkInterfaceID.NotFound"
    detail["errorMessage"] = f"The networkInterface ID '{eni_id}' does not exist"
    detail["responseElements"] = None
    return event
