"""The embedded engine's Athena API shapes and its errors."""

import gzip

import pytest

from albrecon.local.athena import AthenaEngine, AthenaError

FLOW_DDL = """CREATE EXTERNAL TABLE IF NOT EXISTS `db`.`flows` (`interface_id` string, `bytes` bigint, `start` bigint)
PARTITIONED BY (`date` date)
ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '
LOCATION 's3://bucket/logs/'
TBLPROPERTIES ("skip.header.line.count"="1")"""


@pytest.fixture
def engine(tmp_path):
    folder = tmp_path / "s3" / "bucket" / "logs" / "2026" / "11" / "20"
    folder.mkdir(parents=True)
    lines = "interface-id bytes start\n" + "".join(
        f"eni-0000000{i} {i * 10} 1795132800\n" for i in range(1, 6)
    )
    (folder / "a.log.gz").write_bytes(gzip.compress(lines.encode()))
    (folder / "_SUCCESS").write_text("not data: names starting with _ are skipped, as Athena does")
    engine = AthenaEngine(tmp_path)
    assert engine.execute("CREATE DATABASE db").state == "SUCCEEDED"
    assert engine.execute(FLOW_DDL).state == "SUCCEEDED"
    ddl = "ALTER TABLE db.flows ADD IF NOT EXISTS PARTITION (`date`='2026-11-20') LOCATION 's3://bucket/logs/2026/11/20/'"
    assert engine.execute(ddl).state == "SUCCEEDED"
    return engine


