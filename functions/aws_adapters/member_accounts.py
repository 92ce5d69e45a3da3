"""Clients in member accounts: the stack's own account directly, others through the read-only
role the member stack creates there (docs/DESIGN.md §2 organisation topology)."""

from __future__ import annotations

from dataclasses import dataclass

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from alb_egress.identity import partition_of
from alb_egress.ports import Unreachable

from . import RETRYING, client
from .ec2_interfaces import elb_network_interfaces


@dataclass(frozen=True)
class MemberInterfaces:
    """alb_egress.ports.ElbInterfaces: the stack's own account directly, others through the member
    stack's read-only role."""

    own_account: str
    role_name: str

    def elb_interfaces(self, account: str, region: str) -> list[dict]:
        try:
            return list(elb_network_interfaces(ec2_in(account, region, self.own_account, self.role_name)))
        except (ClientError, BotoCoreError) as problem:
            raise Unreachable(str(problem)) from problem


def ec2_in(account: str, region: str, own_account: str, role_name: str):
    """An EC2 client for ``account`` in ``region``; raises the STS error when the role is missing."""
    if account == own_account:
        return boto3.client("ec2", region_name=region, config=RETRYING)
    credentials = client("sts").assume_role(
        RoleArn=f"arn:{partition_of(region)}:iam::{account}:role/{role_name}",
        RoleSessionName="albrecon-eni-discovery",
        DurationSeconds=900,
    )["Credentials"]
    return boto3.client(
        "ec2",
        region_name=region,
        config=RETRYING,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
