"""Benchmark: the embedded engine's flow-log egress query vs a single `zcat | awk` pass.

One day of flow logs (default 5 M ALB records with start in the day, gzip text, AWS layout) is
generated once into benchmarks/data/. Then, over the same D and D+1 files:
- engine:   the pipeline's own DDL and `flow_log_egress` SQL (joined with the day's ENI table) on
            the embedded DuckDB engine;
- baseline: `zcat FILES | awk` applying the same filter with field comparisons only (ENIs, egress,
            traffic path, ACCEPT, OK, start in D) and summing bytes per ENI.
Both read what the night reads (D's files and D+1's stamped before 01:00). Both results are checked
against each other and the ground truth. Prints the times (best of N), MB/s of gzip input and
uncompressed text, the decompression floor (`zcat > /dev/null`), the engine's scan floor (the same
table over the same files, lines counted, nothing cast or summed: no query is faster on this engine)
and the ratio engine / baseline.

With --whole, the engine side is the whole `albrecon local` run instead (a fresh process:
import, embedded AWS, event replay, the state machine), timed as a user would time it; the
median of --repeat runs, wall and CPU (user + system of the child processes).

Usage: .venv/bin/python benchmarks/egress_query.py [--records 5000000] [--repeat 3] [--whole]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from alb_egress import sql_render, statements
from alb_egress.settings import Settings
from alb_egress.timeutil import day_epoch_bounds
from albrecon.generator.dataset import AlbSpec, DatasetSpec, generate
from albrecon.local.athena import AthenaEngine

DAY = date(2026, 11, 20)
# The simplest awk with the same filter: field comparisons only ("-" compares as a string and
# fails them, as a NULL does in SQL).
AWK = r"""
NR == FNR { wanted[$1] = 1; next }
$F_START >= DAY_START && $F_START < DAY_END && $F_DIR == "egress" && ($F_PATH == 2 || $F_PATH == 8) \
  { if ($F_ACTION == "ACCEPT" && $F_STATUS == "OK" && ($F_ENI in wanted)) sum[$F_ENI] += $F_BYTES }