def test_results_pages_header_first_then_strings(engine):
    query_id = engine.execute(
        "SELECT interface_id, bytes FROM db.flows WHERE \"date\" = DATE '2026-11-20' ORDER BY bytes"
    ).query_execution_id
    first = engine.get_query_results(QueryExecutionId=query_id, MaxResults=3)
    assert [[d["VarCharValue"] for d in row["Data"]] for row in first["ResultSet"]["Rows"]] == [
        ["interface_id", "bytes"],
        ["eni-00000001", "10"],
        ["eni-00000002", "20"],
    ]
    assert [c["Type"] for c in first["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]] == ["varchar", "bigint"]
    second = engine.get_query_results(QueryExecutionId=query_id, MaxResults=3, NextToken=first["NextToken"])
    assert len(second["ResultSet"]["Rows"]) == 3 and "NextToken" not in second


def test_execution_shape_and_statistics(engine):
    record = engine.execute("SELECT count(*) AS n FROM db.flows WHERE \"date\" = DATE '2026-11-20'")
    execution = engine.get_query_execution(QueryExecutionId=record.query_execution_id)["QueryExecution"]
    assert execution["Status"]["State"] == "SUCCEEDED" and execution["StatementType"] == "DML"
    assert execution["Statistics"]["DataScannedInBytes"] > 0
    assert record.rows == [(5,)]


def test_nulls_have_no_varchar_value(engine):
    query_id = engine.execute("SELECT CAST(NULL AS varchar) AS nothing").query_execution_id
    rows = engine.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
    assert rows[1]["Data"] == [{}]


@pytest.mark.parametrize(
    "sql,kind",
    [
        ("SELECT * FROM db.nope", "TABLE_NOT_FOUND"),
        ("SELEC 1", "SYNTAX_ERROR"),
        ("SELECT 1; SELECT 2", "SYNTAX_ERROR"),
        ("", "SYNTAX_ERROR"),
        ("CREATE EXTERNAL TABLE `nodb`.`t` (`x` int) LOCATION 's3://b/p/'", "SCHEMA_NOT_FOUND"),
        ("CREATE EXTERNAL TABLE `db`.`t` (`x` map<string,string>) LOCATION 's3://b/p/'", "NOT_SUPPORTED"),
        ("ALTER TABLE db.flows ADD PARTITION (`day`='2026-11-20')", "SYNTAX_ERROR"),
        ("ALTER TABLE db.flows ADD PARTITION (`date`='2026-11-20')", "AlreadyExistsException"),
        ("DELETE FROM db.flows", "NOT_SUPPORTED"),
    ],
)
def test_failures_have_athena_error_types(engine, sql, kind):
    if "ADD PARTITION (`date`" in sql:
        engine.execute(sql.replace("ADD PARTITION", "ADD IF NOT EXISTS PARTITION"))
    record = engine.execute(sql)
    assert record.state == "FAILED"
    assert str(record.error).startswith(kind)
    status = engine.get_query_execution(QueryExecutionId=record.query_execution_id)["QueryExecution"][
        "Status"
    ]
    assert status["AthenaError"]["ErrorMessage"].startswith(kind)


def test_unreadable_file_fails_the_query_clearly(engine, tmp_path):
    (tmp_path / "s3" / "bucket" / "logs" / "2026" / "11" / "20" / "broken.log.gz").write_bytes(
        b"\x1f\x8b not gzip"
    )
    record = engine.execute("SELECT sum(bytes) FROM db.flows WHERE \"date\" = DATE '2026-11-20'")
    assert record.state == "FAILED"
    assert "broken.log.gz" in str(record.error) or "gzip" in str(record.error).lower()


def test_results_of_a_failed_query_are_refused(engine):
    query_id = engine.execute("SELEC 1").query_execution_id
    with pytest.raises(AthenaError, match="Current state: FAILED"):
        engine.get_query_results(QueryExecutionId=query_id)


def test_unpartitioned_reads_are_flagged(engine):
    record = engine.execute("SELECT count(*) FROM db.flows")
    assert record.unpruned_tables == ["db.flows"] and record.rows == [(5,)]


def test_queries_in_two_threads_run_at_once_each_over_its_own_tables(engine, tmp_path, monkeypatch):
    """As on Athena, the night's flow-log and CUR queries run concurrently; each thread's views
    of the catalog's files are its own (both queries bind their table as `__athena_0`)."""
    import threading

    from sqlglot import exp

    folder = tmp_path / "s3" / "bucket" / "other" / "2026" / "11" / "20"
    folder.mkdir(parents=True)
    (folder / "b.log.gz").write_bytes(gzip.compress(b"interface-id bytes start\neni-09999999 7 1795132800\n"))
    assert engine.execute(FLOW_DDL.replace("flows", "others").replace("logs/", "other/")).state == "SUCCEEDED"
    ddl = "ALTER TABLE db.others ADD PARTITION (`date`='2026-11-20') LOCATION 's3://bucket/other/2026/11/20/'"
    assert engine.execute(ddl).state == "SUCCEEDED"

    both_bound = threading.Barrier(2, timeout=10)
    original_sql = exp.Expression.sql

    def sql_once_both_are_bound(self, dialect=None, **options):  # the engine's last step before DuckDB
        whole_query = isinstance(self, exp.Query) and self.parent is None
        if dialect == "duckdb" and whole_query and threading.current_thread().name.startswith("query-"):
            both_bound.wait()
        return original_sql(self, dialect=dialect, **options)

    monkeypatch.setattr(exp.Expression, "sql", sql_once_both_are_bound)
    answers = {}

    def query(table: str) -> None:
        record = engine.execute(f"SELECT sum(bytes) AS b FROM db.{table} WHERE \"date\" = DATE '2026-11-20'")
        answers[table] = (record.state, record.rows)

    threads = [threading.Thread(target=query, args=(t,), name=f"query-{t}") for t in ("flows", "others")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == {"flows": ("SUCCEEDED", [(150,)]), "others": ("SUCCEEDED", [(7,)])}


def _projected_table(**parameters: str):
    from albrecon.local.athena import TableDef

    return TableDef(
        database="db",
        name="history",
        columns=[("load_balancer", "string"), ("flow_log_bytes", "bigint")],
        partition_keys=[("date", "string")],
        location="s3://bucket/history/",
        storage="json",
        parameters={
            "projection.enabled": "true",
            "projection.date.type": "date",
            "projection.date.format": "yyyy-MM-dd",
            "projection.date.range": "2026-11-01,NOW",
            "projection.date.interval": "1",
            "projection.date.interval.unit": "DAYS",
            "storage.location.template": "s3://bucket/history/date=${date}/",
        }
        | parameters,
    )


def test_a_projected_table_reads_the_days_its_template_names_and_prunes_the_others(tmp_path):
    """Partition projection (athena/latest/ug/partition-projection.html): no partition is added;
    a `date` filter reads that day's folder only."""
    engine = AthenaEngine(tmp_path)
    engine.execute("CREATE DATABASE db")
    for day, rows in {"2026-11-20": [("a", 1), ("b", 2)], "2026-11-21": [("a", 5)]}.items():
        folder = tmp_path / "s3" / "bucket" / "history" / f"date={day}"
        folder.mkdir(parents=True)
        text = "".join(f'{{"load_balancer":"{n}","flow_log_bytes":{b}}}\n' for n, b in rows)
        (folder / "results.json.gz").write_bytes(gzip.compress(text.encode()))
    engine.register_table(_projected_table())
    every = engine.execute('SELECT "date", load_balancer, flow_log_bytes FROM db.history ORDER BY 1, 2')
    assert every.rows == [("2026-11-20", "a", 1), ("2026-11-20", "b", 2), ("2026-11-21", "a", 5)]
    one = engine.execute("SELECT sum(flow_log_bytes) FROM db.history WHERE \"date\" = '2026-11-21'")
    assert one.rows == [(5,)] and 0 < one.data_scanned_bytes < every.data_scanned_bytes


@pytest.mark.parametrize(
    ("parameters", "kind"),
    [
        ({"storage.location.template": "s3://bucket/history/"}, "INVALID_TABLE_PROPERTY"),
        ({"projection.date.format": "yyyy-MM-dd'T'"}, "NOT_SUPPORTED"),
        ({"projection.date.interval.unit": "HOURS"}, "NOT_SUPPORTED"),
        ({"projection.date.range": "yesterday"}, "INVALID_TABLE_PROPERTY"),
    ],
)
def test_a_projection_the_engine_cannot_follow_is_refused_when_the_table_is_made(tmp_path, parameters, kind):
    engine = AthenaEngine(tmp_path)
    engine.execute("CREATE DATABASE db")
    with pytest.raises(AthenaError) as refused:
        engine.register_table(_projected_table(**parameters))
    assert refused.value.kind == kind
