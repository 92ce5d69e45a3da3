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


@pytest.fixture(autouse=True)
def _no_telemetry_lost(request):
    """AWS drops a function's logs or traces, silently, when its role may not write them: any test
    during which the local stack recorded such a loss fails (unless it strips the permission on
    purpose), so a missing AWSLambdaBasicExecutionRole or X-Ray statement fails the suite."""
    from albrecon.local import iam

    before = len(iam.LOST_TELEMETRY)
    yield
    lost = iam.LOST_TELEMETRY[before:]
    if lost and request.node.get_closest_marker("loses_telemetry") is None:
        pytest.fail(f"AWS would have lost telemetry (role may not deliver it): {sorted(set(lost))[:5]}")


@pytest.fixture
def local_aws():
    """The in-process AWS built from template.yaml (moto + in-process Lambdas)."""
    from albrecon.local.runtime import PLACEHOLDER_PARAMETERS, LocalAws

    with LocalAws(parameters=PLACEHOLDER_PARAMETERS, function_env={"POWERTOOLS_LOG_LEVEL": "WARNING"}) as aws:
        yield aws


# Roles whose statements the suite may leave unexercised, and why (the IAM gate below).
IAM_GATE_EXEMPT = {
    "DoubleRole": "tests/fixtures/mini: the state-machine test stack's own roles, not the product's",
    "EchoRole": "tests/fixtures/mini: as DoubleRole",
}


def pytest_addoption(parser):
    parser.addoption(
        "--iam-every-statement",
        action="store_true",
        help="fail the session when a statement of the product's roles was needed by no call"
        " (removing it would fail no test)",
    )


def pytest_sessionfinish(session):
    """Under pytest-xdist each worker has its own ledger: it hands it to the controller. The
    controller (or a plain session) then applies the IAM gate when asked to (make test does)."""
    from albrecon.local import iam

    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["iam"] = {
            "known": {role: sorted(labels) for role, labels in iam.KNOWN_STATEMENTS.items()},
            "needed": {role: sorted(labels) for role, labels in iam.LEDGER.needed.items()},
        }
        return
    if session.config.getoption("--iam-every-statement") and session.exitstatus == 0:
        session.config._iam_gate = _iam_gate_failures()
        if session.config._iam_gate:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _iam_gate_failures() -> list[str]:
    """Each statement of the product's roles was the only one allowing some call of the suite, so
    removing any one of them fails that call, and the test that made it."""
    from albrecon.local import iam

    return [line for line in iam.unexercised_report() if line.split(":", 1)[0] not in IAM_GATE_EXEMPT]


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
    if report and terminalreporter.config.getoption("--iam-every-statement"):
        terminalreporter.write_sep("-", "local IAM: role statements no call of this session needed")
        for line in report:
            exempt = IAM_GATE_EXEMPT.get(line.split(":", 1)[0])
            terminalreporter.write_line(f"{line}  (exempt: {exempt})" if exempt else line)
    gate = getattr(terminalreporter.config, "_iam_gate", None)
    if gate:
        terminalreporter.write_sep(
            "=", "IAM gate FAILED: a statement above would go unnoticed if removed", red=True
        )
