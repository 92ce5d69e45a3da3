"""The pipeline's own SQL on the embedded engine returns the generator's ground truth exactly."""

from datetime import timedelta

import pytest

from alb_egress import statements
from alb_egress.flowlog_format import FIELD_TYPES
from albrecon.generator.dataset import GIB


def test_egress_bytes_and_skipdata_per_alb(dataset):
    got = dataset.egress()
    for arn, lb in dataset.truth["load_balancers"].items():
        assert got[arn] == (lb["flow_log_bytes"], lb["skipdata_records"]), lb["name"]
        assert lb["flow_log_bytes"] > 0


def test_egress_of_one_eni_is_that_enis(dataset):
    eni = dataset.alb_enis[0]
    [(arn, figures)] = dataset.egress([eni]).items()
    truth = dataset.truth["enis"][eni]
    assert figures == (truth["egress_bytes"], truth["skipdata_records"]) and arn == dataset.eni_alb[eni]


def test_cur_gb_and_cost_per_alb(dataset):
    got = dataset.cur()
    assert set(got) == set(dataset.truth["load_balancers"])
    for arn, lb in dataset.truth["load_balancers"].items():
        assert got[arn][0] == pytest.approx(lb["cur_gb"], rel=1e-12)
        assert got[arn][1] == pytest.approx(lb["cur_unblended_cost"], rel=1e-12)


def test_mismatching_alb_differs_by_its_factor(dataset):
    lb = next(lb for lb in dataset.truth["load_balancers"].values() if lb["name"] == "Test7510")
    assert lb["cur_gb"] == pytest.approx(lb["flow_log_bytes"] / GIB * 1.1)


def test_malformed_lines_are_counted_as_damaged_not_summed(dataset):
    """Athena reads a line that does not parse with NULL fields (it does not drop it): the query
    marks it damaged, counts it in its folder's row and sums none of its bytes."""
    dataset.write_enis()
    record = dataset.run(statements.flow_log_egress_query(dataset.settings, dataset.spec.day))
    at = {name: i for i, (name, _) in enumerate(record.columns)}
    damaged = {(row[at["load_balancer_arn"]], row[at["damaged_records"]]) for row in record.rows}
    assert sum(d for _, d in damaged) == dataset.truth["malformed_lines"] == 4
    assert {arn for arn, d in damaged if d} == {None}  # the garbage is on an ENI of no ALB
    assert record.malformed_lines == []  # nothing is dropped unseen


def test_only_the_two_day_partitions_are_read(dataset):
    dataset.write_enis()
    record = dataset.run(statements.flow_log_egress_query(dataset.settings, dataset.spec.day))
    assert record.unpruned_tables == []
    bucket = dataset.root / "s3" / dataset.settings.flow_logs_bucket
    days = (dataset.spec.day, dataset.spec.day + timedelta(days=1))
    folders = [
        bucket.joinpath(
            *statements.flow_logs_folder(dataset.settings, dataset.spec.account, dataset.spec.region, d)
        )
        for d in days
    ]
    expected = sum(f.stat().st_size for folder in folders for f in folder.iterdir())
    everything = sum(f.stat().st_size for f in bucket.rglob("*.gz"))
    enis_file = (
        (dataset.root / "s3" / "albrecon-results" / statements.enis_key(dataset.spec.day)).stat().st_size
    )
    assert record.data_scanned_bytes == expected + enis_file
    assert expected < everything  # D-1's folder exists and is not read


@pytest.mark.parametrize("query", ["cur_usage_query", "cur_freshness_query"])
def test_cur_queries_read_one_billing_period(dataset, query):
    record = dataset.run(getattr(statements, query)(dataset.settings, dataset.spec.day))
    assert record.unpruned_tables == [] and record.data_scanned_bytes > 0


def test_cur_freshness_reports_how_far_the_cur_reaches(dataset, make_dataset):
    covered = dataset.run(statements.cur_freshness_query(dataset.settings, dataset.spec.day)).rows[0][0]
    # the start of the last delivered hourly usage line: 30 hours delivered, the last starts at 05:00
    assert covered.isoformat() == "2026-11-21T05:00:00"
    early = make_dataset(cur_delivered_through=12)
    assert early.run(statements.cur_freshness_query(early.settings, early.spec.day)).rows[0][0].hour == 11


def test_alphabetical_custom_format(make_dataset):
    alphabetical = " ".join(f"${{{f}}}" for f in sorted(FIELD_TYPES))
    data = make_dataset(flow_log_format=alphabetical)
    assert data.settings.flow_log_format.fields[0] == "account-id"
    got = data.egress()
    for arn, lb in data.truth["load_balancers"].items():
        assert got[arn][0] == lb["flow_log_bytes"]


def test_cur2_and_region_prefixed_usage_types(make_dataset):
    data = make_dataset(cur_format="cur2", region="us-west-2")
    cur_file = next((data.root / "s3").rglob("*.parquet"))
    assert "BILLING_PERIOD=2026-11" in str(cur_file)
    got = data.cur()
    for arn, lb in data.truth["load_balancers"].items():
        assert ":us-west-2:" in arn
        assert got[arn][0] == pytest.approx(lb["cur_gb"], rel=1e-12)


def test_unknown_enis_return_nothing(dataset):
    assert dataset.egress(["eni-0123456789abcdef0"]) == {}


def test_parquet_flow_logs(make_dataset):
    data = make_dataset(flow_logs_file_format="parquet")
    files = list((data.root / "s3" / data.settings.flow_logs_bucket).rglob("*.log.parquet"))
    assert files and not list((data.root / "s3" / data.settings.flow_logs_bucket).rglob("*.gz"))
    assert data.settings.flow_logs_file_format == "parquet"
    got = data.egress()
    for arn, lb in data.truth["load_balancers"].items():
        assert got[arn] == (lb["flow_log_bytes"], lb["skipdata_records"])


@pytest.mark.parametrize("hive", [False, True])
def test_per_hour_folders_read_about_one_day(make_dataset, hive):
    """With per-hour folders only D's 24 hours and D+1's first hour are read: at most 1.1x the
    day's own files (the daily layout reads D and D+1, about 2x)."""
    data = make_dataset(per_hour_partitions=True, hive_partitions=hive, malformed_lines=0)
    data.write_enis()
    record = data.run(statements.flow_log_egress_query(data.settings, data.spec.day))
    got = {arn: figures for arn, figures in data.egress().items()}
    for arn, lb in data.truth["load_balancers"].items():
        assert got[arn] == (lb["flow_log_bytes"], lb["skipdata_records"])
    bucket = data.root / "s3" / data.settings.flow_logs_bucket
    own_day = bucket.joinpath(
        *statements.flow_logs_folder(data.settings, data.spec.account, data.spec.region, data.spec.day)
    )
    day_bytes = sum(f.stat().st_size for f in own_day.rglob("*") if f.is_file())
    enis_bytes = (data.root / "s3" / "albrecon-results" / statements.enis_key(data.spec.day)).stat().st_size
    assert day_bytes < record.data_scanned_bytes - enis_bytes <= 1.1 * day_bytes
