"""Every scenario of the nightly job, end to end; each asserts the execution, the stored results
and what the alert topic received."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from albrecon.generator.dataset import GIB, AlbSpec

from .conftest import ALBS, DAY, parameters, results_by_name

pytestmark = pytest.mark.slow
D = DAY.isoformat()


def test_match_and_mismatch(scenario):
    data = scenario()
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    assert run.report.status == "SUCCEEDED", run.report.describe()
    got, truth = results_by_name(run), data.by_name()
    assert set(got) == {"Test751", "Test7510"}  # exact names: Test751 never picks up Test7510's ENIs
    for name, expected in truth.items():
        assert got[name]["flow_log_bytes"] == expected["flow_log_bytes"]
        assert got[name]["flow_log_gb"] == pytest.approx(expected["flow_log_bytes"] / GIB)
        assert got[name]["cur_gb"] == pytest.approx(expected["cur_gb"])
        assert got[name]["eni_count"] == len(expected["eni_ids"])
        assert got[name]["skipdata_records"] == expected["skipdata_records"]
        assert got[name]["execution_arn"] == run.report.execution_arn
        assert got[name]["data_scanned_bytes"] > 0
    assert got["Test751"]["status"] == "MATCH"
    assert got["Test7510"]["status"] == "MISMATCH"
    assert got["Test7510"]["delta_pct"] == pytest.approx(100 * (1 / 1.10 - 1))
    [alert] = run.alerts
    assert len(alert["subject"]) <= 100 and D in alert["subject"] and "1 of 2" in alert["subject"]
    assert "Test7510  —  MISMATCH" in alert["message"] and "Test751  —" not in alert["message"]
    # the sign FinOps reads: billed - measured, in % of what was measured and in $ (over-billed)
    over = -got["Test7510"]["estimated_impact_usd"]
    assert over > 0
    money = f"+${over:,.2f}" if round(over * 100) else "less than $0.01"
    assert f"billed 10.0 % more than measured: {money} over-billed" in alert["message"]
    assert run.as_json()["results"][1]["over_billed_usd"] == pytest.approx(over)
    assert alert["attributes"]["mismatch"] == {"Type": "Number", "Value": "1"}
    assert alert["attributes"]["date"]["Value"] == D
    assert run.as_json()["execution_status"] == "SUCCEEDED"


def test_eni_created_and_deleted_mid_day_count_for_their_hours(scenario):
    data = scenario()  # Test751: one ENI deleted at 09:45, one created at 13:20, one gone the day before
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    test751 = data.by_name()["Test751"]
    enis = data.truth["enis"]
    mid_day = [e for e in test751["eni_ids"] if enis[e]["egress_bytes"] and e in enis]
    assert len(test751["eni_ids"]) == 4 and len(mid_day) == 4
    gone = [e for e, i in enis.items() if i["load_balancer"] == "Test751" and not i["belongs_on_day"]]
    assert len(gone) == 1
    assert results_by_name(run)["Test751"]["eni_count"] == 4
    assert results_by_name(run)["Test751"]["flow_log_bytes"] == test751["flow_log_bytes"]


def test_missing_cur(scenario):
    data = scenario(albs=[ALB_BILLED, AlbSpec("unbilled", "00000000000000bb", enis=2, billed=False)])
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    assert run.report.status == "SUCCEEDED"
    assert results_by_name(run)["unbilled"]["status"] == "MISSING_CUR"
    assert results_by_name(run)["unbilled"]["cur_gb"] == 0
    [alert] = run.alerts
    assert "unbilled  —  MISSING_CUR" in alert["message"]
    assert alert["attributes"]["missing_cur"]["Value"] == "1"


def test_pending_cur_when_the_cur_does_not_cover_the_day(scenario):
    data = scenario(cur_delivered_through=14)
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    assert run.report.status == "SUCCEEDED"
    assert {r["status"] for r in run.results} == {"PENDING_CUR"}
    assert run.alerts == []
    assert run.report.output["cur_covers_day"] is False


def test_missing_flow_logs(scenario):
    data = scenario(albs=[ALB_BILLED, AlbSpec("no-logs", "00000000000000cc", enis=2, flow_logs=False)])
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    no_logs = results_by_name(run)["no-logs"]
    assert (
        no_logs["status"] == "MISSING_FLOW_LOGS" and no_logs["flow_log_bytes"] == 0 and no_logs["cur_gb"] > 0
    )
    assert "no-logs  —  MISSING_FLOW_LOGS" in run.alerts[0]["message"]


def test_a_small_alb_whose_enis_logged_nothing_is_not_a_match(scenario):
    """Billed less than MinDeltaGB, but not one flow-log record of its ENIs: nothing was measured,
    so the bill cannot be called matched."""
    data = scenario(
        albs=[ALB_BILLED, AlbSpec("tiny-no-logs", "00000000000000dd", enis=2, flow_logs=False, weight=0.0002)]
    )
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    tiny = results_by_name(run)["tiny-no-logs"]
    assert "MinDeltaGB" not in parameters(data.root)  # the template's default, 0.01 GB
    assert 0 < tiny["cur_gb"] < 0.01
    assert tiny["status"] == "MISSING_FLOW_LOGS" and tiny["flow_log_bytes"] == 0
    assert "tiny-no-logs  —  MISSING_FLOW_LOGS" in run.alerts[0]["message"]


@pytest.mark.parametrize(
    "scope",
    [{"LoadBalancerNames": "web-prdo"}, {"Accounts": "123456789013"}, {"Regions": "us-east-2"}],
    ids=["name-typo", "account-typo", "region-typo"],
)
def test_a_scope_that_matches_no_alb_of_the_inventory_is_e_mailed_not_quiet(scenario, scope):
    """Issue 23: a mistyped scope made every night succeed quietly with nothing reconciled. The
    inventory has ALBs that day, so the night says so: an e-mail naming the scope and the ALBs it
    left out, and the day's status SCOPE_MATCHES_NO_ALB - nothing compared, nothing blamed."""
    data = scenario()
    with data.pipeline(**scope) as pipeline:
        run = pipeline.run(D)
    assert run.report.status == "SUCCEEDED" and not run.report.ran("Queries")
    assert run.report.output["status"] == "SCOPE_MATCHES_NO_ALB"
    assert run.report.output["albs_out_of_scope"] == len(ALBS)
    [alert] = run.alerts
    assert f"the scope matches none of {len(ALBS)} ALBs" in alert["subject"]
    [(name, value)] = scope.items()
    assert (
        f"{name}: {value}" in alert["message"] and f"123456789012 us-east-1: {len(ALBS)}" in alert["message"]
    )
    assert alert["attributes"]["kind"]["Value"] == "empty_scope"
    assert run.results == []


