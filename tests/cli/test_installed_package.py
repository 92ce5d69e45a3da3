"""What `pip install .` (or `pipx install .`) gives a user: the wheel holds every verb's code and the
stack the local runtime runs (template, definition, SQL, handlers), found through
importlib.resources - not through a source checkout. The wheel is built and installed into a
folder of its own, and the installed copy (not this checkout) generates and reconciles a day."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("installed")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(root / "wheel"), str(REPO)],
        check=True,
        capture_output=True,
    )
    [wheel] = (root / "wheel").glob("*.whl")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(root / "site"),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return root


def _albrecon(installed: Path, *args: str) -> subprocess.CompletedProcess:
    """The installed copy's console entry point, run from outside the checkout (its dependencies
    come from this environment: the wheel is installed without them)."""
    env = {**os.environ, "PYTHONPATH": str(installed / "site")}
    code = "import sys; from albrecon.cli import entry; sys.argv[0] = 'albrecon'; entry()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=installed,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_wheel_holds_the_stack_the_local_runtime_runs(installed):
    [wheel] = (installed / "wheel").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "albrecon/local/runtime.py",
        "albrecon/generator/dataset.py",
        "albrecon/stack/template.yaml",
        "albrecon/stack/member/template.yaml",
        "albrecon/stack/statemachine/reconcile.asl.json",
        "albrecon/stack/athena/flow_log_egress.sql",
        "albrecon/stack/functions/compare.py",
        "albrecon/stack/functions/alb_egress/sql/flow_log_records.sql",
        "alb_egress/sql/cur_usage.sql",
    ):
        assert needed in names, needed
    for sql in (REPO / "athena").glob("*.sql"):
        assert f"albrecon/stack/athena/{sql.name}" in names and f"alb_egress/sql/{sql.name}" in names


def test_the_installed_copy_generates_and_reconciles_a_day(installed):
    where = _albrecon(installed, "--version")
    assert where.returncode == 0 and where.stdout.strip(), where.stderr
    data = installed / "data"
    generated = _albrecon(
        installed, "generate", "--out", str(data), "--date", "2026-11-20", "--records", "3000"
    )
    assert generated.returncode == 0, generated.stderr
    run = _albrecon(installed, "local", "--data", str(data), "--date", "2026-11-20", "--json")
    assert run.returncode in (0, 1), run.stderr  # 1: something needs attention (the sample drifts)
    printed = json.loads(run.stdout)
    assert printed["execution_status"] == "SUCCEEDED" and printed["problems"] == []
    truth = json.loads((data / "ground-truth.json").read_text())
    expected = {lb["name"]: lb["flow_log_bytes"] for lb in truth["load_balancers"].values()}
    assert {r["load_balancer"]: r["flow_log_bytes"] for r in printed["results"]} == expected
    imported = subprocess.run(
        [sys.executable, "-c", "import albrecon.local.template as t; print(t.TEMPLATE_PATH)"],
        cwd=installed,
        env={**os.environ, "PYTHONPATH": str(installed / "site")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout.strip().startswith(str(installed / "site"))  # not this checkout's files


def test_a_closed_pipe_ends_quietly(installed):
    """`albrecon ... | head`: the reader goes away before the command writes; no BrokenPipeError
    traceback, and the shell's status for a command a pipe cut short."""
    env = {**os.environ, "PYTHONPATH": str(installed / "site")}
    code = "import sys; from albrecon.cli import entry; sys.argv[0] = 'albrecon'; entry()"
    args = ["generate", "--out", str(installed / "piped"), "--date", "2026-11-20", "--records", "500"]
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=installed,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # the reader is gone before the first line is written
    errors = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141, errors
    assert "Traceback" not in errors and "BrokenPipeError" not in errors
