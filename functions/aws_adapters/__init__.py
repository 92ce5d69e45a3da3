"""Small adapters between the pure domain (alb_egress) and AWS services (boto3)."""

from __future__ import annotations

from functools import cache

import boto3
from botocore.config import Config

# Standard retry mode backs off on throttling (DynamoDB, EC2, SNS); Lambda's own retries
# and the DLQs take over after that.
RETRYING = Config(retries={"mode": "standard", "max_attempts": 8})


@cache
def client(service: str):
    """One client per service per process (reused across warm invocations)."""
    return boto3.client(service, config=RETRYING)
