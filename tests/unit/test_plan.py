from datetime import date

import pytest

from alb_egress.plan import InvalidReconcileInput, plan_day

START = "2026-11-28T06:00:03.123Z"


def test_scheduled_run_is_start_minus_lag():
    plan = plan_day({}, START, lag_days=2)
    assert (plan.day, plan.source) == (date(2026, 11, 26), "schedule")


def test_manual_date():
    assert plan_day({"date": "2026-11-27"}, START, 2).day == date(2026, 11, 27)
    assert plan_day({"date": "2026-11-27"}, START, 2).source == "manual"


@pytest.mark.parametrize(
    "execution_input,expected",
    [
        ({"date": "2026-11-28"}, "not over yet"),  # today
        ({"date": "2027-01-01"}, "not over yet"),
        ({"date": "2015-06-09"}, "before VPC Flow Logs existed"),
        ({"date": "2026-02-30"}, "not a calendar date"),
        ({"date": "26-11-20"}, "YYYY-MM-DD"),
        ({"date": 20261120}, "YYYY-MM-DD"),
        ({"date": None}, "YYYY-MM-DD"),
        ({"date": "2026-11-20", "force": True}, "unknown input keys"),
        ({"Date": "2026-11-20"}, "unknown input keys"),
        (["2026-11-20"], "JSON object"),
        ("2026-11-20", "JSON object"),
    ],
)
def test_bad_inputs_say_why(execution_input, expected):
    with pytest.raises(InvalidReconcileInput, match=expected):
        plan_day(execution_input, START, 2)


def test_bad_start_time():
    with pytest.raises(InvalidReconcileInput):
        plan_day({}, "not-a-time", 2)


def test_any_day_since_vpc_flow_logs_existed():
    assert plan_day({"date": "2015-06-10"}, START, 2).day == date(2015, 6, 10)
    assert plan_day({"date": "2019-12-31"}, START, 2).source == "manual"
