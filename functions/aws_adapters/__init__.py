"""Small adapters between the pure domain (alb_egress) and AWS services (boto3)."""

from __future__ import annotations

import os
from functools import cache

import boto3
from botocore.config import Config

# Standard retry mode backs off on throttling (DynamoDB, EC2, SNS); Lambda's own retries
# and the DLQs take over after that.
RETRYING = Config(retries={"mode": "standard", "max_attempts": 8})


def client(service: str):
    """One client per service and region per process (reused across warm invocations)."""
    return _client(service, os.environ.get("AWS_REGION"))


@cache
def _client(service: str, region: str | None):
    return boto3.client(service, region_name=region, config=RETRYING)
