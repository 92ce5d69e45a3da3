"""What `pip install .` (or `pipx install .`) gives a user: the wheel holds every verb's code and the
stack the local runtime runs (template, definition, SQL, handlers), found through
importlib.resources - not through a source checkout. The wheel is built and installed into a
folder of its own, and the installed copy (not this checkout) generates and reconciles a day."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def _wheel_installed(root: Path, project: Path, *build_options: str) -> Path:
    """The project's wheel built into root/wheel and installed alone into root/site."""
    pip = [sys.executable, "-m", "pip"]
    wheels = root / "wheel"
    subprocess.run(
        [*pip, "wheel", "--quiet", "--no-deps", *build_options, "-w", str(wheels), str(project)],
        check=True,
        capture_output=True,
    )
    [wheel] = wheels.glob("*.whl")
    subprocess.run(
        [*pip, "install", "--quiet", "--no-deps", "--target", str(root / "site"), str(wheel)],
        check=True,
        capture_output=True,
    )
    return root


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    return _wheel_installed(tmp_path_factory.mktemp("installed"), REPO)


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
    assert where.returncode == 0 and where.stdout.strip().endswith("(alb-egress-reconciliation)"), (
        where.stderr
    )
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


# ---- the stack-only install (packaging/stack-only): what operating a deployed stack needs, no more

# modules of the embedded engine, its AWS and the plotting: none may be a requirement of it
ENGINE_AND_PLOTTING = ("duckdb", "sqlglot", "moto", "pyarrow", "numpy", "matplotlib", "aws-sam-translator")


def _requirements(texts) -> dict[str, Requirement]:
    return {canonicalize_name(r.name): r for r in map(Requirement, texts)}


@pytest.fixture(scope="module")
def stack_only(tmp_path_factory) -> Path:
    # no build isolation: hatchling comes from this environment (the dev extras), not a download
    return _wheel_installed(
        tmp_path_factory.mktemp("stack-only"), REPO / "packaging" / "stack-only", "--no-build-isolation"
    )


def test_the_stack_only_install_requires_no_engine_and_nothing_the_whole_tool_does_not(stack_only):
    [wheel] = (stack_only / "wheel").glob("*.whl")
    archive = zipfile.ZipFile(wheel)
    [metadata] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    required = _requirements(
        line.removeprefix("Requires-Dist: ")
        for line in archive.read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist: ")
    )
    base = {name: r for name, r in required.items() if not r.marker}
    assert base and not set(base) & set(map(canonicalize_name, ENGINE_AND_PLOTTING))
    whole = _requirements(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"])
    for name, requirement in required.items():  # the same specifiers as the whole tool's: no drift
        assert name in whole and requirement.specifier == whole[name].specifier, requirement
        assert requirement.extras <= whole[name].extras, requirement
    assert {"albrecon/cli.py", "aws_adapters/results_table.py", "alb_egress/reconcile.py"} <= set(
        archive.namelist()
    )


# run as if the engine and the plotting were not installed: any import of them fails as it would there
_WITHOUT_ENGINE = """
import importlib.abc, sys
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition('.')[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Absent())
from albrecon.cli import entry; sys.argv[0] = 'albrecon'; entry()
"""


def _stack_only_albrecon(stack_only: Path, *args: str) -> subprocess.CompletedProcess:
    blocked = {"duckdb", "sqlglot", "moto", "pyarrow", "numpy", "matplotlib", "yaml", "samtranslator"}
    env = {
        **os.environ,
        "PYTHONPATH": str(stack_only / "site"),
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "AWS_PROFILE": "",
    }
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_ENGINE.format(blocked=blocked), *args],
        cwd=stack_only,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_stack_only_install_operates_a_stack_and_names_what_it_leaves_out(stack_only):
    version = _stack_only_albrecon(stack_only, "--version")
    assert version.returncode == 0, version.stderr
    whole = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]  # one version
    assert version.stdout.strip() == f"albrecon {whole} (alb-egress-reconciliation-stack)"
    for verb in ("run", "backfill", "history", "doctor", "report"):
        helped = _stack_only_albrecon(stack_only, verb, "--help")
        assert helped.returncode == 0 and "--stack" in helped.stdout, (verb, helped.stderr)
    out = stack_only / "demo"
    for args, part in (
        (("demo", "--out", str(out)), "the local runtime"),
        (("generate", "--out", str(out), "--date", "2026-11-20"), "the local runtime"),
        (("local", "--data", str(out), "--date", "2026-11-20"), "the local runtime"),
        (
            ("report", "--data", str(out), "--from", "2026-11-20", "--to", "2026-11-20", "--out", "r.html"),
            "plotting",
        ),
    ):
        refused = _stack_only_albrecon(stack_only, *args)
        assert refused.returncode == 2, (args, refused.stderr)
        [line] = refused.stderr.strip().splitlines()
        assert "Traceback" not in refused.stderr and part in line and "pipx install ." in line, line