def test_a_mismatch_worth_less_than_min_impact_usd_is_stored_but_not_e_mailed(scenario):
    """MinImpactUSD: the bill's $ figure, not only GB, decides what reaches a person's inbox."""
    data = scenario()
    with data.pipeline(MinImpactUSD="1000") as pipeline:
        quiet = pipeline.run(D)
    mismatch = results_by_name(quiet)["Test7510"]
    assert mismatch["status"] == "MISMATCH" and mismatch["below_min_impact"] is True
    assert abs(mismatch["estimated_impact_usd"]) < 1000
    assert quiet.alerts == [] and quiet.report.output["alerted"] == 0
    with data.pipeline(MinImpactUSD="0") as pipeline:
        told = pipeline.run(D)
    assert results_by_name(told)["Test7510"]["below_min_impact"] is False
    [alert] = told.alerts
    assert "Test7510  —  MISMATCH" in alert["message"]


def test_no_enis_on_the_day_succeeds_quietly(scenario):
    data = scenario()
    for event_file in (data.root / "events").iterdir():
        event_file.unlink()
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
    assert run.report.status == "SUCCEEDED"
    assert run.report.output == {"date": D, "status": "NOTHING_TO_RECONCILE", "albs": 0, "alerted": 0}
    assert not run.report.ran("Queries")
    assert run.results == [] and run.alerts == []


def test_load_balancer_names_filter(scenario):
    data = scenario()
    with data.pipeline(LoadBalancerNames="Test751") as pipeline:
        run = pipeline.run(D)
    assert [r["load_balancer"] for r in run.results] == ["Test751"]
    assert run.results[0]["status"] == "MATCH"
    assert run.alerts == []  # Test7510 mismatches but is not watched


def test_region_prefixed_usage_types(scenario):
    data = scenario(region="eu-west-1")
    with data.pipeline(**{"AWS::Region": "eu-west-1"}) as pipeline:
        run = pipeline.run(D)
    got = results_by_name(run)
    assert got["Test751"]["status"] == "MATCH" and got["Test7510"]["status"] == "MISMATCH"
    assert got["Test751"]["load_balancer_arn"].startswith("arn:aws:elasticloadbalancing:eu-west-1:")
    assert got["Test751"]["cur_gb"] == pytest.approx(data.by_name()["Test751"]["cur_gb"])


