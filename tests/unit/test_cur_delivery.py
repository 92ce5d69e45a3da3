from alb_egress.cur_delivery import latest_delivery
from alb_egress.sql_render import OVERWRITE_DELIVERY

PERIOD = "billing/cur2/data/BILLING_PERIOD=2026-11/"


def test_the_manifest_names_the_delivery():
    manifest = {"dataFiles": [f"s3://org-cur/{PERIOD}20261120T060000Z-abc/cur2-00001.snappy.parquet"]}
    folders = ["20261119T060000Z-xyz", "20261120T060000Z-abc", "20261121T060000Z-new"]  # new: still writing
    assert latest_delivery(manifest, PERIOD, folders) == "20261120T060000Z-abc"


def test_overwrite_mode_reads_the_period_folder():
    manifest = {"dataFiles": [f"s3://org-cur/{PERIOD}cur2-00001.snappy.parquet"]}
    assert latest_delivery(manifest, PERIOD, []) == OVERWRITE_DELIVERY


def test_without_a_manifest_the_newest_folder_and_never_a_hostile_name():
    folders = ["20261119T060000Z-xyz", "20261120T060000Z-abc", "zz' OR '1'='1"]
    assert latest_delivery(None, PERIOD, folders) == "20261120T060000Z-abc"
    assert latest_delivery(None, PERIOD, []) == OVERWRITE_DELIVERY
