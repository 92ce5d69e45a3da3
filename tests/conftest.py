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
