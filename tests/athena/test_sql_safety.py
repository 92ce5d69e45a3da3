"""Every template parses; nothing user-controlled reaches SQL unvalidated."""

import re
from datetime import date

import pytest
import sqlglot
from sqlglot import exp

from alb_egress import sql_render, statements
from alb_egress.flowlog_format import InvalidFlowLogFormat
from alb_egress.settings import InvalidSettings, Settings
from albrecon.local.athena import AthenaEngine

BASE = {
    "FlowLogsBucket": "flow-logs",
    "CurBucket": "cur-reports",
    "CurReportName": "hourly",
    "AccountId": "123456789012",
    "Region": "us-east-1",
    "ResultsBucket": "albrecon-results",
}
DAY = date(2026, 11, 20)


def all_statements(settings):
    return {
        "create_flow_logs_table": statements.create_flow_logs_table(settings),
        "create_cur_table": statements.create_cur_table(settings),
        "create_enis_table": statements.create_enis_table(settings),
        "add_flow_logs_partitions": statements.add_flow_logs_partitions(
            settings, DAY, [("123456789012", "us-east-1"), ("210987654321", "eu-west-1")]
        )[0],
        "add_cur_partition": statements.add_cur_partition(settings, DAY),
        "add_enis_partition": statements.add_enis_partition(settings, DAY),
        "flow_log_egress_query": statements.flow_log_egress_query(settings, DAY),
        "cur_usage_query": statements.cur_usage_query(settings, DAY),
        "cur_freshness_query": statements.cur_freshness_query(settings, DAY),
        "create_cur_status_table": statements.create_cur_status_table(settings),
        "cur_status_query": statements.cur_status_query(settings),
    }


VARIANTS = [
    {},
    {"CurFormat": "cur2", "FlowLogsFileFormat": "parquet", "FlowLogsPrefix": "a/b", "CurPrefix": "x"},
    {"FlowLogsHiveCompatiblePartitions": "true", "FlowLogsPerHourPartition": "true"},
]


def test_every_template_is_used_by_some_variant():
    used = set()
    for variant in VARIANTS:
        settings = Settings.from_mapping(BASE | variant)
        for sql in all_statements(settings).values():
            for name in sql_render.template_names():
                if sql_render.template_text(name).split("{{")[0] in sql:
                    used.add(name)
    assert used == set(sql_render.template_names())


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_statement_parses_in_athenas_dialect(variant):
    settings = Settings.from_mapping(BASE | variant)
    for name, sql in all_statements(settings).items():
        if name.startswith("add_"):
            # sqlglot reads Hive's ALTER TABLE ... ADD PARTITION only as a raw command;
            # the embedded engine parses it strictly (test below).
            assert isinstance(sqlglot.parse_one(sql, read="athena"), exp.Alter | exp.Command)
            continue
        parsed = sqlglot.parse_one(sql, read="athena")
        assert isinstance(parsed, exp.Create | exp.Select), name
        assert sqlglot.transpile(sql, read="athena", write="duckdb")


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_statement_runs_on_the_engine(tmp_path, variant):
    settings = Settings.from_mapping(BASE | variant)
    engine = AthenaEngine(tmp_path)
    engine.execute(f"CREATE DATABASE {settings.database}")
    for name, sql in all_statements(settings).items():
        record = engine.execute(sql)
        assert record.state == "SUCCEEDED", (name, record.error)


@pytest.mark.parametrize(
    "override",
    [
        {"FlowLogsBucket": "flow-logs' --"},
        {"FlowLogsBucket": "Flow_Logs"},
        {"FlowLogsPrefix": "logs'; DROP TABLE x; --"},
        {"FlowLogsPrefix": "a//b"},
        {"FlowLogsPrefix": "a b"},
        {"CurReportName": "hourly'"},
        {"CurReportName": "a/b"},
        {"AccountId": "1234"},
        {"Region": "us-east-1'"},
        {"CurFormat": "csv"},
        {"TrafficPaths": "2,8) OR (1=1"},
        {"TrafficPaths": "9"},
        {"TolerancePercent": "-1"},
        {"MinDeltaGB": "nan'"},
        {"LoadBalancerNames": "a,b' OR '1"},
        {"AthenaDatabase": "db`; DROP"},
        {"FlowLogsTable": "Flow-Logs"},
        {"CurBucket": ""},
    ],
)
def test_hostile_settings_are_rejected(override):
    with pytest.raises(InvalidSettings):
        Settings.from_mapping(BASE | override)


