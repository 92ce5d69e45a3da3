import json

from alb_egress import messages
from alb_egress.reconcile import Status

ROW = {
    "load_balancer": "a" * 32,
    "load_balancer_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/0123456789abcdef",
    "eni_count": 2,
    "flow_log_bytes": 2 * 2**30,
    "flow_log_gb": 2.0,
    "cur_gb": 2.5,
    "cur_unblended_cost": 0.225,
    "delta_gb": -0.5,
    "delta_pct": -20.0,
    "status": "MISMATCH",
    "skipdata_records": 3,
    "estimated_impact_usd": -0.045,
}


def test_alert_subject_fits_sns_and_body_reads_well():
    rows = [ROW, {**ROW, "load_balancer": "ok", "status": "MATCH", "delta_gb": 0.0, "delta_pct": 0.0}]
    alert = messages.alert("2026-11-20", rows, True, "https://console")
    assert len(alert["subject"]) <= messages.SUBJECT_MAX
    assert "1 of 2 ALBs need attention" in alert["subject"]
    body = alert["message"]
    assert "-0.500 GB  (-20.00 %)" in body
    # billed - measured, the sign a bill reader reads (issue 23: it said "impact $-0.04")
    assert "billed 25.0 % more than measured: +$0.04 over-billed" in body and "$-" not in body
    assert "3 SKIPDATA" in body and "ok  —" not in body and "https://console" in body
    assert alert["attributes"]["mismatch"] == {"DataType": "Number", "StringValue": "1"}
    assert alert["attributes"]["match"]["StringValue"] == "1"
    assert set(alert["attributes"]) == {"kind", "date", "problems", "alerted"} | {
        s.value.lower() for s in messages.ATTRIBUTE_STATUSES
    }


def test_failure_message():
    failure = messages.failure("2026-11-20", "Queries", "States.TaskFailed", "x" * 10_000, None)
    assert len(failure["subject"]) <= 100 and "Queries" in failure["subject"]
    assert len(failure["message"]) < 4000 and '{"date": "2026-11-20"}' in failure["message"]


def test_console_url():
    arn = "arn:aws:states:eu-west-1:123456789012:execution:machine:run-1"
    assert messages.console_url(arn).startswith(
        "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1"
    )
    assert messages.console_url(None) is None


def test_subjects_are_printable_ascii_even_when_cut():
    long_state = "Ünïcode\nState" * 20
    failure = messages.failure("2026-11-20", long_state, "Err", "cause", None)
    subject = failure["subject"]
    assert len(subject) <= 100 and subject.endswith("...")
    assert all(32 <= ord(c) < 127 for c in subject)


def test_many_alerted_albs_list_the_largest_deltas_first_and_stay_small():
    rows = [{**ROW, "load_balancer": f"alb-{i:03d}", "delta_gb": -i / 10} for i in range(300)]
    alert = messages.alert("2026-11-20", rows, True, None)
    assert "alb-299  —  MISMATCH" in alert["message"] and "alb-000  —" not in alert["message"]
    assert "and 250 more ALBs" in alert["message"]
    assert len(alert["message"].encode()) < 64 * 1024
    assert "300 of 300 ALBs" in alert["subject"]


def test_alerts_carry_at_most_ten_message_attributes():
    """SNS does not deliver a message with more than 10 attributes to raw-delivery SQS subscribers."""
    from alb_egress.messages import message_attributes, status_counts

    counts = status_counts([{"status": s.value} for s in Status])  # one ALB of every status
    attributes = message_attributes("2026-11-20", counts, "mismatch")
    assert len(attributes) <= 10
    assert attributes["mismatch"]["StringValue"] == "1"
    assert int(attributes["problems"]["StringValue"]) == len(
        [
            s
            for s in Status
            if s.value.startswith(("NO_FLOW", "FLOW_", "PARTIAL_FLOW", "NO_CUR", "NOT_A", "CUR_"))
        ]
    )


def test_a_failed_querys_email_leads_with_athenas_reason():
    cause = json.dumps(
        {
            "QueryExecution": {
                "QueryExecutionId": "q-1",
                "Query": "SELECT " + "x, " * 1000,  # the ~3 KB that used to come first
                "Status": {
                    "State": "FAILED",
                    "AthenaError": {
                        "ErrorMessage": "HIVE_CURSOR_ERROR: Input is not a GZIP stream: s3://b/k.gz"
                    },
                },
            }
        }
    )
    body = messages.failure("2026-11-20", "Queries", "States.TaskFailed", cause, None)["message"]
    assert body.index("Input is not a GZIP stream: s3://b/k.gz") < body.index("state: Queries")
    assert "reason: Athena query q-1 FAILED: HIVE_CURSOR_ERROR" in body


def test_under_billing_unmeasured_money_and_tiny_amounts_read_as_what_they_are():
    def line(**changes) -> str:
        body = messages.alert("2026-11-20", [{**ROW, **changes}], True, None)["message"]
        return next(x.strip() for x in body.splitlines() if x.strip().startswith(("billed", "unmeasured")))

    assert line(cur_gb=1.6, delta_gb=0.4, estimated_impact_usd=0.036) == (
        "billed 20.0 % less than measured: -$0.04 under-billed (at the CUR's effective rate)"
    )
    assert line(estimated_impact_usd=-0.004).startswith(
        "billed 25.0 % more than measured: less than $0.01 over"
    )
    assert line(status="MISSING_FLOW_LOGS", flow_log_gb=0.0, flow_log_bytes=0) == (
        "unmeasured: $0.23 billed with no flow-log measurement (not a mismatch)"
    )


def test_the_terminal_money_never_shows_minus_zero():
    from albrecon.output import over_billed_usd, signed_money

    assert [signed_money(v) for v in (0.0, 0.004, -0.004, 0.01, -1234.5)] == [
        "$0.00",
        "+<$0.01",
        "-<$0.01",
        "+$0.01",
        "-$1,234.50",
    ]
    assert over_billed_usd({"status": "MISMATCH", "estimated_impact_usd": -0.5}) == 0.5
    assert over_billed_usd({"status": "MISSING_FLOW_LOGS", "estimated_impact_usd": -0.5}) is None


def test_failure_of_run_reads_the_state_at_the_failure_and_never_echoes_a_bad_date():
    state = {
        "plan": {"date": "2026-11-20"},
        "failure": {"Queries": {"Error": "States.Timeout", "Cause": "slow"}},
    }
    email = messages.failure_of_run(state, {"date": "2026-11-19"}, None, None)
    assert "2026-11-20 in Queries: States.Timeout" in email["subject"] and "cause: slow" in email["message"]
    # before Plan ran: the input's date, when it is one; the failure as given beside the state
    email = messages.failure_of_run({}, {"date": "2026-11-19"}, {"Plan": {"Error": "InvalidInput"}}, None)
    assert "2026-11-19 in Plan: InvalidInput" in email["subject"]
    hostile = {"date": "2026-11-19'; DROP TABLE x; --"}
    for state, given_input in (
        ("not a dict", hostile),
        ({"plan": ["x"], "failure": "x"}, ["x"]),
        (None, None),
    ):
        email = messages.failure_of_run(state, given_input, None, None)
        assert "unknown day in unknown state: unknown error" in email["subject"]
        assert "DROP" not in email["message"]
