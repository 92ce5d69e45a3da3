"""`albrecon doctor`: each check against moto (both outcomes); the CUR definitions and Data
Exports, which moto lacks, through botocore Stubbers answering AWS's documented response shapes."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from albrecon import doctor
from albrecon.cli import main
from albrecon.generator.dataset import AlbSpec, DatasetSpec, generate

ACCOUNT, REGION = "123456789012", "us-east-1"
MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:albrecon-reconcile"
FORMAT = doctor.FlowLogFormat.parse(None).format_string()
PARAMETERS = {
    "FlowLogsBucket": "org-flow-logs",
    "FlowLogsPrefix": "",
    "CurBucket": "org-cur",
    "CurPrefix": "billing",
    "CurReportName": "hourly-cur",
    "CurFormat": "legacy",
}
REPORT = {  # cur/latest/APIReference/API_ReportDefinition.html
    "ReportName": "hourly-cur",
    "TimeUnit": "HOURLY",
    "Format": "Parquet",
    "Compression": "Parquet",
    "AdditionalSchemaElements": ["RESOURCES"],
    "S3Bucket": "org-cur",
    "S3Prefix": "billing",
    "S3Region": "us-east-1",
    "AdditionalArtifacts": ["ATHENA"],
    "RefreshClosedReports": True,
    "ReportVersioning": "OVERWRITE_REPORT",
}
EXPORT = {  # bcm-data-exports/latest/APIReference/API_GetExport.html
    "ExportArn": "arn:aws:bcm-data-exports:us-east-1:123456789012:export/cur2-abc",
    "Name": "cur2",
    "DataQuery": {
        "QueryStatement": "SELECT line_item_usage_start_date, line_item_resource_id, line_item_usage_amount FROM COST_AND_USAGE_REPORT",
        "TableConfigurations": {
            "COST_AND_USAGE_REPORT": {"INCLUDE_RESOURCES": "TRUE", "TIME_GRANULARITY": "HOURLY"}
        },
    },
    "DestinationConfigurations": {
        "S3Destination": {
            "S3Bucket": "org-cur",
            "S3Prefix": "billing",
            "S3Region": "us-east-1",
            "S3OutputConfigurations": {
                "OutputType": "CUSTOM",
                "Format": "PARQUET",
                "Compression": "PARQUET",
                "Overwrite": "OVERWRITE_REPORT",
            },
        }
    },
    "RefreshCadence": {"Frequency": "SYNCHRONOUS"},
}


@pytest.fixture
def account():
    """A moto account with one ALB, its flow log, a trail, the schedule and a subscribed topic."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in ("org-flow-logs", "trail-bucket"):
            s3.create_bucket(Bucket=bucket)
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
                "Subnet"
            ]["SubnetId"]
            for i, z in ((1, "a"), (2, "b"))
        ]
        boto3.client("elbv2", region_name=REGION).create_load_balancer(
            Name="web", Subnets=subnets, Type="application", Scheme="internet-facing"
        )
        ec2.create_flow_logs(
            ResourceIds=[vpc],
            ResourceType="VPC",
            TrafficType="ALL",
            LogDestinationType="s3",
            LogDestination="arn:aws:s3:::org-flow-logs",
            LogFormat=FORMAT,
        )
        trail = boto3.client("cloudtrail", region_name=REGION)
        arn = trail.create_trail(Name="org-trail", S3BucketName="trail-bucket", IsMultiRegionTrail=True)[
            "TrailARN"
        ]
        trail.put_event_selectors(
            TrailName=arn, EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
        )
        trail.start_logging(Name="org-trail")
        boto3.client("scheduler", region_name=REGION).create_schedule(
            Name="albrecon-nightly",
            ScheduleExpression="cron(0 6 * * ? *)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": MACHINE, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/scheduler", "Input": "{}"},
        )
        sns = boto3.client("sns", region_name=REGION)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="finops@example.com")
        yield {"vpc": vpc, "subnets": subnets, "topic": topic, "ec2": ec2, "sns": sns}


def clients(report=REPORT, export=EXPORT):
    cur = boto3.client("cur", region_name="us-east-1")
    cur_stub = Stubber(cur)
    cur_stub.add_response("describe_report_definitions", {"ReportDefinitions": [report]})
    cur_stub.activate()
    exports = boto3.client("bcm-data-exports", region_name="us-east-1")
    exports_stub = Stubber(exports)
    exports_stub.add_response(
        "list_exports",
        {"Exports": [{"ExportArn": export["ExportArn"], "ExportName": export["Name"], "ExportStatus": {}}]},
    )
    exports_stub.add_response("get_export", {"Export": export}, {"ExportArn": export["ExportArn"]})
    exports_stub.activate()
    stubbed = {"cur": cur, "bcm-data-exports": exports}
    return lambda service, region=None: (
        stubbed.get(service) or boto3.client(service, region_name=region or REGION)
    )


