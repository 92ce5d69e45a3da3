"""Clients in member accounts: the stack's own account directly, others through the read-only
role the member stack creates there (docs/DESIGN.md §2 organisation topology)."""

from __future__ import annotations

import boto3

from alb_egress.identity import partition_of

from . import RETRYING, client


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
