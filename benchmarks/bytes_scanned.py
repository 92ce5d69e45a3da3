"""Benchmark: what the night's flow-log query reads, relative to the day's own files, per layout.

For each flow-log layout (daily or per-hour folders, plain or Hive-compatible names) and both
file formats (gzip text, Parquet), two generated days (D and D+1, each with its own traffic) are
reconciled for D by the whole local pipeline; the flow-log query's DataScannedInBytes (as the
embedded Athena counts it: the bytes of every file the query opens; the day's small ENI table
excluded) is compared with the size of D's own folder. Daily folders read D's folder and, of
D+1's, the files stamped before 01:00 (the query's "$path" ranges; before them, D+1's whole
folder: about 2x). Per-hour folders read D's 24 hours and D+1's first. The target is <= 1.1x.

Usage: .venv/bin/python benchmarks/bytes_scanned.py [--records 200000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

from alb_egress import statements
from alb_egress.settings import Settings
from albrecon.generator.dataset import AlbSpec, DatasetSpec, generate
from albrecon.pipeline import LocalPipeline

DAY = date(2026, 11, 20)
LAYOUTS = [
    ("daily", False, False),
    ("daily, Hive names", True, False),
    ("per-hour", False, True),
    ("per-hour, Hive names", True, True),
]


def measure(root: Path, records: int, hive: bool, per_hour: bool, file_format: str) -> tuple[int, int]:
    spec = DatasetSpec(
        day=DAY,
        albs=[
            AlbSpec("shop-frontend", "3f2b1c0d9e8a7b6c", 4),
            AlbSpec("payments-api", "9a8b7c6d5e4f3a2b", 3),
        ],
        days=2,  # D+1 carries its own day of traffic, as the folders of a real flow log do
        records_per_day=records,
        hive_partitions=hive,
        per_hour_partitions=per_hour,
        flow_logs_file_format=file_format,
    )
    truth = generate(spec, root)
    with LocalPipeline(root) as pipeline:
        run = pipeline.run(DAY.isoformat())
        assert run.report.status == "SUCCEEDED", run.report.describe()
        [query] = [r for r in pipeline.aws.athena.executions.values() if "egress_bytes" in r.query]
        results_bucket = pipeline.aws.ref("AthenaResultsBucket")
        stack_dir = pipeline.aws.athena.stack_dir
        enis = stack_dir / results_bucket / statements.enis_key(DAY)
        enis_bytes = enis.stat().st_size if enis.exists() else 0
    for arn, lb in truth["days"][DAY.isoformat()]["load_balancers"].items():
        assert {r["load_balancer_arn"]: r for r in run.results}[arn]["flow_log_bytes"] == lb["flow_log_bytes"]
    parameters = json.loads((root / "parameters.json").read_text())
    settings = Settings.from_mapping(
        parameters | {"AccountId": spec.account, "Region": spec.region, "ResultsBucket": "unused"}
    )
    folder = (root / "s3" / spec.flow_logs_bucket).joinpath(
        *statements.flow_logs_folder(settings, spec.account, spec.region, DAY)
    )
    own_day = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return query.data_scanned_bytes - enis_bytes, own_day


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    args = parser.parse_args()
    print(f"{'layout':<24} {'format':<8} {'D own files':>14} {'query read':>14} {'ratio':>6}")
    for label, hive, per_hour in LAYOUTS:
        for file_format in ("text", "parquet"):
            with tempfile.TemporaryDirectory() as folder:
                scanned, own_day = measure(Path(folder), args.records, hive, per_hour, file_format)
            print(f"{label:<24} {file_format:<8} {own_day:>14,} {scanned:>14,} {scanned / own_day:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
