"""The night's results as a table in Athena (ResultsHistoryTable): what Persist writes is what the
Glue table declares, a re-run replaces the day, and the README's query joining the results to the
CUR runs on the embedded Athena and agrees with the CUR's own files."""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from .conftest import DAY, results_by_name

pytestmark = pytest.mark.slow
D = DAY.isoformat()
README = Path(__file__).resolve().parents[2] / "README.md"


def athena_rows(pipeline, sql: str) -> list[dict]:
    """The query as an operator runs it: through the Athena API, in the stack's database and
    workgroup, every page of the result read."""
    athena = pipeline.aws.client("athena")
    query_id = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": pipeline.aws.ref("GlueDatabase")},
        WorkGroup=pipeline.aws.ref("AthenaWorkGroup"),
    )["QueryExecutionId"]
    status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
    assert status["State"] == "SUCCEEDED", status
    rows: list[list] = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
        rows += [[d.get("VarCharValue") for d in row["Data"]] for row in page["ResultSet"]["Rows"]]
    header, *data = rows
    return [dict(zip(header, row, strict=True)) for row in data]


def history_objects(pipeline) -> dict[str, list[dict]]:
    s3 = pipeline.aws.client("s3")
    bucket = pipeline.aws.ref("AthenaResultsBucket")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="history/").get("Contents", [])
    return {
        o["Key"]: [
            json.loads(line)
            for line in gzip.decompress(
                s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            ).splitlines()
        ]
        for o in listed
    }


def glue_columns(pipeline) -> dict[str, str]:
    """The table as the template put it in the catalog (the embedded engine holds the catalog)."""
    table = pipeline.aws.athena.tables[(pipeline.aws.ref("GlueDatabase").lower(), "alb_egress_results")]
    return dict(table.columns)


def test_the_results_table_holds_each_night_and_a_rerun_replaces_its_day(scenario):
    data = scenario()
    with data.pipeline() as pipeline:
        first = pipeline.run(D)
        assert first.report.status == "SUCCEEDED", first.report.describe()
        [(key, lines)] = history_objects(pipeline).items()
        assert key == f"history/date={D}/results.json.gz"
        # what Persist writes is what the table declares: no field Athena would not show, none missing
        assert {field for line in lines for field in line} == set(glue_columns(pipeline))
        rows = athena_rows(pipeline, f"SELECT * FROM alb_egress_results WHERE \"date\" = '{D}'")
        stored = results_by_name(first)
        assert {r["load_balancer"] for r in rows} == set(stored)
        for row in rows:
            result = stored[row["load_balancer"]]
            assert row["date"] == D and row["execution_arn"] == first.report.execution_arn
            assert int(row["flow_log_bytes"]) == result["flow_log_bytes"]
            assert float(row["cur_gb"]) == pytest.approx(result["cur_gb"])
            assert row["status"] == result["status"]
            assert row["egress_split"] == str(result["egress_split"]).lower()

        second = pipeline.run(D)  # the operator's re-run of the day
        assert second.report.status == "SUCCEEDED", second.report.describe()
        rows = athena_rows(
            pipeline,
            "SELECT load_balancer, execution_arn, count(*) AS n FROM alb_egress_results GROUP BY 1, 2",
        )
    assert sorted((r["load_balancer"], r["execution_arn"], r["n"]) for r in rows) == sorted(
        (name, second.report.execution_arn, "1") for name in stored
    )
    assert second.report.execution_arn != first.report.execution_arn


def readme_join_query() -> str:
    text = README.read_text()
    section = text[text.index("### The results in Athena, beside the CUR") :]
    return re.search(r"```sql\n(.*?)```", section, re.S).group(1)


def test_the_readme_query_joins_the_results_to_the_cur_and_agrees_with_its_files(scenario):
    data = scenario()
    with data.pipeline() as pipeline:
        run = pipeline.run(D)
        assert run.report.status == "SUCCEEDED", run.report.describe()
        engine = pipeline.aws.athena
        database = pipeline.aws.ref("GlueDatabase")
        # the stack's CUR table: CurTable (default cost_and_usage) and a hash of its definition
        [cur] = [
            t
            for (db, name), t in engine.tables.items()
            if db == database and re.fullmatch(r"cost_and_usage_[0-9a-f]{10}", name)
        ]
        month_start = DAY.replace(day=1)
        month_end = (month_start + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        sql = readme_join_query()
        for placeholder, value in {
            "<cur_table>": cur.name,
            "'2026-11-01'": f"'{month_start}'",
            "'2026-11-30'": f"'{month_end}'",
            "c.year = '2026'": f"c.year = '{DAY.year}'",
            "c.month = '11'": f"c.month = '{DAY.month}'",
        }.items():
            assert placeholder in sql, placeholder  # the README still shows what the test fills in
            sql = sql.replace(placeholder, value)
        rows = athena_rows(pipeline, sql)
        # what the CUR's own files bill each ALB on D: every line whose resource id is its ARN
        files = [
            str(file)
            for values, location in cur.partitions.items()
            if values[:2] == (str(DAY.year), str(DAY.month))
            for file in engine.local_path(location).rglob("*.parquet")
        ]
        assert files, cur.partitions
        lines = ds.dataset(files, format="parquet").to_table(
            columns=["line_item_resource_id", "line_item_usage_start_date", "line_item_unblended_cost"]
        )
        start = lines["line_item_usage_start_date"].cast("timestamp[us]")
        on_day = pc.and_(
            pc.greater_equal(start, datetime(DAY.year, DAY.month, DAY.day)),
            pc.less(start, datetime(DAY.year, DAY.month, DAY.day) + timedelta(days=1)),
        )
    billed: dict[str, float] = {}
    for arn, cost in zip(
        lines["line_item_resource_id"].filter(on_day).to_pylist(),
        lines["line_item_unblended_cost"].filter(on_day).to_pylist(),
        strict=True,
    ):
        billed[arn] = billed.get(arn, 0.0) + cost
    stored = results_by_name(run)
    assert [r["load_balancer"] for r in rows] == sorted(
        stored, key=lambda name: -billed[stored[name]["load_balancer_arn"]]
    )  # ORDER BY billed_alb_usd DESC
    for row in rows:
        result = stored[row["load_balancer"]]
        assert row["date"] == D and row["status"] == result["status"]
        assert float(row["measured_egress_gb"]) == pytest.approx(result["flow_log_gb"])
        assert float(row["billed_egress_gb"]) == pytest.approx(result["cur_gb"])
        assert float(row["billed_egress_usd"]) == pytest.approx(result["cur_unblended_cost"])
        assert float(row["billed_alb_usd"]) == pytest.approx(billed[result["load_balancer_arn"]])
        # every line of the ALB (hours, LCUs, credits), not only its egress
        assert float(row["billed_alb_usd"]) != pytest.approx(float(row["billed_egress_usd"]))