def test_athena_throttling_is_retried_with_backoff_then_succeeds(scenario):
    data = scenario()
    with data.pipeline() as pipeline:
        pipeline.aws.faults.fail("athena", "StartQueryExecution", "TooManyRequestsException", on_calls=[1, 2])
        run = pipeline.run(D)
    assert run.report.status == "SUCCEEDED", run.report.describe()
    assert len(pipeline.aws.faults.injected) == 2
    assert pipeline.aws.retry_clock.requested  # back-off intervals were asked for
    assert len(run.results) == 2


def test_athena_failure_retried_then_alerted(scenario):
    data = scenario()
    with data.pipeline() as pipeline:
        pipeline.aws.faults.fail(
            "athena", "StartQueryExecution", "TooManyRequestsException", on_calls=range(1, 50)
        )
        run = pipeline.run(D)
    assert run.report.status == "FAILED" and run.report.error == "ReconciliationFailed"
    # MaxAttempts 4, IntervalSeconds 5, BackoffRate 2: 5, 10, 20, 40 s (before jitter) per query state
    assert max(pipeline.aws.retry_clock.requested) <= 40 and len(pipeline.aws.retry_clock.requested) >= 4
    [alert] = run.alerts
    assert alert["subject"].startswith(f"ALB egress reconciliation FAILED for {D} in CreateTables")
    assert "Athena.TooManyRequestsException" in alert["message"]
    assert "console.aws.amazon.com/states" in alert["message"]  # the e-mail, as AWS sends it
    # what the local run shows has no link: a local execution is in no console
    assert "console.aws.amazon.com" not in json.dumps(run.as_json())
    assert "Athena.TooManyRequestsException" in run.as_json()["alerts"][0]["message"]
    assert alert["attributes"]["kind"]["Value"] == "pipeline_failed"
    assert run.results == []


def test_query_failure_is_alerted_with_athenas_reason(scenario):
    data = scenario()
    with data.pipeline() as pipeline:
        # A table of the same name but another layout already exists (IF NOT EXISTS keeps it): the
        # egress query cannot read it, Athena fails the query, the .sync task fails, the alert says so.
        pipeline.aws.athena.execute(
            f"CREATE EXTERNAL TABLE {pipeline.aws.ref('GlueDatabase')}.alb_enis_of_day (x int) "
            "PARTITIONED BY (`date` date) LOCATION 's3://demo-flow-logs/elsewhere/'"
        )
        run = pipeline.run(D)
    assert run.report.status == "FAILED"
    [alert] = run.alerts
    assert " in Queries: States.TaskFailed" in alert["subject"]


def test_sns_failure_fails_the_execution_but_keeps_the_results(scenario):
    data = scenario()
    with data.pipeline() as pipeline:
        pipeline.aws.faults.fail("sns", "Publish", "InternalErrorException", on_calls=range(1, 20))
        run = pipeline.run(D)
    assert run.report.status == "FAILED" and run.report.error == "ReconciliationFailed"
    assert run.alerts == []
    assert len(run.results) == 2  # persisted before the alert
    assert run.report.ran("PublishAlert") and run.report.ran("PublishFailure")


@pytest.mark.parametrize(
    "bad_input",
    [
        {"date": "2026-13-01"},
        {"date": "yesterday"},
        {"date": "2026-11-20'; DROP TABLE x; --"},
        {"date": (datetime.now(UTC).date() + timedelta(days=1)).isoformat()},
        {"date": "2015-06-09"},
        {"Date": "2026-11-20"},
        "2026-11-20",  # not an object: AWS would fail with States.ResultPathMatchFailure without Start
        ["2026-11-20"],
        42,
    ],
)
def test_invalid_manual_input_fails_fast_without_alert(scenario, bad_input):
    data = scenario()
    with data.pipeline() as pipeline:
        run = pipeline.run(None, execution_input=bad_input)
    assert run.report.status == "FAILED"
    assert run.report.error == "InvalidReconcileInput"
    assert [s.name for s in run.report.states] == ["Start", "Plan", "InvalidInput"]
    assert "expected" in run.report.cause or "date" in run.report.cause  # Plan's own explanation
    assert run.alerts == [] and run.results == []


