"""The local store never loses what a user has: one writer per data directory, and a store that
cannot be used is a one-line error before anything runs (issue 23)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from albrecon.cli import main
from albrecon.generator.dataset import AlbSpec, DatasetSpec, generate
from albrecon.local.store import STORE_FILE, STORE_FOLDER, LocalStore, StoreError

DAY = date(2026, 3, 30)
FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def reconciled(tmp_path_factory):
    """A generated day, reconciled once: its store holds the day and the inventory."""
    data = tmp_path_factory.mktemp("store") / "data"
    generate(
        DatasetSpec(day=DAY, albs=[AlbSpec("web", "0123456789abcdef", enis=2)], records_per_day=2_000), data
    )
    assert main(["local", "--data", str(data), "--date", DAY.isoformat()]) == 0
    return data


def _copy(reconciled, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(reconciled, data)
    return data


def _local(capsys, data) -> tuple[int, str]:
    code = main(["local", "--data", str(data), "--date", DAY.isoformat()])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_second_run_on_a_data_directory_in_use_is_refused_and_a_late_event_is_kept(
    reconciled, tmp_path, capsys
):
    """Two runs each write their whole inventory back: the later would drop the earlier's updates,
    and the events it marked received would never be replayed. The second is refused, at once."""
    data = _copy(reconciled, tmp_path)
    holder = LocalStore(data)  # a run in progress
    try:
        code, said = _local(capsys, data)
    finally:
        holder.close()
    assert code == 2 and f"in use by another albrecon run (pid {os.getpid()})" in said
    # an event that arrives afterwards (the second run's reason to exist) is replayed by the next run
    late = json.loads((FIXTURES / "events" / "create_alb_eni.json").read_text())
    late_eni = late["detail"]["responseElements"]["networkInterface"]["networkInterfaceId"]
    (data / "events" / "zz-late.json").write_text(json.dumps([late]))
    code, said = _local(capsys, data)
    assert code == 0, said
    inventory = sqlite3.connect(data / STORE_FOLDER / STORE_FILE).execute("SELECT eni_id FROM inventory")
    assert late_eni in {row[0] for row in inventory}


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (
            lambda path: path.write_bytes(b"not a database at all" * 100),
            "cannot be used (file is not a database)",
        ),
        (lambda path: path.write_bytes(path.read_bytes()[:1500]), "cannot be used"),
        (
            lambda path: sqlite3.connect(path).executescript(
                "DROP TABLE results; CREATE TABLE results (date TEXT, arn TEXT, item TEXT);"
            ),
            "holds a results table of another release (date, arn, item)",
        ),
    ],
    ids=["corrupt", "truncated", "older-layout"],
)
def test_a_store_that_cannot_be_used_is_a_clear_error_before_the_run(
    reconciled, tmp_path, capsys, damage, said
):
    data = _copy(reconciled, tmp_path)
    damage(data / STORE_FOLDER / STORE_FILE)
    code, output = _local(capsys, data)
    assert code == 2 and said in output
    assert "Traceback" not in output and "SUCCEEDED" not in output  # nothing ran


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files: run as a user to see this")
def test_a_read_only_store_is_refused_before_the_run(reconciled, tmp_path, capsys):
    data = _copy(reconciled, tmp_path)
    (data / STORE_FOLDER / STORE_FILE).chmod(0o444)
    code, output = _local(capsys, data)
    assert code == 2 and "cannot be written" in output and "SUCCEEDED" not in output


def test_the_store_check_refuses_what_it_cannot_write(tmp_path):
    """As root (CI, this machine) file modes do not stop writes: a store whose file is a folder
    stands for every store SQLite cannot open for writing."""
    (tmp_path / STORE_FOLDER / STORE_FILE).mkdir(parents=True)
    with pytest.raises(StoreError, match="cannot be used"):
        LocalStore(tmp_path)
