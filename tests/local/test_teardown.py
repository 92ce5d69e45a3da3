"""The README's tear-down of the versioned results bucket, run against the local S3."""

import boto3
import pytest
from botocore.exceptions import ClientError


def test_emptying_every_version_lets_the_bucket_be_deleted(local_aws):
    bucket = local_aws.ref("AthenaResultsBucket")
    s3 = boto3.client("s3", region_name=local_aws.region)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})  # as deployed
    for body in (b"first", b"second"):  # an overwritten results object keeps its old version
        s3.put_object(Bucket=bucket, Key="reconciliations/date=2026-11-20/results.json", Body=body)
    s3.delete_object(Bucket=bucket, Key="reconciliations/date=2026-11-20/results.json")  # a marker
    resource = boto3.resource("s3", region_name=local_aws.region)
    for summary in resource.Bucket(bucket).objects.all():  # what `aws s3 rm --recursive` does
        summary.delete()
    with pytest.raises(ClientError) as refused:
        s3.delete_bucket(Bucket=bucket)
    assert refused.value.response["Error"]["Code"] == "BucketNotEmpty"
    resource.Bucket(bucket).object_versions.delete()  # the README's line
    s3.delete_bucket(Bucket=bucket)