def run_checks(account, parameters=None, **client_args) -> dict[str, doctor.Check]:
    checks = doctor.stack_checks(
        {**PARAMETERS, **(parameters or {})},
        {"StateMachineArn": MACHINE, "AlertTopicArn": account["topic"]},
        ACCOUNT,
        REGION,
        clients(**client_args),
    )
    return {c.name.split(" (")[0] if "flow logs cover" in c.name else c.name: c for c in checks}


def test_a_well_configured_account_passes_every_check(account):
    checks = run_checks(account)
    assert all(c.ok for c in checks.values()), doctor.report(list(checks.values()))
    assert {
        "flow logs cover the watched ALBs",
        "CloudTrail records management events",
        "CUR",
        "nightly schedule",
        "alert topic subscription",
    } <= set(checks)


def test_an_alb_without_a_flow_log_to_the_bucket(account):
    ec2 = account["ec2"]
    ec2.delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in ec2.describe_flow_logs()["FlowLogs"]])
    check = run_checks(account)["flow logs cover the watched ALBs"]
    assert not check.ok and "not covered: web" in check.detail and "create-flow-logs" in check.fix


def test_a_flow_log_to_another_bucket_does_not_count(account):
    check = run_checks(account, {"FlowLogsBucket": "another-bucket"})["flow logs cover the watched ALBs"]
    assert not check.ok and "0 of 1 ALBs" in check.detail


def test_a_flow_log_in_another_format(account):
    ec2 = account["ec2"]
    ec2.delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in ec2.describe_flow_logs()["FlowLogs"]])
    ec2.create_flow_logs(
        ResourceIds=account["subnets"],
        ResourceType="Subnet",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::org-flow-logs",
        LogFormat="${version} ${account-id} ${interface-id} ${bytes} ${start} ${action} ${log-status}",
    )
    checks = run_checks(account)
    assert checks["flow logs cover the watched ALBs"].ok  # both subnets covered
    formats = [c for name, c in checks.items() if name.endswith(" format")]
    assert formats and not any(c.ok for c in formats)


def test_no_trail_recording_management_events(account):
    trail = boto3.client("cloudtrail", region_name=REGION)
    trail.stop_logging(Name="org-trail")
    check = run_checks(account)["CloudTrail records management events"]
    assert not check.ok and "us-east-1" in check.detail and "create-trail" in check.fix


def test_a_cur_without_resource_ids_or_in_csv(account):
    check = run_checks(account, report={**REPORT, "AdditionalSchemaElements": [], "Format": "textORcsv"})[
        "CUR"
    ]
    assert not check.ok and "no resource ids" in check.detail and "not Parquet" in check.detail


def test_a_cur2_export_without_resources(account):
    table = {"COST_AND_USAGE_REPORT": {"INCLUDE_RESOURCES": "FALSE", "TIME_GRANULARITY": "MONTHLY"}}
    bad = {**EXPORT, "DataQuery": {**EXPORT["DataQuery"], "TableConfigurations": table}}
    good = run_checks(account, {"CurFormat": "cur2", "CurReportName": "cur2"})["CUR 2.0"]
    assert good.ok, good.detail
    check = run_checks(account, {"CurFormat": "cur2", "CurReportName": "cur2"}, export=bad)["CUR 2.0"]
    assert not check.ok and "INCLUDE_RESOURCES" in check.detail and "MONTHLY" in check.detail


def test_a_disabled_schedule(account):
    scheduler = boto3.client("scheduler", region_name=REGION)
    scheduler.update_schedule(
        Name="albrecon-nightly",
        ScheduleExpression="cron(0 6 * * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": MACHINE, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/scheduler", "Input": "{}"},
        State="DISABLED",
    )
    check = run_checks(account)["nightly schedule"]
    assert not check.ok and "no enabled schedule" in check.detail


def test_a_topic_without_subscription(account):
    sns = account["sns"]
    for subscription in sns.list_subscriptions_by_topic(TopicArn=account["topic"])["Subscriptions"]:
        sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
    check = run_checks(account)["alert topic subscription"]
    assert not check.ok and "NotificationEmail" in check.fix


# ---------------------------------------------------------------- --data
@pytest.fixture
def data(tmp_path):
    spec = DatasetSpec(
        day=date(2026, 11, 20), albs=[AlbSpec("web", "0123456789abcdef")], records_per_day=2_000
    )
    generate(spec, tmp_path)
    return tmp_path


def _set(data, **parameters):
    path = data / "parameters.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **parameters}))