def test_scheduled_run_reconciles_start_minus_lag(scenario):
    lag = (datetime.now(UTC).date() - DAY).days
    data = scenario()
    with data.pipeline(ReconcileLagDays=str(lag)) as pipeline:
        run = pipeline.run(None, execution_input={})
    assert run.date == D and run.report.status == "SUCCEEDED"
    assert len(run.results) == 2


def test_rerun_replaces_the_days_results(scenario):
    data = scenario()
    with data.pipeline() as pipeline:
        first = pipeline.run(D)
        table = pipeline.aws.client("dynamodb")
        table.put_item(  # a result of an ALB the day no longer has
            TableName=pipeline.aws.ref("ResultsTable"),
            Item={
                "date": {"S": D},
                "load_balancer_arn": {"S": OLD_ARN},
                "load_balancer": {"S": "old"},
                "status": {"S": "MISMATCH"},
            },
        )
        second = pipeline.run(D)
    assert [r["load_balancer"] for r in second.results] == [r["load_balancer"] for r in first.results]
    assert {r["execution_arn"] for r in second.results} == {second.report.execution_arn}

    def strip(rows):
        return [{k: v for k, v in r.items() if k not in ("execution_arn", "reconciled_at")} for r in rows]

    differences = [
        (a["load_balancer"], k, a.get(k), b.get(k))
        for a, b in zip(strip(second.results), strip(first.results), strict=True)
        for k in a.keys() | b.keys()
        # sums of doubles come in any order
        if (
            a.get(k) != pytest.approx(b.get(k), rel=1e-12)
            if isinstance(b.get(k), float)
            else a.get(k) != b.get(k)
        )
    ]
    assert differences == []


def test_emf_metrics_per_alb(scenario):
    """One EMF document per ALB: its four metrics (the result's values) under its three dimensions."""
    data = scenario()
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
        emitted = pipeline.aws.functions["PersistFunction"].metrics()
    per_alb: dict[str, list[dict]] = {}
    for doc in emitted:
        if "LoadBalancer" in doc:
            per_alb.setdefault(doc["LoadBalancer"], []).append(doc)
    assert sorted(per_alb) == ["Test751", "Test7510"]
    for result in run.results:
        (doc,) = per_alb[result["load_balancer"]]
        (directive,) = doc["_aws"]["CloudWatchMetrics"]
        # the dashboard's SEARCH names this dimension set: {AlbEgressReconciliation,Account,LoadBalancer,Region,service}
        assert [sorted(d) for d in directive["Dimensions"]] == [
            ["Account", "LoadBalancer", "Region", "service"]
        ]
        assert (doc["Account"], doc["Region"]) == (result["account_id"], result["region"])
        metrics = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
        assert metrics == {
            "FlowLogGB": "Gigabytes",
            "CurGB": "Gigabytes",
            "DeltaGB": "Gigabytes",
            "DeltaPercent": "Percent",
        }
        for name, key in (
            ("FlowLogGB", "flow_log_gb"),
            ("CurGB", "cur_gb"),
            ("DeltaGB", "delta_gb"),
            ("DeltaPercent", "delta_pct"),
        ):
            assert doc[name] == [pytest.approx(result[key], rel=1e-12)]  # EMF: a value list


ALB_BILLED = AlbSpec("billed", "00000000000000aa", enis=2)
OLD_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/old/00000000000000dd"


