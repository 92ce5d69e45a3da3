"""`albrecon`: the command line of alb-egress-reconciliation."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from alb_egress.identity import parse_eni_description
from alb_egress.timeutil import parse_day

from .events import EventFileError, read_event_files
from .generator.dataset import AlbSpec, DatasetSpec, generate


def _replay(args: argparse.Namespace) -> int:
    """Replays CloudTrail events through the real recorder Lambda into an embedded DynamoDB."""
    from aws_adapters.inventory_table import InventoryTable

    from .local.lambdas import FunctionError
    from .local.runtime import PLACEHOLDER_PARAMETERS, LocalAws

    events = read_event_files(args.events)
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING"} if not args.verbose else {}
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS, function_env=quiet) as aws:
        outcomes: dict[str, int] = {}
        for event in events:
            try:
                outcome = aws.invoke("EniRecorderFunction", event)["outcome"]
            except FunctionError as error:
                outcome = f"error ({error.error_type})"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        items = InventoryTable(aws.ref("EniInventoryTable"), aws.client("dynamodb")).all_records()
    if args.json:
        print(
            json.dumps(
                {"events": len(events), "outcomes": outcomes, "inventory": items}, indent=2, default=str
            )
        )
        return 0
    print(
        f"Replayed {len(events)} events through EniRecorderFunction: "
        + ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
    )
    print()
    columns = ("eni_id", "load_balancer_name", "load_balancer_type", "created_at", "deleted_at", "source")
    rows = [[str(item.get(c) or "-") for c in columns] for item in items]
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    return 0


def _alb_spec(text: str) -> AlbSpec:
    """``name:id[:enis[:cur_factor]]``, e.g. ``shop:3f2b1c0d9e8a7b6c:3:1.08``."""
    parts = text.split(":")
    if not 2 <= len(parts) <= 4:
        raise argparse.ArgumentTypeError(f"--alb wants name:id[:enis[:cur_factor]], got {text!r}")
    try:
        enis = int(parts[2]) if len(parts) > 2 else 2
        factor = float(parts[3]) if len(parts) > 3 else 1.0
    except ValueError:
        raise argparse.ArgumentTypeError(f"--alb wants name:id[:enis[:cur_factor]], got {text!r}") from None
    if parse_eni_description(f"ELB app/{parts[0]}/{parts[1]}") is None:
        raise argparse.ArgumentTypeError(f"not an ALB name and 16-hex-digit id: {text!r}")
    return AlbSpec(name=parts[0], lb_id=parts[1], enis=enis, cur_factor=factor)


def _generate(args: argparse.Namespace) -> int:
    """Writes a dataset in the DESIGN §5 layout, with ground-truth.json next to it."""
    spec = DatasetSpec(
        day=parse_day(args.date),
        albs=args.alb
        or [AlbSpec("shop-frontend", "3f2b1c0d9e8a7b6c", 3), AlbSpec("payments-api", "9a8b7c6d5e4f3a2b")],
        records_per_day=args.records,
        region=args.region,
        flow_log_format=args.flow_log_format,
        cur_format=args.cur_format,
        cur_delivered_through=args.cur_hours,
        malformed_lines=args.malformed_lines,
        seed=args.seed,
    )
    started = time.perf_counter()
    truth = generate(spec, args.out)
    elapsed = time.perf_counter() - started
    print(
        f"Wrote {truth['flow_log_records']:,} flow log records in {truth['flow_log_files']} files, "
        f"{truth['cur_rows']:,} CUR rows and {truth['cloudtrail_events']} CloudTrail events to {args.out} "
        f"in {elapsed:.1f} s"
    )
    for arn, lb in truth["load_balancers"].items():
        print(f"  {lb['name']:<24} flow {lb['flow_log_gb']:10.4f} GB   CUR {lb['cur_gb']:10.4f} GB   {arn}")
    return 0


def _print_run(run, as_json: bool) -> None:
    from .pipeline import format_table

    if as_json:
        print(json.dumps(run.as_json(), indent=2))
        return
    print(format_table(run))
    for alert in run.alerts:
        print()
        print(f"ALERT published to the topic - subject: {alert['subject']}")
        print(alert["message"])


def _local(args: argparse.Namespace) -> int:
    """Runs the real state machine over a data directory (DESIGN §5), events replayed first."""
    from .pipeline import LocalPipeline

    if not args.data.is_dir():
        raise FileNotFoundError(f"no data directory at {args.data}")
    if args.date is not None:
        parse_day(args.date)  # a clear error before anything starts; the state machine checks again
    started = time.perf_counter()
    with LocalPipeline(args.data, verbose=args.verbose) as pipeline:
        run = pipeline.run(args.date)
        if args.verbose:
            print(f"replayed events: {pipeline.replayed}", file=sys.stderr)
            print(run.report.describe(), file=sys.stderr)
    _print_run(run, args.json)
    if not args.json:
        print(f"\n(local run: {time.perf_counter() - started:.1f} s)")
    return 0 if run.report.status == "SUCCEEDED" else 1


def _demo(args: argparse.Namespace) -> int:
    """Generates a sample day (one matching and one mismatching ALB) and runs the pipeline on it."""
    from datetime import UTC, datetime, timedelta

    from .pipeline import LocalPipeline

    day = (datetime.now(UTC).date() - timedelta(days=2)).isoformat()
    spec = DatasetSpec(
        day=parse_day(day),
        albs=[
            AlbSpec("shop-frontend", "3f2b1c0d9e8a7b6c", enis=3),  # billed as measured
            AlbSpec("payments-api", "9a8b7c6d5e4f3a2b", enis=2, cur_factor=1.08),  # billed 8 % more
        ],
        records_per_day=args.records,
    )
    if args.out.exists():
        shutil.rmtree(args.out)
    started = time.perf_counter()
    truth = generate(spec, args.out)
    print(
        f"1. Generated {day} in {args.out}/: {truth['flow_log_records']:,} flow-log records in "
        f"{truth['flow_log_files']} gzip files, {truth['cur_rows']:,} hourly CUR rows (Parquet), "
        f"{truth['cloudtrail_events']} CloudTrail events"
    )
    print(
        "2. Replaying the CloudTrail events through the recorder Lambda, then running the state machine...\n"
    )
    with LocalPipeline(args.out) as pipeline:
        run = pipeline.run(day)
    _print_run(run, as_json=False)
    elapsed = time.perf_counter() - started
    print(f"\n(demo: {elapsed:.1f} s; re-run with: .venv/bin/albrecon local --data {args.out} --date {day})")
    return 0 if run.report.status == "SUCCEEDED" else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="albrecon", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    replay = commands.add_parser(
        "replay", help="replay CloudTrail ENI events through the recorder (embedded)"
    )
    replay.add_argument(
        "--events", type=Path, required=True, help="directory of EventBridge event *.json files"
    )
    replay.add_argument("--json", action="store_true", help="print the inventory as JSON")
    replay.add_argument("--verbose", action="store_true", help="show the Lambda's structured logs")
    replay.set_defaults(run=_replay)

    gen = commands.add_parser(
        "generate", help="write a realistic dataset (flow logs, CUR, CloudTrail) for one day"
    )
    gen.add_argument("--out", type=Path, required=True, help="data directory to write (DESIGN §5 layout)")
    gen.add_argument("--date", required=True, help="the UTC day, YYYY-MM-DD")
    gen.add_argument(
        "--alb", action="append", type=_alb_spec, help="name:id[:enis[:cur_factor]] (repeatable)"
    )
    gen.add_argument("--records", type=int, default=20_000, help="ALB flow records with start in the day")
    gen.add_argument("--region", default="us-east-1")
    gen.add_argument(
        "--flow-log-format", default=None, help="the flow log's ${field} format (default: all v5)"
    )
    gen.add_argument("--cur-format", choices=("legacy", "cur2"), default="legacy")
    gen.add_argument("--cur-hours", type=int, default=30, help="hours after the day's start the CUR reaches")
    gen.add_argument("--malformed-lines", type=int, default=0)
    gen.add_argument("--seed", type=int, default=7)
    gen.set_defaults(run=_generate)

    local = commands.add_parser("local", help="run the reconciliation of a day locally over a data directory")
    local.add_argument(
        "--data", type=Path, required=True, help="data directory (parameters.json, s3/, events/)"
    )
    local.add_argument("--date", help="UTC day YYYY-MM-DD (default: as the nightly schedule would pick)")
    local.add_argument("--json", action="store_true", help="print the outcome as JSON")
    local.add_argument("--verbose", action="store_true", help="Lambda logs and the state-by-state history")
    local.set_defaults(run=_local)

    demo = commands.add_parser("demo", help="generate a sample day and reconcile it locally")
    demo.add_argument("--out", type=Path, default=Path("demo-data"))
    demo.add_argument("--records", type=int, default=50_000)
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (EventFileError, FileNotFoundError, ValueError) as error:
        print(f"albrecon: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