END { for (e in sum) printf "%s %.0f\n", e, sum[e] }
"""


def dataset(root: Path, records: int) -> dict:
    marker = root / "ground-truth.json"
    if marker.exists():
        truth = json.loads(marker.read_text())
        if truth["spec"]["records_per_day"] == records:
            return truth
        shutil.rmtree(root)
    spec = DatasetSpec(
        day=DAY,
        albs=[
            AlbSpec("shop-frontend", "3f2b1c0d9e8a7b6c", 6),
            AlbSpec("payments-api", "9a8b7c6d5e4f3a2b", 4),
        ],
        records_per_day=records,
        unrelated_enis=8,
    )
    started = time.perf_counter()
    truth = generate(spec, root)
    print(f"generated {truth['flow_log_records']:,} records in {time.perf_counter() - started:.0f} s")
    return truth


def best_of(repeat: int, action) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        timings.append(time.perf_counter() - started)
    return min(timings), result


def median_of(repeat: int, action) -> tuple[float, float, object]:
    """Median wall and child CPU seconds of ``repeat`` runs, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        before = os.times()
        started = time.perf_counter()
        result = action()
        walls.append(time.perf_counter() - started)
        after = os.times()
        cpus.append(
            (after.children_user - before.children_user) + (after.children_system - before.children_system)
        )
    return statistics.median(walls), statistics.median(cpus), result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument("--whole", action="store_true", help="time the whole `albrecon local` run")
    args = parser.parse_args()

    truth = dataset(args.data, args.records)
    params = json.loads((args.data / "parameters.json").read_text())
    settings = Settings.from_mapping(
        params | {"AccountId": truth["account"], "Region": truth["region"], "ResultsBucket": "bench-results"}
    )
    enis = sorted(e for lb in truth["load_balancers"].values() for e in lb["eni_ids"])
    alb_of = {e: arn for arn, lb in truth["load_balancers"].items() for e in lb["eni_ids"]}
    enis_file = args.data / "s3" / "bench-results" / statements.enis_key(DAY)
    enis_file.parent.mkdir(parents=True, exist_ok=True)
    enis_file.write_text("".join(f"{e},{alb_of[e]},{truth['account']},{truth['region']},,\n" for e in enis))
    bucket = args.data / "s3" / settings.flow_logs_bucket
    folders = [
        bucket.joinpath(*statements.flow_logs_folder(settings, truth["account"], truth["region"], d))
        for d in (DAY, DAY + timedelta(days=1))
    ]
    # what the night reads: D's folder, and D+1's files stamped before 01:00 (both sides read these)
    cutoff = f"_{DAY + timedelta(days=1):%Y%m%d}T0100Z"
    files = sorted(
        f
        for i, folder in enumerate(folders)
        for f in folder.iterdir()
        if i == 0 or "_" + f.name.split("_")[4] + "Z" < cutoff
    )
    gz_bytes = sum(f.stat().st_size for f in files)
    text_bytes, records_read = text_of(files)

    engine = AthenaEngine(args.data)
    engine.execute(f"CREATE DATABASE {settings.database}")
    for ddl in (
        statements.create_flow_logs_table(settings),
        *statements.add_flow_logs_partitions(settings, DAY, [(truth["account"], truth["region"])]),
        statements.create_enis_table(settings),
        statements.add_enis_partition(settings, DAY),
    ):
        assert engine.execute(ddl).state == "SUCCEEDED"
    table = statements.default_flow_table(settings)
    ranges = statements.next_day_file_ranges(
        settings, DAY, {(truth["account"], truth["region"]): [truth["spec"]["flow_log_id"]]}
    )
    query = statements.flow_log_egress_query(settings, DAY, {table: []}, {table: ranges})

    def run_engine() -> dict[str, int]:
        record = engine.execute(query)
        assert record.state == "SUCCEEDED", record.error
        at = {name: i for i, (name, _) in enumerate(record.columns)}
        totals: dict[str, int] = {}
        for row in record.rows:  # one row per ENI and flow log
            if row[at["load_balancer_arn"]] and row[at["egress_bytes"]]:
                arn = row[at["load_balancer_arn"]]
                totals[arn] = totals.get(arn, 0) + row[at["egress_bytes"]]
        return totals

    def per_alb(by_eni: dict[str, int]) -> dict[str, int]:
        totals: dict[str, int] = {}
        for eni, egress in by_eni.items():
            totals[alb_of[eni]] = totals.get(alb_of[eni], 0) + egress
        return totals

    fields = settings.flow_log_format.fields
    position = {f: fields.index(f) + 1 for f in fields}
    start, end = day_epoch_bounds(DAY)
    eni_file = args.data / "benchmark-enis.txt"
    eni_file.write_text("\n".join(enis) + "\n")
    awk_vars = {
        "F_ENI": position["interface-id"],
        "F_DIR": position["flow-direction"],
        "F_PATH": position["traffic-path"],
        "F_ACTION": position["action"],
        "F_STATUS": position["log-status"],
        "F_START": position["start"],
        "F_BYTES": position["bytes"],
        "DAY_START": start,
        "DAY_END": end,
    }
    awk_args = [a for k, v in awk_vars.items() for a in ("-v", f"{k}={v}")]

    def run_baseline() -> dict[str, int]:
        zcat = subprocess.Popen(["zcat", *map(str, files)], stdout=subprocess.PIPE)
        out = subprocess.run(
            ["awk", *awk_args, AWK, str(eni_file), "-"],
            stdin=zcat.stdout,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        zcat.wait()
        return {line.split()[0]: int(line.split()[1]) for line in out.splitlines()}

    scan_seconds = scan_floor(
        engine,
        settings.database,
        statements.flow_logs_table_name(settings, table),
        ranges,
        gz_bytes,
        records_read,
        args.repeat,
    )
    if args.whole:
        return whole_pipeline(args, truth, run_baseline, per_alb, gz_bytes, text_bytes, files, scan_seconds)
    engine_seconds, engine_result = best_of(args.repeat, run_engine)
    baseline_seconds, baseline_result = best_of(args.repeat, run_baseline)
    expected = {
        arn: lb["flow_log_bytes"] for arn, lb in truth["load_balancers"].items() if lb["flow_log_bytes"]
    }
    assert engine_result == expected, "engine disagrees with the ground truth"
    assert per_alb(baseline_result) == expected, "baseline disagrees with the ground truth"

    records = truth["flow_log_records"]
    print(
        f"data: {len(files)} files of D and D+1, {gz_bytes / 1e6:.0f} MB gzip, "
        f"{text_bytes / 1e6:.0f} MB text; "
        f"{records:,} records in the dataset"
    )
    for label, seconds in (("engine  ", engine_seconds), ("baseline", baseline_seconds)):
        print(
            f"{label}: {seconds:6.2f} s  {gz_bytes / 1e6 / seconds:7.1f} MB/s gzip  "
            f"{text_bytes / 1e6 / seconds:7.1f} MB/s text"
        )
    floor_seconds, _ = best_of(
        args.repeat, lambda: subprocess.run(["zcat", *map(str, files)], stdout=subprocess.DEVNULL, check=True)
    )
    print(
        f"zcat > /dev/null (decompression floor): {floor_seconds:6.2f} s\n"
        f"engine's scan floor (the same files, lines counted): {scan_seconds:6.2f} s = "
        f"{scan_seconds / baseline_seconds:.2f} of the baseline\n"
        f"ratio engine / baseline: {engine_seconds / baseline_seconds:.2f} (target <= 0.7); results identical"
    )
    return 0


def scan_floor(engine, database: str, table: str, ranges, gz_bytes: int, records: int, repeat: int) -> float:
    """The engine's floor: the same files read by the same table (partitions and "$path" pruned as
    the night's query is), every line counted and nothing cast or summed. No query over these
    files is faster on this engine, so it bounds any ratio against the baseline."""
    files = sql_render.path_ranges(ranges or (), column='"$path"')  # the night's own predicate
    query = (
        f'SELECT count(*) FROM "{database}"."{table}" '
        f"WHERE \"date\" IN (DATE '{DAY}', DATE '{DAY + timedelta(days=1)}') AND {files}"
    )

    def run() -> int:
        record = engine.execute(query)
        assert record.state == "SUCCEEDED", record.error
        assert record.data_scanned_bytes == gz_bytes, "the floor query reads other files than the night"
        return record.rows[0][0]

    seconds, lines = best_of(repeat, run)
    assert lines == records, f"the floor query counted {lines} lines of {records}"
    return seconds


def text_of(files: list[Path]) -> tuple[int, int]:
    """The files' text bytes and records (lines after each file's header line)."""
    texts = [gzip.decompress(f.read_bytes()) for f in files]
    return sum(map(len, texts)), sum(t.count(b"\n") - 1 for t in texts)


def whole_pipeline(
    args, truth, run_baseline, per_alb, gz_bytes: int, text_bytes: int, files: list[Path], scan_seconds: float
) -> int:
    albrecon = Path(sys.executable).parent / "albrecon"
    # --ephemeral: every run starts from nothing and replays the day's CloudTrail events, as a
    # first run over a new data directory does (later runs find the inventory in DIR/.albrecon).
    command = [
        str(albrecon),
        "local",
        "--data",
        str(args.data),
        "--date",
        DAY.isoformat(),
        "--json",
        "--ephemeral",
    ]

    def run_local(ephemeral: bool = True) -> dict[str, int]:
        arguments = command if ephemeral else command[:-1]
        out = subprocess.run(arguments, capture_output=True, text=True, check=True).stdout
        return {r["load_balancer_arn"]: r["flow_log_bytes"] for r in json.loads(out)["results"]}

    local_wall, local_cpu, local_result = median_of(args.repeat, run_local)
    run_local(ephemeral=False)  # receives the events once: later runs start from DIR/.albrecon
    kept_wall, kept_cpu, kept_result = median_of(args.repeat, lambda: run_local(ephemeral=False))
    assert kept_result == local_result
    awk_wall, awk_cpu, awk_result = median_of(args.repeat, run_baseline)
    floor_wall, _, _ = median_of(
        args.repeat, lambda: subprocess.run(["zcat", *map(str, files)], stdout=subprocess.DEVNULL, check=True)
    )
    expected = {arn: lb["flow_log_bytes"] for arn, lb in truth["load_balancers"].items()}
    assert local_result == expected, "albrecon local disagrees with the ground truth"
    assert per_alb(awk_result) == {k: v for k, v in expected.items() if v}, "awk disagrees"
    print(
        f"data: {truth['flow_log_records']:,} records, {gz_bytes / 1e6:.0f} MB gzip / "
        f"{text_bytes / 1e6:.0f} MB "
        f"text in D and D+1 (median of {args.repeat})"
    )
    print(
        f"albrecon local --ephemeral (replays the events): {local_wall:6.2f} s wall  {local_cpu:6.2f} s CPU"
    )
    print(f"albrecon local (a later run, with its store)   : {kept_wall:6.2f} s wall  {kept_cpu:6.2f} s CPU")
    print(f"zcat | awk                                     : {awk_wall:6.2f} s wall  {awk_cpu:6.2f} s CPU")
    print(f"zcat > /dev/null (decompression floor)         : {floor_wall:6.2f} s wall")
    print(
        f"the engine's scan floor (the files read, lines counted, in this process): {scan_seconds:6.2f} s "
        f"= {scan_seconds / awk_wall:.2f} of zcat | awk, before any start-up, cast or sum"
    )
    print(
        f"ratio (wall): {local_wall / awk_wall:.2f} first run, {kept_wall / awk_wall:.2f} later runs; "
        "results identical"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
