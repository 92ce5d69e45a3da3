"""Reading a finished Athena query's rows (GetQueryResults, all pages)."""

from __future__ import annotations

from . import client


def rows(query_execution_id: str, athena=None) -> list[dict[str, str | None]]:
    """Data rows as dicts keyed by column name; the header row of the first page is skipped."""
    paginator = (athena or client("athena")).get_paginator("get_query_results")
    columns: list[str] | None = None
    result: list[dict[str, str | None]] = []
    for page in paginator.paginate(QueryExecutionId=query_execution_id):
        page_rows = page["ResultSet"]["Rows"]
        if columns is None:
            columns = [c["Name"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
            page_rows = page_rows[1:]  # the header
        result.extend(
            {name: datum.get("VarCharValue") for name, datum in zip(columns, row["Data"], strict=True)}
            for row in page_rows
        )
    return result
