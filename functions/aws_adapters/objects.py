"""Per-day data by reference: small S3 objects in the stack's results bucket (docs/DESIGN.md §2)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib

from botocore.exceptions import ClientError

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


def put_json_lines(bucket: str, key: str, rows: list[dict], s3=None) -> str:
    """One JSON object per line, gzip-compressed: what Athena's JSON SerDe reads (a .gz key is
    decompressed by its extension), at a tenth of the bytes scanned."""
    text = "".join(json.dumps(row, separators=(",", ":"), default=str) + "\n" for row in rows)
    body = gzip.compress(text.encode(), mtime=0)
    (s3 or client("s3")).put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/x-ndjson")
    return s3_uri(bucket, key)


def get_json(uri: str, s3=None) -> object:
    bucket, key = split_uri(uri)
    return json.loads((s3 or client("s3")).get_object(Bucket=bucket, Key=key)["Body"].read())


def get_json_object(uri: str, s3=None) -> dict:
    """An object this stack wrote as a JSON object (a results object, a survey): anything else
    there is not what a later state may read."""
    value = get_json(uri, s3)
    if not isinstance(value, dict):
        raise ValueError(f"{uri} does not hold a JSON object")
    return value


def first_key(bucket: str, prefix: str, s3=None) -> str | None:
    """One object key under ``prefix`` (a List of one key), or None when the prefix holds none -
    also when the bucket itself does not exist."""
    try:
        answer = (s3 or client("s3")).list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return None
        raise
    contents = answer.get("Contents") or []
    return contents[0]["Key"] if contents else None


def list_keys(bucket: str, prefix: str, s3=None) -> list[str]:
    """Every object key under ``prefix`` (all pages), or none when the bucket does not exist."""
    keys: list[str] = []
    try:
        pages = (s3 or client("s3")).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            keys += [item["Key"] for item in page.get("Contents") or []]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return []
        raise
    return keys


def first_line(bucket: str, key: str, s3=None, head_bytes: int = 65_536) -> str:
    """The first line of an object, from a ranged Get of its first bytes (gzip members are
    decompressed as far as those bytes go)."""
    head = (s3 or client("s3")).get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{head_bytes - 1}")
    data = head["Body"].read()
    if data[:2] == b"\x1f\x8b":
        data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
    return data.split(b"\n", 1)[0].decode("utf-8", errors="replace")


def get_json_or_none(bucket: str, key: str, s3=None) -> object | None:
    """An object's JSON, or None when the object (or its bucket) does not exist."""
    try:
        return get_json(s3_uri(bucket, key), s3)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "NoSuchBucket", "404"):
            return None
        raise


def subfolders(bucket: str, prefix: str, s3=None) -> list[str]:
    """The names of the "folders" directly under ``prefix`` (common prefixes with a "/" delimiter)."""
    names = []
    try:
        pages = (
            (s3 or client("s3"))
            .get_paginator("list_objects_v2")
            .paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
        )
        for page in pages:
            names += [p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", [])]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return []
        raise
    return names
