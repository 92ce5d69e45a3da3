"""Benchmark: `albrecon local` on a day with nothing to read, as a fresh process each time.

A small generated data directory (two ALBs), reconciled for a day 60 days before its data: no ENI
of a watched ALB belongs to that day, so the run is startup, the state machine up to FindEnis and
teardown. Two ways: `--ephemeral` (every run replays the CloudTrail events into an empty
inventory) and with the data directory's store (events received once, inventory loaded from
DIR/.albrecon). Median of N, wall and CPU (user + system of the child).

Usage: .venv/bin/python benchmarks/empty_day.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from albrecon.generator.dataset import AlbSpec, DatasetSpec, generate

DAY = date(2026, 11, 1)
ALBRECON = Path(sys.executable).parent / "albrecon"


def timed(args: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        spec = DatasetSpec(
            day=DAY,
            albs=[
                AlbSpec("shop-frontend", "3f2b1c0d9e8a7b6c", 3),
                AlbSpec("payments-api", "9a8b7c6d5e4f3a2b"),
            ],
            records_per_day=2_000,
        )
        truth = generate(spec, data)
        empty = (DAY - timedelta(days=60)).isoformat()
        command = [str(ALBRECON), "local", "--data", str(data), "--date", empty]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # receives the events once
        for label, extra in (("ephemeral (replays the events)", ["--ephemeral"]), ("with the store", [])):
            runs = [timed(command + extra) for _ in range(args.repeat)]
            wall, cpu = (statistics.median(values) for values in zip(*runs, strict=True))
            print(
                f"{label:<32} {truth['cloudtrail_events']} events: median wall {wall:.2f} s, "
                f"CPU {cpu:.2f} s (of {args.repeat}, {os.cpu_count()} cores)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
