from alb_egress.cur_delivery import NO_DELIVERY, latest_delivery
from alb_egress.sql_render import OVERWRITE_DELIVERY

PERIOD = "billing/cur2/data/BILLING_PERIOD=2026-11/"


def test_the_manifest_names_the_delivery():
    manifest = {"dataFiles": [f"s3://org-cur/{PERIOD}20261120T060000Z-abc/cur2-00001.snappy.parquet"]}
    folders = ["20261119T060000Z-xyz", "20261120T060000Z-abc", "20261121T060000Z-new"]  # new: still writing
    assert latest_delivery(manifest, PERIOD, folders).delivery == "20261120T060000Z-abc"


def test_overwrite_mode_reads_the_period_folder():
    manifest = {"dataFiles": [f"s3://org-cur/{PERIOD}cur2-00001.snappy.parquet"]}
    assert latest_delivery(manifest, PERIOD, []).delivery == OVERWRITE_DELIVERY


def test_without_a_manifest_the_newest_folder_and_never_a_hostile_name():
    folders = ["20261119T060000Z-xyz", "20261120T060000Z-abc", "zz' OR '1'='1"]
    assert latest_delivery(None, PERIOD, folders).delivery == "20261120T060000Z-abc"
    assert latest_delivery(None, PERIOD, []).delivery == OVERWRITE_DELIVERY


def test_a_delivery_folder_of_any_name_s3_holds_is_read():
    for name in ["2026-11-20T06:00:00Z_a+b=c", "export run 7", "20261120T060000Z~x%2F"]:
        manifest = {"dataFiles": [f"s3://org-cur/{PERIOD}{name}/cur2-00001.snappy.parquet"]}
        assert latest_delivery(manifest, PERIOD, [name]) == latest_delivery(manifest, PERIOD, [name])
        assert latest_delivery(manifest, PERIOD, [name]).delivery == name


def test_when_no_delivery_can_be_chosen_it_is_a_problem_never_the_whole_period():
    folders = ["20261119T060000Z-xyz", "20261120T060000Z-abc"]
    for manifest in ({"dataFiles": "not a list"}, {"dataFiles": ["s3://elsewhere/x.parquet"]}, ["x"]):
        choice = latest_delivery(manifest, PERIOD, folders)
        assert choice.delivery == NO_DELIVERY and choice.problem
    quote = {"dataFiles": [f"s3://org-cur/{PERIOD}it's/cur2-00001.snappy.parquet"]}
    assert latest_delivery(quote, PERIOD, ["it's"]).delivery == NO_DELIVERY
    assert latest_delivery(None, PERIOD, ["it's"]).problem  # folders, none readable


def test_unplain_delivery_names_reach_sql_only_as_a_digest_and_a_quoted_location():
    from alb_egress.sql_render import delivery_partition_value, s3_location

    name = "2026-11-20T06:00:00Z run=7"
    value = delivery_partition_value(name)
    assert value.startswith("d") and value.isalnum()
    location = str(s3_location("org-cur", "cur2", "data", "BILLING_PERIOD=2026-11", folder=name))
    assert location == f"'s3://org-cur/cur2/data/BILLING_PERIOD=2026-11/{name}/'"
