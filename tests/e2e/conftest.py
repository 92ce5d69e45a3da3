"""End-to-end: generated data, events replayed through the recorder, the real state machine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from albrecon.generator.dataset import AlbSpec, DatasetSpec, generate
from albrecon.pipeline import LocalPipeline

DAY = datetime.now(UTC).date() - timedelta(days=3)  # a past day the Plan accepts
ALBS = [
    AlbSpec("Test751", "0123456789abcdef", enis=3),  # billed as measured
    AlbSpec("Test7510", "fedcba9876543210", enis=2, cur_factor=1.10),  # billed 10 % more
]


class Scenario:
    def __init__(self, root: Path, truth: dict) -> None:
        self.root = root
        self.truth = truth

    def by_name(self) -> dict[str, dict]:
        return {lb["name"]: lb for lb in self.truth["load_balancers"].values()}

    def pipeline(self, timeout_scale: float = 1.0, **overrides: str) -> LocalPipeline:
        return LocalPipeline(
            self.root, parameter_overrides=overrides, retry_delay_scale=0.0, timeout_scale=timeout_scale
        )


@pytest.fixture
def scenario(tmp_path):
    def make(albs=None, **changes) -> Scenario:
        spec = DatasetSpec(day=DAY, albs=albs or ALBS, **({"records_per_day": 8_000} | changes))
        root = tmp_path / "data"
        return Scenario(root, generate(spec, root))

    return make


def results_by_name(run) -> dict[str, dict]:
    return {r["load_balancer"]: r for r in run.results}


def parameters(root: Path) -> dict:
    return json.loads((root / "parameters.json").read_text())