def test_albrecon_local_json_has_exactly_the_documented_shape(scenario, capsys):
    from albrecon.cli import main

    data = scenario()
    assert main(["local", "--data", str(data.root), "--date", D, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == ["date", "execution_status", "results", "alerts", "problems", "flow_log_damage"]
    assert printed["date"] == D and printed["execution_status"] == "SUCCEEDED"
    # the one result schema (RESULT_FIELDS, the result type's fields; the README lists them: a test
    # in tests/cli/test_result_schema.py holds the two together)
    from albrecon.output import RESULT_FIELDS

    assert [list(r) for r in printed["results"]] == [list(RESULT_FIELDS)] * 2
    assert [list(a) for a in printed["alerts"]] == [["subject", "message"]]


def test_albrecon_local_json_says_why_an_execution_failed(scenario, capsys):
    from albrecon.cli import main

    data = scenario()
    # a FlowLogFormat without the fields the reconciliation reads: Plan refuses it
    (data.root / "parameters.json").write_text(
        json.dumps({**json.loads((data.root / "parameters.json").read_text()), "FlowLogFormat": "${bytes}"})
    )
    assert main(["local", "--data", str(data.root), "--date", D, "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed["execution_status"] == "FAILED"
    assert printed["error"] == "ReconciliationFailed"
    assert printed["cause"].startswith("Plan failed for") and "FlowLogFormat" in printed["cause"]


def test_albrecon_local_refuses_a_bad_date_and_a_missing_directory(tmp_path, capsys):
    from albrecon.cli import main

    assert main(["local", "--data", str(tmp_path), "--date", "2026-02-30"]) == 2
    assert "not a calendar date" in capsys.readouterr().err
    assert main(["local", "--data", str(tmp_path / "nope")]) == 2
    assert "no data directory" in capsys.readouterr().err


def _run_metric_points(pipeline, function: str, name: str) -> list[dict]:
    return [
        doc
        for doc in pipeline.aws.functions[function].metrics()
        if any(m["Name"] == name for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"])
    ]


def test_a_stuck_query_times_out_into_the_failure_email(scenario):
    """TimeoutSeconds on the Athena tasks (scaled here): a query stuck in RUNNING reaches the Catch
    and the failure e-mail, instead of running into the execution timeout that no Catch sees."""
    data = scenario()
    with data.pipeline(timeout_scale=0.002) as pipeline:
        pipeline.aws.athena.hold_running = lambda sql: "egress_bytes" in sql
        run = pipeline.run(D)
        failed_runs = _run_metric_points(pipeline, "NotifyFunction", "FailedRuns")
    assert run.report.status == "FAILED" and run.report.error == "ReconciliationFailed"
    [alert] = run.alerts
    assert "in Queries: States.Timeout" in alert["subject"] and D in alert["subject"]
    assert len(failed_runs) == 1 and failed_runs[0]["Stack"] == "alb-egress-reconciliation-local"


def test_a_failed_scheduled_run_names_the_planned_day(scenario):
    lag = (datetime.now(UTC).date() - DAY).days
    data = scenario()
    with data.pipeline(ReconcileLagDays=str(lag)) as pipeline:
        pipeline.aws.faults.fail("athena", "StartQueryExecution", "InvalidRequestException", on_calls=3)
        run = pipeline.run(None, execution_input={})
    assert run.report.status == "FAILED"
    [alert] = run.alerts
    assert D in alert["subject"] and "unknown day" not in alert["message"]


def test_run_metrics_for_the_alarms(scenario):
    """Plan counts every run (NoRunAlarm); a refused manual input is not a FailedRuns point."""
    data = scenario()
    with data.pipeline() as pipeline:
        pipeline.run(D)
        pipeline.run(None, execution_input={"date": "yesterday"})
        heartbeats = _run_metric_points(pipeline, "PlanFunction", "RunHeartbeat")
        failed_runs = _run_metric_points(pipeline, "NotifyFunction", "FailedRuns")
        refused = _run_metric_points(pipeline, "PlanFunction", "RefusedRuns")
    assert len(heartbeats) == 2 and failed_runs == []
    # UncaughtFailureAlarm subtracts it from ExecutionsFailed: a typo is not a lost failure
    assert len(refused) == 1 and refused[0]["Stack"] == "alb-egress-reconciliation-local"


def test_a_query_cancelled_by_the_bytes_scanned_cutoff_is_alerted_with_the_reason(scenario):
    """The workgroup's BytesScannedCutoffPerQuery: Athena cancels a query that would scan more (a
    CANCELLED query fails Step Functions' .sync task). The night ends in the failure e-mail, which
    says so - never in numbers from a partial read."""
    data = scenario()
    with data.pipeline() as pipeline:
        aws = pipeline.aws
        athena = aws.client("athena")
        workgroup = aws.ref("AthenaWorkGroup")
        configured = athena.get_work_group(WorkGroup=workgroup)["WorkGroup"]["Configuration"]
        assert configured["BytesScannedCutoffPerQuery"] >= 10_000_000  # the template's, as deployed
        # AWS's (and botocore's) minimum is 10 MB and the test's day is smaller: the workgroup as
        # moto holds it gets a lower cutoff directly
        from moto.athena.models import athena_backends

        athena_backends[aws.account][aws.region].work_groups[workgroup].configuration[
            "BytesScannedCutoffPerQuery"
        ] = 1000
        run = pipeline.run(D)
    assert run.report.status == "FAILED"
    assert run.results == []  # nothing stored from a cancelled read
    [alert] = run.alerts
    assert " in Queries: States.TaskFailed" in alert["subject"]
    assert "Bytes scanned limit was exceeded" in alert["message"]


@pytest.mark.parametrize(
    ("role", "action", "state"),
    [
        ("DiagnoseFunction", "s3:ListBucket", "Diagnose"),  # Diagnose Lists the day's folders
        ("ReconcileStateMachine", "s3:GetObject", "Queries"),  # Athena's read of the files
    ],
)
def test_access_denied_on_the_data_buckets_is_a_clear_alert(scenario, role, action, state):
    """A data bucket in another account without the README's bucket policy (or a key that does not
    let the role decrypt) answers AccessDenied: the night ends in the failure e-mail naming the
    permission, never in MISSING_FLOW_LOGS for every ALB."""
    data = scenario()
    with data.pipeline() as pipeline:
        deployed = pipeline.aws.role(role)
        deployed.statements = [
            s
            for s in deployed.statements
            if not (s.body.get("Action") in (action, [action]) and "Resource" in s.body)
        ]
        run = pipeline.run(D)
    assert run.report.status == "FAILED"
    assert run.results == []
    [alert] = run.alerts
    assert f" in {state}" in alert["subject"]
    assert action in alert["message"] and (
        "AccessDenied" in alert["message"] or "not authorized" in alert["message"]
    )


def test_dynamodb_throttling_while_finding_the_enis_is_retried_and_exact(scenario):
    """FindEnis pages through the inventory's index: throttled pages are retried by the adapters'
    standard retry mode (with back-off), and the day's ENIs - so its numbers - are still complete."""
    data = scenario()
    with data.pipeline() as pipeline:
        pipeline.aws.faults.fail(
            "dynamodb", "Query", "ProvisionedThroughputExceededException", "throttled", on_calls=[1, 2, 3]
        )
        run = pipeline.run(D)
    assert run.report.status == "SUCCEEDED", run.report.describe()
    assert [f[:2] for f in pipeline.aws.faults.injected] == [("dynamodb", "Query")] * 3
    truth = data.by_name()
    for result in run.results:
        assert result["flow_log_bytes"] == truth[result["load_balancer"]]["flow_log_bytes"]
        assert result["eni_count"] == len(truth[result["load_balancer"]]["eni_ids"])


def test_a_lake_formation_governed_catalog_needs_athenas_data_access_permission(scenario):
    """LakeFormationGrants=true: Athena reads the tables' data with credentials it gets from Lake
    Formation as the caller (lakeformation:GetDataAccess); the night is exact with the template's
    role, and fails naming the permission without it."""
    data = scenario()
    with data.pipeline(LakeFormationGrants="true") as pipeline:
        assert pipeline.run(D).report.status == "SUCCEEDED"
        machine = pipeline.aws.role("ReconcileStateMachine")
        machine.statements = [
            s for s in machine.statements if s.body.get("Action") != "lakeformation:GetDataAccess"
        ]
        failed = pipeline.run(D)
    assert failed.report.status == "FAILED"
    [alert] = failed.alerts
    assert "lakeformation:GetDataAccess" in alert["message"]


def test_a_rerun_whose_persist_fails_leaves_the_stored_day_as_it_was(scenario):
    """Persist writes the new day beside the old and commits it last: a failure at the commit (the
    new items all written) ends in the failure e-mail, and the day still reads as the first run
    stored it - every ALB, the first run's execution - until a later run replaces it whole."""
    data = scenario()
    with data.pipeline() as pipeline:
        first = pipeline.run(D)
        assert first.report.status == "SUCCEEDED" and first.results
        puts = pipeline.aws.faults.calls[("dynamodb", "PutItem")]
        assert pipeline.store is None  # (with a local store, the harness's copy of it comes first)
        pipeline.aws.faults.fail(  # Persist's commit, its retries by the SDK
            "dynamodb", "PutItem", "ValidationException", on_calls=range(puts + 1, puts + 50)
        )
        failed = pipeline.run(D)
        pipeline.aws.faults.faults.clear()
        third = pipeline.run(D)
    assert failed.report.status == "FAILED" and "Persist" in failed.alerts[0]["subject"]
    assert failed.results == first.results
    assert {r["execution_arn"] for r in failed.results} == {first.report.execution_arn}
    assert {r["execution_arn"] for r in third.results} == {third.report.execution_arn}
    assert len(third.results) == len(first.results)
