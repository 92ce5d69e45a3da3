"""Parking events that cannot be processed, so that nothing is lost and nothing is retried."""

from __future__ import annotations

import json

from . import client

_SQS_MAX_BYTES = 256 * 1024


def park(queue_url: str, event: object, reason: str, sqs=None) -> None:
    body = json.dumps({"reason": reason, "event": event}, default=str)
    if len(body.encode()) > _SQS_MAX_BYTES:
        body = json.dumps({"reason": reason, "event_truncated": body[: _SQS_MAX_BYTES // 2]})
    (sqs or client("sqs")).send_message(QueueUrl=queue_url, MessageBody=body)