@pytest.mark.parametrize(
    "fmt",
    [
        "${version} ${interface-id}",  # lacks what the reconciliation reads
        "${version} ${bytes}'; DROP TABLE x; -- ${interface-id}",
        "${version} ${version} ${account-id} ${interface-id} ${bytes} ${start} ${action} ${log-status} "
        "${flow-direction} ${traffic-path}",
        "${nonsense}",
    ],
)
def test_bad_flow_log_formats_are_rejected(fmt):
    with pytest.raises(InvalidFlowLogFormat):
        Settings.from_mapping(BASE | {"FlowLogFormat": fmt})


@pytest.mark.parametrize(
    "pairs",
    [
        [("123456789012' OR '1", "us-east-1")],
        [("123456789012", "us-east-1') --")],
        [("1234", "us-east-1")],
        [],
    ],
)
def test_hostile_partition_values_never_become_sql(pairs):
    settings = Settings.from_mapping(BASE)
    with pytest.raises(sql_render.UnsafeSqlValue):
        statements.add_flow_logs_partitions(settings, DAY, pairs) or sql_render.partition_specs([])


@pytest.mark.parametrize(
    "override",
    [
        {"Accounts": "123456789012,12345"},
        {"Accounts": "all"},
        {"Regions": "us-east-1,mars-1"},
        {"Regions": "*,x"},
    ],
)
def test_hostile_scope_is_rejected(override):
    with pytest.raises(InvalidSettings):
        Settings.from_mapping(BASE | override)


def test_raw_strings_are_refused_by_the_renderer():
    with pytest.raises(sql_render.UnsafeSqlValue):
        sql_render.render("cur_freshness", table='"db"."t"', billing_period=sql_render.SqlFragment("TRUE"))
    with pytest.raises(sql_render.UnsafeSqlValue):
        sql_render.render("cur_freshness", table=sql_render.qualified("db", "t"))  # missing placeholder
    with pytest.raises(sql_render.UnsafeSqlValue):
        sql_render.template_text("../../etc/passwd")


@pytest.mark.parametrize(
    "make",
    [
        lambda: sql_render.identifier('x"; DROP'),
        lambda: sql_render.integer("1; DROP"),
        lambda: sql_render.integer(True),
        lambda: sql_render.date_literal("2026-11-20' OR '1"),
        lambda: sql_render.s3_location("bucket", "a'b"),
        lambda: sql_render.s3_location("Bad Bucket"),
        lambda: sql_render.column_definitions([("bytes", "bigint); DROP TABLE x; --")]),
    ],
)
def test_validators_reject(make):
    with pytest.raises(sql_render.UnsafeSqlValue):
        make()


def test_query_text_does_not_grow_with_enis_and_partition_statements_stay_small():
    """The egress query joins the day's ENI table: its text is the same for 1 or 20,000 ENIs. Many
    accounts and regions give several partition statements, each far below Athena's limit."""
    settings = Settings.from_mapping(BASE | {"FlowLogsPerHourPartition": "true"})
    assert not re.search(r"eni-[0-9a-f]", statements.flow_log_egress_query(settings, DAY))
    pairs = [(f"{a:012d}", r) for a in range(1, 101) for r in ("us-east-1", "eu-west-1")]
    chunks = statements.add_flow_logs_partitions(settings, DAY, pairs)
    assert len(chunks) == -(-200 * 25 // statements.PARTITIONS_PER_STATEMENT)
    assert max(len(c.encode()) for c in chunks) < sql_render.ATHENA_MAX_QUERY_BYTES // 8


@pytest.mark.parametrize("per_hour", ["true", "false"])
def test_each_partition_group_of_findenis_is_one_statement(per_hour):
    settings = Settings.from_mapping(BASE | {"FlowLogsPerHourPartition": per_hour})
    pairs = [(f"{a:012d}", r) for a in range(1, 61) for r in ("us-east-1", "eu-west-1")]
    groups = statements.partition_groups(settings, pairs + pairs[:5])  # repeats are one pair
    assert sorted(tuple(p) for g in groups for p in g) == sorted(pairs) and len(groups) > 1
    for group in groups:
        assert len(statements.add_flow_logs_partitions(settings, DAY, [tuple(p) for p in group])) == 1