def test_data_doctor_passes_on_good_data_and_exits_0(data, capsys):
    assert main(["doctor", "--data", str(data)]) == 0
    assert "9 of 9 checks pass" in capsys.readouterr().out


def _rewrite_flow_files(data, change):
    for path in sorted((data / "s3").rglob("*.log.gz")):
        with gzip.open(path, "rt") as handle:
            lines = handle.read().splitlines()
        with gzip.open(path, "wt") as handle:
            handle.write("\n".join(change(lines)) + "\n")


def test_data_doctor_names_a_format_without_the_fields_the_night_needs(data, capsys):
    def drop_traffic_path(lines):
        at = lines[0].split(" ").index("traffic-path")
        return [" ".join(v for i, v in enumerate(line.split(" ")) if i != at) for line in lines]

    _rewrite_flow_files(data, drop_traffic_path)
    assert main(["doctor", "--data", str(data)]) == 1
    out = capsys.readouterr().out
    assert "✗ flow-log formats:" in out and "lacks traffic-path" in out and "${traffic-path}" in out


def test_data_doctor_counts_damaged_lines_and_two_flow_logs(data, capsys):
    def damage(lines):  # every other record's bytes are not a number
        at = lines[0].split(" ").index("bytes")
        rows = [line.split(" ") for line in lines[1:]]
        for row in rows[::2]:
            row[at] += "x"
        return [lines[0]] + [" ".join(row) for row in rows]

    _rewrite_flow_files(data, damage)
    first = sorted((data / "s3").rglob("*.log.gz"))[0]
    (first.parent / first.name.replace("fl-0a1b2c3d4e5f67890", "fl-0ffffeeeeddddcccc")).write_bytes(
        first.read_bytes()
    )
    assert main(["doctor", "--data", str(data)]) == 1
    out = capsys.readouterr().out
    assert "✗ flow-log damage:" in out and "FLOW_LOG_DAMAGED" in out
    assert "✓ flow logs per folder: 2 flow logs (fl-0a1b2c3d4e5f67890, fl-0ffffeeeeddddcccc)" in out


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({"FlowLogsPerHourPartition": "true"}, "flow-log layout"),
        ({"FlowLogsPrefix": "elsewhere"}, "flow-log files"),
        ({"CurReportName": "another-report"}, "CUR files"),
    ],
)
def test_data_doctor_names_each_mistake_and_exits_1(data, capsys, change, failing):
    _set(data, **change)
    assert main(["doctor", "--data", str(data), "--account-id", ACCOUNT, "--region", REGION]) == 1
    out = capsys.readouterr().out
    assert f"✗ {failing}:" in out and "fix:" in out


def test_data_doctor_finds_a_cur_without_resource_ids(tmp_path, capsys):
    spec = DatasetSpec(
        day=date(2026, 11, 20),
        albs=[AlbSpec("web", "0123456789abcdef")],
        records_per_day=2_000,
        cur_resource_ids=False,
    )
    generate(spec, tmp_path)
    assert main(["doctor", "--data", str(tmp_path)]) == 1
    assert "✗ CUR resource ids: " in capsys.readouterr().out
    shutil.rmtree(tmp_path)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            '{"TolerancePercnt": "5"}',
            "TolerancePercnt is not a template parameter - did you mean TolerancePercent?",
        ),
        ("[1, 2]", "must be a JSON object of parameter names to values"),
        ("{not json", "is not JSON"),
        ('{"TolerancePercent": {"a": 1}}', "the value of TolerancePercent must be a string or a number"),
    ],
)
def test_a_parameters_file_local_refuses_is_a_failed_check_naming_the_fix(data, capsys, text, said):
    (data / "parameters.json").write_text(text)
    assert main(["doctor", "--data", str(data)]) == 1
    assert f"✗ parameters: {data / 'parameters.json'}" in capsys.readouterr().out
    assert main(["local", "--data", str(data), "--date", "2026-11-20"]) != 0
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_data_doctor_names_a_flow_log_day_deleted_between_others(tmp_path, capsys):
    spec = DatasetSpec(
        day=date(2026, 11, 20), days=3, albs=[AlbSpec("web", "0123456789abcdef")], records_per_day=2_000
    )
    generate(spec, tmp_path)
    assert main(["doctor", "--data", str(tmp_path)]) == 0
    assert "✓ flow-log days: no day missing (2026-11-19..2026-11-23)" in capsys.readouterr().out
    [middle] = [p for p in (tmp_path / "s3").rglob("21") if p.is_dir() and p.parent.name == "11"]
    shutil.rmtree(middle)
    assert main(["doctor", "--data", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"✗ flow-log days: no flow-log file for 2026-11-21 in {ACCOUNT}/{REGION}" in out
    assert "MISSING_FLOW_LOGS" in out
