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


LOCK_FILE = "lock"


class StoreError(ValueError):
    """The store cannot be used as it is: said in one line, before any run starts."""


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]  # our own table names


class LocalStore:
    """Results (the `ResultsSource` interface of albrecon.results), inventory and received events.

    One process at a time per data directory (an exclusive lock on ``.albrecon/lock``): two runs
    each write back their whole inventory, so the later would drop the earlier's updates - and
    events it marked received would never be replayed again."""

    def __init__(self, data_dir: Path, writer: bool = True) -> None:
        folder = Path(data_dir) / STORE_FOLDER
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create {folder}: {error.strerror}") from None
        self.path = folder / STORE_FILE
        self._lock = self._locked(folder / LOCK_FILE) if writer else None
        try:
            self._db = sqlite3.connect(self.path)
            self._check(writer)
        except sqlite3.DatabaseError as error:
            self.close()
            raise StoreError(
                f"{self.path} cannot be used ({error}): move it away to start a new history"
                " (it is an SQLite file; `sqlite3` can read what is left of it)"
            ) from None
        except StoreError:
            self.close()
            raise

    @staticmethod
    def _locked(path: Path):
        import fcntl
        import os

        handle = open(path, "a+")  # noqa: SIM115 - held open for the store's life: the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StoreError(
                f"{path.parent.parent} is in use by another albrecon run (pid {holder}): wait for it"
                " to end - two runs on one data directory would lose each other's inventory updates"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        return handle

    def _check(self, writer: bool) -> None:
        """Every problem the store could end a run with, found before the run: not an SQLite file
        (corrupt, truncated), tables of another layout, a file or folder it cannot write."""
        existing = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        expected = {"results": [*_RESULT_COLUMNS, "item"]}
        for table, columns in expected.items():
            found = _columns(self._db, table) if table in existing else columns
            if found != columns:
                raise StoreError(
                    f"{self.path} holds a {table} table of another release ({', '.join(found)}):"
                    " move it away to start a new history"
                )
        if writer:
            try:
                self._db.execute("BEGIN IMMEDIATE")  # takes the write lock: fails now if it cannot
                self._db.executescript(_SCHEMA)  # commits
            except sqlite3.OperationalError as error:
                raise StoreError(f"{self.path} cannot be written ({error}): check its permissions") from None

    @classmethod
    def existing(cls, data_dir: Path) -> LocalStore:
        """The store of a data directory that has been reconciled (history and report read it)."""
        if not (Path(data_dir) / STORE_FOLDER / STORE_FILE).is_file():
            raise FileNotFoundError(
                f"no local results in {data_dir}: reconcile days first, "
                f"e.g. `albrecon local --data {data_dir} --from YYYY-MM-DD --to YYYY-MM-DD`"
            )
        return cls(data_dir, writer=False)

    def close(self) -> None:
        if getattr(self, "_db", None) is not None:
            self._db.close()
            self._db = None
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None

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
