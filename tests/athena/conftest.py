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
RESULTS_BUCKET = "albrecon-results"
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
        self.settings = Settings.from_mapping(
            params | {"AccountId": spec.account, "Region": spec.region, "ResultsBucket": RESULTS_BUCKET}
        )
        self.engine = AthenaEngine(root)
        self.eni_alb = {e: arn for arn, lb in self.truth["load_balancers"].items() for e in lb["eni_ids"]}
        assert (
            self.engine.execute(f"CREATE DATABASE IF NOT EXISTS {self.settings.database}").state
            == "SUCCEEDED"
        )
        for ddl in (
            statements.create_flow_logs_table(self.settings),
            *statements.add_flow_logs_partitions(self.settings, spec.day, [(spec.account, spec.region)]),
            statements.create_cur_table(self.settings),
            statements.add_cur_partition(self.settings, spec.day),
            statements.create_enis_table(self.settings),
            statements.add_enis_partition(self.settings, spec.day),
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

    def write_enis(self, enis: list[str] | None = None) -> None:
        """The day's ENI table as FindEnis writes it (ENI -> its ALB per the ground truth)."""
        path = self.root / "s3" / RESULTS_BUCKET / statements.enis_key(self.spec.day)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [
            f"{e},{self.eni_alb.get(e, 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/0000000000000000')},{self.spec.account},{self.spec.region},,"
            for e in (self.alb_enis if enis is None else enis)
        ]
        path.write_text("".join(r + "\n" for r in rows))

    def egress(self, enis: list[str] | None = None) -> dict[str, tuple[int, int]]:
        """ALB ARN -> (internet egress bytes, SKIPDATA records) through the day's ENI table."""
        self.write_enis(enis)
        record = self.run(statements.flow_log_egress_query(self.settings, self.spec.day))
        at = {name: i for i, (name, _) in enumerate(record.columns)}
        sums: dict[str, tuple[int, int]] = {}
        for row in record.rows:  # one row per ENI and flow log; other ENIs' rows have no ALB
            if row[0] is None:
                continue
            egress, skipdata = sums.get(row[0], (0, 0))
            sums[row[0]] = (egress + row[at["egress_bytes"]], skipdata + row[at["skipdata_records"]])
        return sums

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
