"""Benchmark: one night of thousands of ALBs through the whole local pipeline.

Generates a day for N ALBs x E ENIs (default 5,000 x 4 = 20,000 ENIs, --replaced 1,000 of the ALBs
replacing an ENI at midday; flow logs in per-hour folders, CloudTrail events in EventBridge's
envelope; the first day of a month, so the CUR holds ~30 hours). Then, as a user would run it:
- the first night: `albrecon local --data DIR --date D` in a fresh process over the new directory
  (the events replayed through the real recorder Lambda, then the real state machine), wall time;
- a later night: the same command again (the inventory from DIR/.albrecon, no replay);
both checked ALB by ALB against the ground truth. Then, in this process, where the time goes: the
replay and each state over 0.5 s, the largest state payload (AWS's quota: 256 KiB), the flow-log
query's text size (Athena's: 262,144 bytes) and the peak RSS.

Usage: .venv/bin/python benchmarks/night_scale.py [--albs 5000] [--enis-per-alb 4] [--replaced 1000]
       [--records 200000] [--daily-folders]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

from albrecon.generator.dataset import AlbSpec, DatasetSpec, generate
from albrecon.pipeline import LocalPipeline

DAY = date(2026, 11, 1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--albs", type=int, default=5000)
    parser.add_argument("--enis-per-alb", type=int, default=4)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--replaced", type=int, default=1000, help="ALBs that replace an ENI at midday")
    parser.add_argument("--daily-folders", action="store_true", help="daily flow-log folders, not per hour")
    parser.add_argument("--mismatch-every", type=int, default=50, help="every Nth ALB is billed 20 %% more")
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data-scale")
    args = parser.parse_args()

    # the targets are in seconds: how fast this machine's Python is, to compare runs across machines
    print(f"machine: a 10,000,000-step Python loop takes {python_loop_seconds():.2f} s")
    if args.data.exists():
        shutil.rmtree(args.data)
    spec = DatasetSpec(
        day=DAY,
        albs=[
            AlbSpec(
                f"alb-{i:05d}",
                f"{i:016x}",
                enis=args.enis_per_alb,
                cur_factor=1.2 if args.mismatch_every and i % args.mismatch_every == 0 else 1.0,
            )
            for i in range(args.albs)
        ],
        records_per_day=args.records,
        mid_day_changes=args.replaced > 0,
        mid_day_change_albs=args.replaced,
        per_hour_partitions=not args.daily_folders,
        skipdata_per_eni=0,
        # small ALBs: a threshold that lets the every-Nth 20 % mismatch through, so the alert is sent
        extra_parameters={"MinDeltaGB": "0.00001"},
    )
    started = time.perf_counter()
    truth = generate(spec, args.data)
    generated = time.perf_counter() - started
    print(
        f"generated {args.albs:,} ALBs / {args.albs * args.enis_per_alb:,} ENIs, "
        f"{truth['flow_log_records']:,} flow records, {truth['cur_rows']:,} CUR rows, "
        f"{truth['cloudtrail_events']:,} events in {generated:.1f} s"
    )

    expected = {arn: lb["flow_log_bytes"] for arn, lb in truth["load_balancers"].items()}
    first = fresh_process_night(args.data)
    later = fresh_process_night(args.data)
    for label, (seconds, got) in (("first night", first), ("later night", later)):
        wrong = sum(got.get(arn) != egress for arn, egress in expected.items())
        print(f"{label} (`albrecon local`, a fresh process): {seconds:.1f} s wall; ALBs not exact: {wrong}")
        if wrong:
            return 1

    shutil.rmtree(args.data / ".albrecon")
    started = time.perf_counter()
    with LocalPipeline(args.data, keep_history=True) as pipeline:
        replayed = time.perf_counter() - started
        run_started = time.perf_counter()
        run = pipeline.run(DAY.isoformat())
        ran = time.perf_counter() - run_started
        [query] = [r.query for r in pipeline.aws.athena.executions.values() if "egress_bytes" in r.query]
    total = time.perf_counter() - started
    assert run.report.status == "SUCCEEDED", run.report.describe()
    got = {r["load_balancer_arn"]: r for r in run.results}
    wrong = [
        arn
        for arn, lb in truth["load_balancers"].items()
        if got[arn]["flow_log_bytes"] != lb["flow_log_bytes"]
    ]
    events = truth["cloudtrail_events"]
    print(
        f"replay: {events:,} events in {replayed:.1f} s ({1000 * replayed / events:.1f} ms/event): "
        f"{pipeline.replayed}"
    )
    print(f"state machine: {ran:.1f} s; whole local run {total:.1f} s")
    slow = [f"{s.name} {s.duration_ms / 1000:.1f} s" for s in run.report.states if (s.duration_ms or 0) > 500]
    print(f"states over 0.5 s: {', '.join(slow) or 'none'}")
    print(f"statuses: {dict(Counter(r['status'] for r in run.results))}; ALBs not exact: {len(wrong)}")
    print(
        f"largest state payload: {run.report.largest_payload_bytes:,} bytes (quota 262,144); "
        f"flow-log query text: {len(query.encode()):,} bytes"
    )
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    # The next night over the same directory: the inventory comes from DIR/.albrecon, no replay.
    started = time.perf_counter()
    with LocalPipeline(args.data, keep_history=True) as pipeline:
        loaded = time.perf_counter() - started
        again = pipeline.run(DAY.isoformat())
        assert pipeline.replayed == {}
    later_in_process = time.perf_counter() - started
    assert again.report.status == "SUCCEEDED" and len(again.results) == len(run.results)
    print(
        f"a later night in this process (the inventory from the store in {loaded:.1f} s): "
        f"{later_in_process:.1f} s"
    )
    print(
        json.dumps(
            {
                "first_night_fresh_process_s": round(first[0], 1),
                "later_night_fresh_process_s": round(later[0], 1),
                "replay_s": round(replayed, 1),
                "run_s": round(ran, 1),
                "total_s": round(total, 1),
                "later_night_s": round(later_in_process, 1),
            }
        )
    )
    return 1 if wrong else 0


def python_loop_seconds() -> float:
    started = time.perf_counter()
    total = 0
    for step in range(10_000_000):
        total += step
    return time.perf_counter() - started


def fresh_process_night(data: Path) -> tuple[float, dict[str, int]]:
    """`albrecon local` as a user runs it; its wall time and each ALB's measured bytes."""
    albrecon = Path(sys.executable).parent / "albrecon"
    started = time.perf_counter()
    done = subprocess.run(
        [str(albrecon), "local", "--data", str(data), "--date", DAY.isoformat(), "--output", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    return seconds, {r["load_balancer_arn"]: r["flow_log_bytes"] for r in json.loads(done.stdout)["results"]}


if __name__ == "__main__":
    sys.exit(main())
