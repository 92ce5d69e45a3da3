from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def load_event(name: str) -> dict:
    return json.loads((FIXTURES / "events" / f"{name}.json").read_text())


@pytest.fixture
def event():
    return load_event


@pytest.fixture
def local_aws():
    """The in-process AWS built from template.yaml (moto + in-process Lambdas)."""
    from albrecon.local.runtime import PLACEHOLDER_PARAMETERS, LocalAws

    with LocalAws(parameters=PLACEHOLDER_PARAMETERS, function_env={"POWERTOOLS_LOG_LEVEL": "WARNING"}) as aws:
        yield aws


def pytest_sessionfinish(session):
    """Under pytest-xdist each worker has its own ledger: it hands it to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        from albrecon.local import iam

        workeroutput["iam"] = {
            "known": {role: sorted(labels) for role, labels in iam.KNOWN_STATEMENTS.items()},
            "needed": {role: sorted(labels) for role, labels in iam.LEDGER.needed.items()},
        }


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook
def pytest_testnodedown(node, error):
    from albrecon.local import iam

    ledger = getattr(node, "workeroutput", {}).get("iam") or {}
    for role, labels in ledger.get("known", {}).items():
        iam.KNOWN_STATEMENTS[role].update(labels)
    for role, labels in ledger.get("needed", {}).items():
        iam.LEDGER.needed[role].update(labels)


def pytest_terminal_summary(terminalreporter):
    """Least privilege, measured: the statements of each role that no call of this session needed
    (the local IAM records which statements allowed which calls: albrecon/local/iam.py; with
    pytest-xdist, the workers' ledgers merged)."""
    from albrecon.local import iam

    report = iam.unexercised_report()
    if report:
        terminalreporter.write_sep("-", "local IAM: role statements no call of this session needed")
        for line in report:
            terminalreporter.write_line(line)
