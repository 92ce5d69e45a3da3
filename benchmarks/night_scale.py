"""Benchmark: one night of thousands of ALBs through the whole local pipeline.

Generates a day for N ALBs x E ENIs (default 5,000 x 4 = 20,000 ENIs; the first day of a month, so
the CUR holds ~30 hours), then runs `albrecon local`'s pipeline on it: the CloudTrail events
replayed through the real recorder Lambda, then the real state machine. Prints the wall time of
each part, the largest state payload of the execution (AWS's quota: 256 KiB), the flow-log query's
text size (Athena's: 262,144 bytes), the peak RSS, and checks every ALB against the ground truth.

Usage: .venv/bin/python benchmarks/night_scale.py [--albs 5000] [--enis-per-alb 4] [--records 200000]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
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
    parser.add_argument("--mismatch-every", type=int, default=50, help="every Nth ALB is billed 20 %% more")
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data-scale")
    args = parser.parse_args()

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
        mid_day_changes=False,
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
    later = time.perf_counter() - started
    assert again.report.status == "SUCCEEDED" and len(again.results) == len(run.results)
    print(f"a later night (inventory loaded from the store in {loaded:.1f} s, no replay): {later:.1f} s")
    print(
        json.dumps(
            {
                "replay_s": round(replayed, 1),
                "run_s": round(ran, 1),
                "total_s": round(total, 1),
                "later_night_s": round(later, 1),
            }
        )
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
