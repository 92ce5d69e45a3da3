from datetime import date

import pytest

from alb_egress.identity import Scope
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


@pytest.mark.parametrize(
    "flow,cur,covers,status",
    [
        (0.0, 0.004, True, Status.MISSING_FLOW_LOGS),  # billed, within MinDeltaGB, nothing measured
        (0.0, 0.004, False, Status.PENDING_CUR),
        (0.0, 0.0, True, Status.NO_TRAFFIC),  # billed nothing: nothing to doubt
    ],
)
def test_an_alb_whose_enis_logged_no_record_is_never_a_match(flow, cur, covers, status):
    assert classify(flow, cur, covers, T, flow_logged=False) is status


def test_records_without_egress_still_compare_within_the_thresholds():
    """A row of the flow-log query with no egress (only ingress, REJECT or NODATA records) means
    the ENIs are logged: a bill of 4 MB is then within MinDeltaGB. No row means none was."""
    day, enis = date(2026, 11, 20), {ARN.format("logged"): 2, ARN.format("unlogged"): 2}
    egress = {ARN.format("logged"): (0, 0, 0, 0)}
    cur = {ARN.format("logged"): (0.004, 0.0004), ARN.format("unlogged"): (0.004, 0.0004)}
    statuses = {r.load_balancer: r.status for r in reconcile_day(day, enis, egress, cur, True, _scope(), T)}
    assert statuses == {"logged": Status.MATCH, "unlogged": Status.MISSING_FLOW_LOGS}


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


def _scope(names="*", accounts="", regions=""):
    return Scope.parse(accounts, regions, names, own_account="123456789012", own_region="us-east-1")


def test_reconcile_day_figures_and_watch_list():
    enis = {ARN.format("a"): 2, ARN.format("b"): 1}
    egress = {ARN.format("a"): (2 * BYTES_PER_GB, 1), ARN.format("b"): (5, 0)}
    cur = {ARN.format("a"): (2.5, 0.225), ARN.format("billed-only"): (1.0, 0.09), "i-0123": (9.0, 1.0)}
    results = reconcile_day(date(2026, 11, 20), enis, egress, cur, True, _scope("a,billed-only"), T)
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
    assert (a.account_id, a.region) == ("123456789012", "us-east-1")
    assert a.delta_gb == pytest.approx(-0.5) and a.delta_pct == pytest.approx(-20.0)
    assert a.effective_rate_usd_per_gb == pytest.approx(0.09) and a.estimated_impact_usd == pytest.approx(
        -0.045
    )
    assert a.status is Status.MISMATCH and a.alerted
    assert by_name["billed-only"].status is Status.MISSING_FLOW_LOGS and by_name["billed-only"].eni_count == 0


def test_delta_pct_is_null_without_cur():
    [r] = reconcile_day(
        date(2026, 11, 20), {ARN.format("a"): 1}, {ARN.format("a"): (BYTES_PER_GB, 0)}, {}, True, _scope(), T
    )
    assert r.delta_pct is None and r.estimated_impact_usd is None and r.status is Status.MISSING_CUR


OTHER = "arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/0123456789abcdef"


@pytest.mark.parametrize(
    ("accounts", "regions", "expected"),
    [
        ("", "", {("123456789012", "us-east-1", "web")}),  # the stack's own account and region
        (
            "*",
            "*",
            {
                ("123456789012", "us-east-1", "web"),
                ("210987654321", "us-east-1", "web"),
                ("210987654321", "eu-west-1", "web"),
                ("333333333333", "ap-south-1", "web"),
            },
        ),
        (
            "123456789012,210987654321",
            "us-east-1,eu-west-1",
            {
                ("123456789012", "us-east-1", "web"),
                ("210987654321", "us-east-1", "web"),
                ("210987654321", "eu-west-1", "web"),
            },
        ),
        ("210987654321", "*", {("210987654321", "us-east-1", "web"), ("210987654321", "eu-west-1", "web")}),
    ],
)
def test_scope_decides_every_alb_by_account_region_and_name(accounts, regions, expected):
    """One name in two accounts is two ALBs; out-of-scope ALBs never reach the results."""
    arns = [
        OTHER.format(account=a, region=r, name="web")
        for a, r in [
            ("123456789012", "us-east-1"),
            ("210987654321", "us-east-1"),
            ("210987654321", "eu-west-1"),
            ("333333333333", "ap-south-1"),
        ]
    ]
    cur = {arn: (1.0, 0.09) for arn in arns}
    results = reconcile_day(date(2026, 11, 20), {}, {}, cur, True, _scope("*", accounts, regions), T)
    assert {(r.account_id, r.region, r.load_balancer) for r in results} == expected
    assert len({r.load_balancer_arn for r in results}) == len(results)


def test_a_cur_that_stopped_arriving_is_a_problem_after_the_grace_days():
    from datetime import UTC, date, datetime

    from alb_egress.diagnosis import CUR_ARRIVAL_GRACE_DAYS, cur_not_arriving_problem

    day = date(2026, 11, 20)
    due = datetime(2026, 11, 22 + CUR_ARRIVAL_GRACE_DAYS, tzinfo=UTC)  # D+1 ended on the 22nd
    assert cur_not_arriving_problem(day, "2026-11-21 13:00:00.000", due) is not None
    assert (
        cur_not_arriving_problem(day, None, datetime(2026, 11, 24, 23, tzinfo=UTC)) is None
    )  # still pending
    problem = cur_not_arriving_problem(day, None, datetime(2026, 12, 1, tzinfo=UTC))
    assert problem.kind == "CUR_NOT_ARRIVING" and "2026-11-21" in problem.detail


def test_cur_readiness_decides_coverage_and_names_what_stops_it():
    from datetime import UTC, date, datetime

    from alb_egress.diagnosis import CUR_REQUIRED_COLUMNS, cur_readiness

    day, later = date(2026, 11, 20), datetime(2026, 12, 1, tzinfo=UTC)
    cur = {
        "line_items": 100,
        **dict.fromkeys(CUR_REQUIRED_COLUMNS, 100),
        "usage_lines": 100,
        "daily_usage_lines": 100,
    }
    covered = {**cur, "covered_until": "2026-11-21 01:00:00.000"}
    assert cur_readiness(day, covered, ["READY"], [], later) == (True, [])
    # a legacy CUR being refreshed: not comparable, and not "stopped arriving"
    assert cur_readiness(day, covered, ["READY", "REFRESHING"], [], later) == (False, [])
    covers, problems = cur_readiness(day, {**cur, "covered_until": "2026-11-20 12:00:00.000"}, [], [], later)
    assert not covers and [p.kind for p in problems] == ["CUR_NOT_ARRIVING"]
    # rows that are not a CUR say so, instead of a CUR that stopped
    covers, problems = cur_readiness(day, {"line_items": 5}, [], [], later)
    assert not covers and [p.kind for p in problems] == ["NOT_A_CUR"]
