"""The local stack's memory between runs: ``DIR/.albrecon/store.sqlite``.

The embedded AWS (moto) lives in memory and starts empty in every process. What a deployed stack
keeps between nights - the ENI inventory, the results, which CloudTrail events it has already
received - is kept here, in SQLite, so that a person can open it too (``sqlite3`` and any SQL
tool). The pipeline itself still runs against the embedded DynamoDB; this store loads the
inventory into it before a run and takes the day's results out of it after, replacing that day's
rows as the results table does on AWS.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from aws_adapters.results_table import plain_item

STORE_FOLDER = ".albrecon"
STORE_FILE = "store.sqlite"
# Columns a person can query directly; `item` holds the whole result as the results table has it.
_RESULT_COLUMNS = (
    "date",
    "load_balancer_arn",
    "load_balancer",
    "account_id",
    "region",
    "status",
    "flow_log_gb",
    "cur_gb",
    "delta_gb",
    "delta_pct",
    "cur_unblended_cost",
)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS results (
    {", ".join(f"{c} {'REAL' if c.endswith(('_gb', '_pct', '_cost')) else 'TEXT'}" for c in _RESULT_COLUMNS)},
    item TEXT NOT NULL,
    PRIMARY KEY (date, load_balancer_arn)
);
CREATE INDEX IF NOT EXISTS results_by_load_balancer ON results (load_balancer, date);
CREATE TABLE IF NOT EXISTS runs (
    date TEXT PRIMARY KEY, execution_status TEXT NOT NULL, error TEXT, cause TEXT,
    problems TEXT NOT NULL, finished_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS inventory (
    eni_id TEXT PRIMARY KEY, load_balancer_name TEXT, account_id TEXT, region TEXT,
    created_at TEXT, deleted_at TEXT, dynamodb_item TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS received_events (event_key TEXT PRIMARY KEY);
"""


class LocalStore:
    """Results (the `ResultsSource` interface of albrecon.results), inventory and received events."""

    def __init__(self, data_dir: Path) -> None:
        folder = Path(data_dir) / STORE_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / STORE_FILE
        self._db = sqlite3.connect(self.path)
        self._db.executescript(_SCHEMA)

    @classmethod
    def existing(cls, data_dir: Path) -> LocalStore:
        """The store of a data directory that has been reconciled (history and report read it)."""
        if not (Path(data_dir) / STORE_FOLDER / STORE_FILE).is_file():
            raise FileNotFoundError(
                f"no local results in {data_dir}: reconcile days first, "
                f"e.g. `albrecon local --data {data_dir} --from YYYY-MM-DD --to YYYY-MM-DD`"
            )
        return cls(data_dir)

    def close(self) -> None:
        self._db.close()

    # ------------------------------------------------------------------ results
    def _items(self, sql: str, *arguments: str) -> list[dict]:
        return [json.loads(row[0]) for row in self._db.execute(sql, arguments)]

    def items_of_day(self, day: str) -> list[dict]:
        return self._items("SELECT item FROM results WHERE date = ? ORDER BY load_balancer_arn", day)

    def items_of_load_balancer(self, name: str, since: str) -> list[dict]:
        return self._items(
            "SELECT item FROM results WHERE load_balancer = ? AND date >= ? ORDER BY date, load_balancer_arn",
            name,
            since,
        )

    def stored_days(self) -> tuple[str, str] | None:
        """The first and last day with results, if any."""
        first, last = self._db.execute("SELECT min(date), max(date) FROM results").fetchone()
        return (first, last) if first else None

    def replace_day(self, day: str, items: list[dict], run: dict) -> None:
        """The day's results as the stack's table holds them after a run; earlier rows of the day go."""
        if any(item["date"] != day for item in items):
            raise ValueError(f"an item of another day given for {day}")
        with self._db:
            self._db.execute("DELETE FROM results WHERE date = ?", (day,))
            self._db.executemany(
                f"INSERT INTO results ({', '.join(_RESULT_COLUMNS)}, item) "
                f"VALUES ({', '.join('?' * (len(_RESULT_COLUMNS) + 1))})",
                [(*(item.get(c) for c in _RESULT_COLUMNS), json.dumps(item)) for item in items],
            )
            self._db.execute(
                "INSERT OR REPLACE INTO runs (date, execution_status, error, cause, problems) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    day,
                    run["execution_status"],
                    run.get("error"),
                    run.get("cause"),
                    json.dumps(run["problems"]),
                ),
            )

    # ------------------------------------------------------------------ inventory and events
    def inventory_items(self) -> list[dict]:
        """The inventory's items in DynamoDB's typed JSON, ready for BatchWriteItem."""
        return [json.loads(row[0]) for row in self._db.execute("SELECT dynamodb_item FROM inventory")]

    def save_inventory(self, typed_items: list[dict]) -> None:
        rows = []
        for typed in typed_items:
            item = plain_item(typed)
            rows.append(
                (
                    item["eni_id"],
                    item.get("load_balancer_name"),
                    item.get("account_id"),
                    item.get("region"),
                    item.get("created_at"),
                    item.get("deleted_at"),
                    json.dumps(typed),
                )
            )
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO inventory VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def received_event_keys(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT event_key FROM received_events")}

    def mark_received(self, keys: list[str]) -> None:
        with self._db:
            self._db.executemany("INSERT OR IGNORE INTO received_events VALUES (?)", [(k,) for k in keys])
