"""Per-day data by reference: small S3 objects in the stack's results bucket (DESIGN §2)."""

from __future__ import annotations

import csv
import io
import json

from . import client


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def split_uri(uri: str) -> tuple[str, str]:
    if not isinstance(uri, str) or not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ValueError(f"not an s3:// object location: {str(uri)[:100]!r}")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def put_csv(bucket: str, key: str, rows: list[tuple[str, ...]], s3=None) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    (s3 or client("s3")).put_object(
        Bucket=bucket, Key=key, Body=text.getvalue().encode(), ContentType="text/csv"
    )
    return s3_uri(bucket, key)


def get_csv(uri: str, s3=None) -> list[list[str]]:
    bucket, key = split_uri(uri)
    body = (s3 or client("s3")).get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return list(csv.reader(io.StringIO(body)))


def put_json(bucket: str, key: str, value: object, s3=None) -> str:
    body = json.dumps(value, separators=(",", ":")).encode()
    (s3 or client("s3")).put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return s3_uri(bucket, key)


def get_json(uri: str, s3=None) -> object:
    bucket, key = split_uri(uri)
    return json.loads((s3 or client("s3")).get_object(Bucket=bucket, Key=key)["Body"].read())
