"""Generated datasets (small, exact ground truth) and the embedded engine with the pipeline's DDL applied."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from alb_egress import statements
from alb_egress.settings import Settings
from albrecon.generator.dataset import AlbSpec, DatasetSpec, generate
from albrecon.local.athena import AthenaEngine

DAY = date(2026, 11, 20)
BASE_SPEC = DatasetSpec(
    day=DAY,
    albs=[
        AlbSpec("Test751", "0123456789abcdef", enis=3),
        AlbSpec("Test7510", "fedcba9876543210", enis=2, cur_factor=1.1),
        AlbSpec("quiet-admin", "00000000000000aa", enis=2, weight=0.05),
    ],
    records_per_day=30_000,
    malformed_lines=4,
)


class Dataset:
    def __init__(self, root: Path, spec: DatasetSpec) -> None:
        self.root = root
        self.spec = spec
        self.truth = generate(spec, root)
        params = json.loads((root / "parameters.json").read_text())
        self.settings = Settings.from_mapping(params | {"AccountId": spec.account, "Region": spec.region})
        self.engine = AthenaEngine(root)
        assert (
            self.engine.execute(f"CREATE DATABASE IF NOT EXISTS {self.settings.database}").state
            == "SUCCEEDED"
        )
        for ddl in (
            statements.create_flow_logs_table(self.settings),
            statements.add_flow_logs_partitions(self.settings, spec.day),
            statements.create_cur_table(self.settings),
            statements.add_cur_partition(self.settings, spec.day),
        ):
            record = self.engine.execute(ddl)
            assert record.state == "SUCCEEDED", record.error

    @property
    def alb_enis(self) -> list[str]:
        return sorted(e for lb in self.truth["load_balancers"].values() for e in lb["eni_ids"])

    def run(self, sql: str):
        record = self.engine.execute(sql)
        assert record.state == "SUCCEEDED", record.error
        return record

    def egress(self, enis: list[str] | None = None) -> dict[str, tuple[int, int]]:
        sql = statements.flow_log_egress_query(self.settings, self.spec.day, enis or self.alb_enis)
        return {row[0]: (row[1], row[2]) for row in self.run(sql).rows}

    def cur(self) -> dict[str, tuple[float, float]]:
        sql = statements.cur_usage_query(self.settings, self.spec.day)
        return {row[0]: (row[1], row[2]) for row in self.run(sql).rows}


@pytest.fixture(scope="session")
def dataset(tmp_path_factory) -> Dataset:
    return Dataset(tmp_path_factory.mktemp("dataset"), BASE_SPEC)


@pytest.fixture(scope="session")
def make_dataset(tmp_path_factory):
    def make(**changes) -> Dataset:
        return Dataset(tmp_path_factory.mktemp("variant"), replace(BASE_SPEC, **changes))

    return make
