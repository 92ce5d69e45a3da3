from datetime import date

import pytest

from alb_egress.identity import WatchList
from alb_egress.reconcile import BYTES_PER_GB, Status, Thresholds, classify, cur_covers_day, reconcile_day

T = Thresholds(tolerance_percent=1.0, min_delta_gb=0.01)
ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/{}/0123456789abcdef"


@pytest.mark.parametrize(
    "flow,cur,covers,status",
    [
        (0, 0, True, Status.NO_TRAFFIC),
        (0, 0, False, Status.NO_TRAFFIC),
        (100.0, 100.9, True, Status.MATCH),  # 0.9 GB <= 1 % of 100.9
        (100.0, 101.1, True, Status.MISMATCH),
        (0.005, 0.0, True, Status.MATCH),  # within MinDeltaGB
        (0.5, 0.0, True, Status.MISSING_CUR),
        (0.5, 0.0, False, Status.PENDING_CUR),
        (0.0, 0.5, True, Status.MISSING_FLOW_LOGS),
        (5.0, 4.0, False, Status.PENDING_CUR),
    ],
)
def test_classification(flow, cur, covers, status):
    assert classify(flow, cur, covers, T) is status


def test_tolerance_edges_are_inclusive():
    assert classify(100.0, 101.0, True, T) is Status.MATCH  # |1.0| <= 1 % of 101
    assert classify(1.0, 1.01, True, T) is Status.MATCH  # 0.01 GB = MinDeltaGB


@pytest.mark.parametrize(
    "text,covers",
    [
        ("2026-11-21 00:00:00.000", True),
        ("2026-11-21 06:00:00.000", True),
        ("2026-11-20 23:00:00.000", False),
        (None, False),
        ("", False),
        ("garbage", False),
    ],
)
def test_cur_coverage(text, covers):
    assert cur_covers_day(text, date(2026, 11, 20)) is covers


def test_reconcile_day_figures_and_watch_list():
    enis = {ARN.format("a"): ["eni-0000000a", "eni-0000000b"], ARN.format("b"): ["eni-0000000c"]}
    egress = {"eni-0000000a": (BYTES_PER_GB, 1), "eni-0000000b": (BYTES_PER_GB, 0), "eni-0000000c": (5, 0)}
    cur = {ARN.format("a"): (2.5, 0.225), ARN.format("billed-only"): (1.0, 0.09), "i-0123": (9.0, 1.0)}
    results = reconcile_day(date(2026, 11, 20), enis, egress, cur, True, WatchList.parse("a,billed-only"), T)
    by_name = {r.load_balancer: r for r in results}
    assert set(by_name) == {"a", "billed-only"}  # "b" not watched; "i-0123" is no ALB
    a = by_name["a"]
    assert (a.flow_log_bytes, a.flow_log_gb, a.cur_gb, a.eni_count, a.skipdata_records) == (
        2 * BYTES_PER_GB,
        2.0,
        2.5,
        2,
        1,
    )
    assert a.delta_gb == pytest.approx(-0.5) and a.delta_pct == pytest.approx(-20.0)
    assert a.effective_rate_usd_per_gb == pytest.approx(0.09) and a.estimated_impact_usd == pytest.approx(
        -0.045
    )
    assert a.status is Status.MISMATCH and a.alerted
    assert by_name["billed-only"].status is Status.MISSING_FLOW_LOGS and by_name["billed-only"].eni_count == 0


def test_delta_pct_is_null_without_cur():
    [r] = reconcile_day(
        date(2026, 11, 20),
        {ARN.format("a"): ["eni-0000000a"]},
        {"eni-0000000a": (BYTES_PER_GB, 0)},
        {},
        True,
        WatchList.parse("*"),
        T,
    )
    assert r.delta_pct is None and r.estimated_impact_usd is None and r.status is Status.MISSING_CUR
