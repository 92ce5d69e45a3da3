"""`albrecon`: the command line of alb-egress-reconciliation."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import NoReturn

from alb_egress.identity import ACCOUNT_RE, REGION_RE, parse_eni_description
from alb_egress.reconcile import is_alerted
from alb_egress.timeutil import parse_day

from .events import EventFileError, read_event_files
from .operate import OperatorError
from .output import RESULT_FIELDS, over_billed_usd, result_record, results_table


def _replay(args: argparse.Namespace) -> int:
    """Replays CloudTrail events through the real recorder Lambda into an embedded DynamoDB."""
    from aws_adapters.inventory_table import InventoryTable

    from .local.runtime import PLACEHOLDER_PARAMETERS, LocalAws
    from .pipeline import replay_events

    if not args.events.is_dir():
        raise FileNotFoundError(f"no events directory at {args.events}")
    events = read_event_files(args.events)
    if not events:
        raise ValueError(
            f"no events in {args.events}: it holds no *.json file (EventBridge events, one or a list each)"
        )
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING"} if not args.verbose else {}
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS, function_env=quiet) as aws:
        outcomes = replay_events(aws, events)
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


ALB_SPEC_FORM = "name:id[:enis[:cur_factor[:account[:region]]]]"


def _alb_spec(text: str):  # -> AlbSpec (numpy and pyarrow load only when generating)
    """``name:id[:enis[:cur_factor[:account[:region]]]]``, e.g. ``shop:3f2b1c0d9e8a7b6c:3:1.08``."""
    parts = text.split(":")
    if not 2 <= len(parts) <= 6:
        raise argparse.ArgumentTypeError(f"--alb wants {ALB_SPEC_FORM}, got {text!r}")
    try:
        enis = int(parts[2]) if len(parts) > 2 else 2
        factor = float(parts[3]) if len(parts) > 3 else 1.0
    except ValueError:
        raise argparse.ArgumentTypeError(f"--alb wants {ALB_SPEC_FORM}, got {text!r}") from None
    if parse_eni_description(f"ELB app/{parts[0]}/{parts[1]}") is None:
        raise argparse.ArgumentTypeError(f"not an ALB name and 16-hex-digit id: {text!r}")
    account = parts[4] if len(parts) > 4 else None
    region = parts[5] if len(parts) > 5 else None
    if (account and not ACCOUNT_RE.match(account)) or (region and not REGION_RE.match(region)):
        raise argparse.ArgumentTypeError(f"not an AWS account id and region: {text!r}")
    from .generator.dataset import AlbSpec

    return AlbSpec(
        name=parts[0], lb_id=parts[1], enis=enis, cur_factor=factor, account=account, region=region
    )


def _generate(args: argparse.Namespace) -> int:
    """Writes a dataset in the docs/DESIGN.md §5 layout, with ground-truth.json next to it."""
    from .generator.dataset import AlbSpec, DatasetSpec, generate, random_albs

    if (args.date is None) == (args.from_date is None) or (args.from_date is None) != (args.to_date is None):
        raise ValueError("give either --date, or both --from and --to")
    first = parse_day(args.date or args.from_date)
    last = parse_day(args.to_date) if args.to_date else first
    if last < first or (last - first).days >= 400:
        raise ValueError("--to must be on or after --from, and the range under 400 days")
    days = (last - first).days + 1
    albs = list(args.alb or [])
    if args.random_albs:
        albs += random_albs(args.random_albs, days, seed=args.seed)
    spec = DatasetSpec(
        day=first,
        days=days,
        albs=albs
        or [AlbSpec("shop-frontend", "3f2b1c0d9e8a7b6c", 3), AlbSpec("payments-api", "9a8b7c6d5e4f3a2b")],
        # by default enough records that each ALB's GB (and a drifting one's delta) is well above
        # MinDeltaGB: about 1,000 a day per ALB, at least 20,000
        records_per_day=args.records or max(20_000, 1_000 * len(albs or [1, 2])),
        account=args.account,
        region=args.region,
        hive_partitions=args.hive_partitions,
        per_hour_partitions=args.per_hour_partitions,
        flow_log_format=args.flow_log_format,
        cur_format=args.cur_format,
        flow_logs_file_format=args.flow_logs_file_format,
        cur_delivered_through=args.cur_hours,
        malformed_lines=args.malformed_lines,
        seed=args.seed,
    )
    _writable_output(args.out, args.force)
    started = time.perf_counter()
    history = args.out / ".albrecon"  # the local stack of the data this overwrites: it would be stale
    if history.is_dir():
        shutil.rmtree(history)
        print(f"Removed {history}: its inventory and results described the data this run replaces")
    from tqdm import tqdm

    with tqdm(total=None, unit="window", desc="generate", file=sys.stderr, leave=False) as bar:

        def advance(done: int, total: int) -> None:
            bar.total = total
            bar.update(done + 1 - bar.n)

        truth = generate(spec, args.out, progress=advance)
    (args.out / GENERATED_MARKER).write_text("written by albrecon generate\n")
    elapsed = time.perf_counter() - started
    print(
        f"Wrote {truth['flow_log_records']:,} flow log records in {truth['flow_log_files']} files, "
        f"{truth['cur_rows']:,} CUR rows and {truth['cloudtrail_events']} CloudTrail events to {args.out} "
        f"in {elapsed:.1f} s"
    )
    for day_truth in truth["days"].values() if "days" in truth else [truth]:
        if len(day_truth["load_balancers"]) > 20:
            print(f"  {day_truth['day']}: {len(day_truth['load_balancers'])} ALBs (ground-truth.json)")
            continue
        for arn, lb in day_truth["load_balancers"].items():
            print(
                f"  {day_truth['day']} {lb['name']:<24} flow {lb['flow_log_gb']:10.4f} GB   "
                f"CUR {lb['cur_gb']:10.4f} GB   {arn}"
            )
    return 0


def _print_run(run, as_json: bool) -> None:
    from .pipeline import format_table

    if as_json:
        print(json.dumps(run.as_json(), indent=2))
        return
    from .pipeline import local_message

    print(format_table(run))
    for alert in run.alerts:
        print()
        print(f"ALERT published to the topic - subject: {alert['subject']}")
        print(local_message(alert["message"]))


# Set by `entry`, whose os._exit ends the process right after main(): what a run built (moto's
# backends, the embedded DuckDB, the parsed state machine) need not be freed object by object.
_exit_follows_main = False
_kept_until_exit: list = []


def _local(args: argparse.Namespace) -> int:
    """Runs the real state machine over a data directory (docs/DESIGN.md §5), events replayed first; a range
    of days runs one execution per day in one process, like `backfill` on a stack."""
    from .pipeline import LocalPipeline

    if not args.data.is_dir():
        raise FileNotFoundError(f"no data directory at {args.data}")
    days = _local_days(args)
    started = time.perf_counter()
    overrides = {
        key: value
        for key, value in (("AWS::AccountId", args.account_id), ("AWS::Region", args.region))
        if value is not None
    }
    with LocalPipeline(
        args.data,
        parameter_overrides=overrides,
        verbose=args.verbose,
        keep_history=not args.ephemeral,
        read_execution_history=args.verbose,
    ) as pipeline:
        skipped: list = []
        if days is not None and pipeline.store is not None and not args.force:
            # as `backfill` does: a day with stored results is done; --force runs it again
            skipped = [d for d in days if pipeline.store.items_of_day(d.isoformat())]
            days = [d for d in days if d not in skipped]
        try:
            runs = [pipeline.run(args.date)] if days is None else _reconcile_range(pipeline, days)
        except _RangeInterrupted as interrupted:
            done = interrupted.runs
            kept = "" if args.ephemeral else " and kept"
            span = f" ({done[0].date} to {done[-1].date})" if done else ""
            print(
                f"albrecon: interrupted: {len(done)} of {len(days)} days reconciled{kept}{span};"
                + (" run the same command again to go on (reconciled days are skipped)" if kept else ""),
                file=sys.stderr,
            )
            return 130
        if _exit_follows_main:  # freed by the process's end, not one object at a time
            _kept_until_exit.append(pipeline)
        if args.verbose:
            print(f"replayed events: {pipeline.replayed}", file=sys.stderr)
            for run in runs:
                print(run.report.describe(), file=sys.stderr)
    if skipped and not args.json:
        print(
            f"skipped {len(skipped)} day(s) already reconciled ({skipped[0]} to {skipped[-1]}; --force runs"
            " them again)",
            file=sys.stderr,
        )
    if days is not None and not runs:
        if args.json:
            print("[]")
        return 0
    if getattr(args, "csv", False):
        _print_results_csv([{"date": run.date, **r} for run in runs for r in run.results])
        return 0 if all(run.report.status == "SUCCEEDED" for run in runs) else 1
    if days is not None:
        _print_range(runs, args.json)
    else:
        _print_run(runs[0], args.json)
    if not args.json:
        kept = "" if args.ephemeral else f"; results kept in {args.data / '.albrecon'}"
        print(f"\n(local run: {time.perf_counter() - started:.1f} s{kept})")
    return 0 if all(run.report.status == "SUCCEEDED" for run in runs) else 1


def _local_days(args: argparse.Namespace):  # -> list[date] | None (one day, or as scheduled)
    from .operate import date_range

    if args.from_date is None and args.to_date is None:
        if args.date is not None:
            parse_day(args.date)  # a clear error before anything starts; the state machine checks again
        return None
    if args.date is not None or args.from_date is None or args.to_date is None:
        raise ValueError("give either --date, or both --from and --to")
    return date_range(parse_day(args.from_date), parse_day(args.to_date))


class _RangeInterrupted(KeyboardInterrupt):
    """Ctrl-C during a range: the days reconciled (and stored) before it."""

    def __init__(self, runs: list) -> None:
        super().__init__(f"{len(runs)} days reconciled")
        self.runs = runs


def _reconcile_range(pipeline, days) -> list:
    from tqdm import tqdm

    runs = []
    with tqdm(total=len(days), unit="day", desc="reconcile", file=sys.stderr) as bar:
        for day in days:
            try:
                run = pipeline.run(day.isoformat())
            except KeyboardInterrupt:
                bar.close()
                raise _RangeInterrupted(runs) from None
            runs.append(run)
            alerted = sum(1 for r in run.results if is_alerted(r["status"], bool(r.get("below_min_impact"))))
            bar.set_postfix_str(f"{day} {run.report.status}, {len(run.results)} ALBs, {alerted} alerted")
            bar.update(1)
    return runs


def _print_range(runs: list, as_json: bool) -> None:
    """One line per day, then the last day in full, as `albrecon local` shows a single day."""
    if as_json:
        print(json.dumps([run.as_json() for run in runs], indent=2))
        return
    statuses = sorted({r["status"] for run in runs for r in run.results})
    widths = [max(5, len(s)) for s in statuses]
    header = f"{'date':<10}  {'execution':<10}  {'ALBs':>5}  " + "  ".join(
        f"{s:>{w}}" for s, w in zip(statuses, widths, strict=True)
    )
    print(header + "  alerts  problems")
    print("-" * (len(header) + 18))
    for run in runs:
        counts = [sum(1 for r in run.results if r["status"] == s) for s in statuses]
        print(
            f"{run.date or '-':<10}  {run.report.status:<10}  {len(run.results):>5}  "
            + "  ".join(f"{c:>{w}}" for c, w in zip(counts, widths, strict=True))
            + f"  {len(run.alerts):>6}  {', '.join(p['kind'] for p in run.problems) or '-'}"
        )
    last = runs[-1]
    attention = [r for r in last.results if is_alerted(r["status"], bool(r.get("below_min_impact")))]
    attention.sort(key=lambda r: -abs(over_billed_usd(r) or 0))
    print(
        f"\nThe last day, {last.date}: {len(last.results)} ALBs, {len(attention)} needing attention", end=""
    )
    if attention:
        print(" (largest over-/under-billing first; `albrecon history` lists every ALB):\n")
        print(results_table(attention, with_date=False))
    else:
        print(".")
    for problem in last.problems:
        print(f"PROBLEM {problem['kind']}: {problem['detail']}")
    if last.report.error:
        print(f"error: {last.report.error}: {(last.report.cause or '')[:500]}")


def _program() -> str:
    """How the user ran us, to repeat in hints: `.venv/bin/albrecon` in a checkout, else `albrecon`."""
    invoked = Path(sys.argv[0])
    try:
        relative = invoked.resolve().relative_to(Path.cwd())
    except ValueError:
        return "albrecon"
    return str(relative) if invoked.name == "albrecon" and len(relative.parts) > 1 else "albrecon"


def _demo(args: argparse.Namespace) -> int:
    """Generates a week of five ALBs (one drifting into MISMATCH, one losing its flow logs for a
    day), reconciles it day by day with history kept, prints the last day and writes a report."""
    from datetime import UTC, datetime, timedelta

    from .generator.dataset import AlbSpec, DatasetSpec, generate
    from .pipeline import LocalPipeline
    from .report import write_report
    from .results import results_between

    last = datetime.now(UTC).date() - timedelta(days=2)  # as the nightly schedule would reach it
    first = last - timedelta(days=6)
    spec = DatasetSpec(
        day=first,
        days=7,
        albs=[
            AlbSpec("shop-frontend", "3f2b1c0d9e8a7b6c", enis=3),  # billed as measured
            # billed as measured, then more and more above it from mid-week
            AlbSpec(
                "payments-api",
                "9a8b7c6d5e4f3a2b",
                enis=2,
                cur_factor_by_day=(1.0, 1.0, 1.0, 1.004, 1.03, 1.06, 1.08),
            ),
            AlbSpec("search-api", "0c1d2e3f4a5b6c7d", enis=2, flow_logs_lost_on=(3,)),  # a lost day
            AlbSpec("static-assets", "1a2b3c4d5e6f7a8b", enis=2, weight=0.5),
            AlbSpec("admin-portal", "5e6f7a8b9c0d1e2f", enis=1, weight=0.2),
        ],
        records_per_day=args.records,
    )
    _writable_output(args.out, force=False)  # demo replaces its directory: never one of the user's
    if args.out.exists():
        shutil.rmtree(args.out)
    started = time.perf_counter()
    truth = generate(spec, args.out)
    (args.out / GENERATED_MARKER).write_text("written by albrecon demo\n")
    print(
        f"1. Generated {first} to {last} in {args.out}/: {truth['flow_log_records']:,} flow-log records "
        f"in {truth['flow_log_files']:,} gzip files, {truth['cur_rows']:,} hourly CUR rows (Parquet), "
        f"{truth['cloudtrail_events']} CloudTrail events"
    )
    print(
        "2. Replaying the CloudTrail events through the recorder Lambda, then running the state machine "
        "once per day...\n"
    )
    days = [first + timedelta(days=n) for n in range(7)]
    with LocalPipeline(args.out, keep_history=True) as pipeline:
        runs = _reconcile_range(pipeline, days)
        store = pipeline.store
        items = results_between(store, days)
    _print_range(runs, as_json=False)
    write_report(
        items,
        args.report,
        f"ALB internet egress: flow logs vs CUR, {first} to {last}",
        [d.isoformat() for d in days],
    )
    elapsed = time.perf_counter() - started
    print(f"\n3. Wrote {args.report}: open it in a browser.")
    print(
        f"\n(demo: {elapsed:.1f} s; results kept in {args.out}/.albrecon; try "
        f"{_program()} history --data {args.out} --days 7, or re-run a day with "
        f"{_program()} local --data {args.out} --date {last})"
    )
    return 0 if all(run.report.status == "SUCCEEDED" for run in runs) else 1


# ---------------------------------------------------------------- a deployed stack
def _stack(args: argparse.Namespace):
    import boto3

    from .operate import Stack

    region = args.region or os.environ.get("AWS_REGION")  # boto3 itself reads only AWS_DEFAULT_REGION
    return Stack.resolve(args.stack, boto3.session.Session(region_name=region))


def _run(args: argparse.Namespace) -> int:
    """Starts a reconciliation of a past day on the deployed stack; --wait follows it to the end."""
    from .operate import alert_of, follow, start_run

    day = parse_day(args.date).isoformat()
    stack = _stack(args)
    arn = start_run(stack, day)
    print(f"started {arn}")
    if not args.wait:
        return 0

    def show(progress) -> None:
        mark = {"entered": "→", "done": "✓", "failed": "✗"}.get(progress.event, "·")
        print(f"  {mark} {progress.state} {progress.detail}".rstrip(), flush=True)

    description = follow(stack, arn, show, poll=args.poll)
    print(f"\nexecution {description['status']}")
    output = json.loads(description.get("output") or "{}")
    if output.get("status") == "SCOPE_MATCHES_NO_ALB":
        print(
            f"warning: the scope matches none of the {output.get('albs_out_of_scope')} ALBs of {day}:"
            " check Accounts, Regions and LoadBalancerNames (the alert topic got the details)"
        )
    if output.get("status") == "NOTHING_TO_RECONCILE":
        print(
            f"no ENI of a watched ALB is recorded for {day}: nothing to reconcile (is the recorder deployed?)"
        )
    items = stack.results.items_of_day(day)
    if items:
        print(results_table(items))
    alert = alert_of(stack, arn)
    if alert:
        print(f"\nALERT - {alert['subject']}\n{alert['message']}")
    if description["status"] != "SUCCEEDED":
        print(f"error: {description.get('error')}: {description.get('cause', '')[:500]}")
        return 1
    return 0


def _definition() -> dict:
    """The state machine definition the stack runs (the repository's, as `sam deploy` ships it)."""
    from .local.template import STACK_ROOT

    return json.loads((STACK_ROOT / "statemachine" / "reconcile.asl.json").read_text())


def _backfill(args: argparse.Namespace) -> int:
    """Reconciles a range of days, a few at a time, skipping days already reconciled."""
    from tqdm import tqdm

    from .operate import backfill, date_range, max_backfill_concurrency

    days = date_range(parse_day(args.from_date), parse_day(args.to_date))
    stack = _stack(args)
    failed = []
    with tqdm(total=len(days), unit="day", desc="backfill") as bar:

        def done(outcome) -> None:
            bar.update(1)
            bar.set_postfix_str(f"{outcome.day} {outcome.status}")
            if outcome.status not in ("SUCCEEDED", "SKIPPED"):
                failed.append(outcome)

        outcomes = backfill(
            stack,
            days,
            args.concurrency,
            args.force,
            done,
            poll=args.poll,
            max_concurrency=max_backfill_concurrency(_definition(), args.athena_queries),
        )
    skipped = sum(1 for o in outcomes if o.status == "SKIPPED")
    print(
        f"{len(outcomes) - skipped} reconciled, {skipped} skipped (already reconciled), {len(failed)} failed"
    )
    for outcome in failed:
        print(f"  {outcome.day}: {outcome.status} {outcome.execution_arn}")
    return 1 if failed else 0


def _history(args: argparse.Namespace) -> int:
    """The stored results, as a table, JSON or CSV."""
    from .results import history

    source = _results_source(args)
    until = parse_day(args.to_date) if args.to_date else None
    if until is None and hasattr(source, "stored_days"):
        # a local store's days are a dataset's, not the calendar's: the window ends at its last
        stored = source.stored_days()
        until = parse_day(stored[1]) if stored else None
    items = history(source, args.alb, args.days, until)
    if args.only_alerted:
        items = [i for i in items if is_alerted(i.get("status", ""), bool(i.get("below_min_impact")))]
    if args.sort == "impact":  # the largest $ either way first; unmeasured and unpriced last
        items.sort(key=lambda i: -abs(over_billed_usd(i) or 0))
    if args.json:
        print(json.dumps(_result_rows(items), indent=2, default=str))
    elif args.csv:
        _print_results_csv(items)
    elif items:
        print(results_table(items))
    else:
        stored = source.stored_days() if hasattr(source, "stored_days") else None
        span = f" (stored: {stored[0]} to {stored[1]}; use --to and --days)" if stored else ""
        print(f"no stored results in that window{span}")
    return 0


def _print_results_csv(items: list[dict]) -> None:
    """Results as CSV in the one result schema: date, RESULT_FIELDS, execution_arn."""
    import csv

    writer = csv.DictWriter(sys.stdout, fieldnames=["date", *RESULT_FIELDS, "execution_arn"])
    writer.writeheader()
    writer.writerows(_result_rows(items))


def _result_rows(items: list[dict]) -> list[dict]:
    """The one result schema as rows: date, RESULT_FIELDS, execution_arn."""
    return [
        {"date": i.get("date"), **result_record(i), "execution_arn": i.get("execution_arn")} for i in items
    ]


def _results_source(args: argparse.Namespace):  # -> albrecon.results.ResultsSource
    """The local store of --data DIR, or the deployed stack's results table."""
    return _results_and_parameters(args)[0]


def _results_and_parameters(args: argparse.Namespace) -> tuple:
    """The results (local store or stack table) and the template parameters they were made with."""
    if args.data is not None:
        from .local.data_layout import read_parameters
        from .local.store import LocalStore

        return LocalStore.existing(args.data), read_parameters(args.data)
    stack = _stack(args)
    return stack.results, stack.parameters


def _report(args: argparse.Namespace) -> int:
    """A chart of flow-log GB vs CUR GB per ALB per day, mismatches marked."""
    from .operate import date_range
    from .report import write_report
    from .results import results_between

    days = date_range(parse_day(args.from_date), parse_day(args.to_date))
    results, parameters = _results_and_parameters(args)
    items = results_between(results, days)
    write_report(
        items,
        args.out,
        f"ALB internet egress: flow logs vs CUR, {days[0]} to {days[-1]}",
        days=[d.isoformat() for d in days],
        # the neutral band of the heatmap: the stack's (or parameters.json's) TolerancePercent
        tolerance_percent=float(parameters.get("TolerancePercent") or 1.0),
    )
    print(f"wrote {args.out} ({len(items)} results)")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    """Checks the configuration against the account (or a local data directory); 0 when all pass."""
    from . import doctor

    if args.data is not None:
        from .local.data_layout import ParametersFileError, read_parameters
        from .local.template import Template

        try:
            parameters = read_parameters(args.data, list(Template.load().parameters))
        except ParametersFileError as problem:  # the checklist's first line, as `local` refuses it
            print(doctor.report([doctor.Check("parameters", False, str(problem), "fix parameters.json")]))
            return 1
        from .events import read_event_files
        from .local.data_layout import stack_account_and_region

        events_dir = args.data / "events"
        overrides = {
            k: v for k, v in (("AWS::AccountId", args.account_id), ("AWS::Region", args.region)) if v
        }
        account, region = stack_account_and_region(
            args.data,
            {**parameters, **overrides},
            read_event_files(events_dir) if events_dir.is_dir() else [],
        )
        parameters = {k: v for k, v in parameters.items() if not k.startswith("AWS::")}
        checks = doctor.data_checks(args.data, parameters, account, region)
    else:
        stack = _stack(args)
        region = stack.session.region_name
        account = stack.stack_id.split(":")[4] if stack.stack_id.count(":") >= 5 else ""
        checks = doctor.stack_checks(
            stack.parameters,
            stack.outputs,
            account,
            region,
            lambda service, where=None: stack.session.client(service, region_name=where or region),
        )
    print(doctor.report(checks))
    return 0 if all(c.ok for c in checks) else 1


DISTRIBUTIONS = ("alb-egress-reconciliation", "alb-egress-reconciliation-stack")  # whole, stack-only


def _version() -> str:
    """The version of the distribution this copy of albrecon was installed from: the one beside it
    in its site folder first (both may be installed, in different places), else any by name."""
    from importlib.metadata import PackageNotFoundError, distributions, version

    beside = {d.metadata["Name"]: d.version for d in distributions(path=[str(Path(__file__).parents[1])])}
    for name in DISTRIBUTIONS:
        if name in beside:
            return f"{beside[name]} ({name})"
    for name in DISTRIBUTIONS:
        try:
            return f"{version(name)} ({name})"
        except PackageNotFoundError:
            continue
    return "unknown"  # a source checkout that was never installed


# Written into a directory `generate` or `demo` made: only such a directory is ever replaced.
GENERATED_MARKER = ".albrecon-generated"


def _writable_output(out: Path, force: bool) -> None:
    """``out`` may be written (and, for demo, replaced): it is absent, empty, or one we made.
    A directory of the user's is never deleted or mixed into without --force."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ValueError(f"{out} exists and is not a directory: give another --out")
    if (out / GENERATED_MARKER).is_file() or not any(out.iterdir()) or force:
        return
    raise ValueError(
        f"{out} holds files albrecon did not write (no {GENERATED_MARKER}): give an empty or new "
        "directory, or --force to write into it anyway"
    )


class _Parser(argparse.ArgumentParser):
    """argparse, with "did you mean" for a mistyped verb or option (Python 3.14's suggest_on_error,
    for the Pythons before it)."""

    def error(self, message: str) -> NoReturn:
        import difflib
        import re

        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            offered = [c.strip(" '") for c in choice.group(2).split(",")]
            close = difflib.get_close_matches(choice.group(1), offered, n=1)
            message += f": did you mean {close[0]!r}?" if close else ""
        unknown = re.match(r"unrecognized arguments: (\S+)", message)
        if unknown:
            parsers = [self] + [
                sub
                for action in self._actions
                if isinstance(action, argparse._SubParsersAction)
                for sub in action.choices.values()
            ]
            options = sorted({o for p in parsers for action in p._actions for o in action.option_strings})
            close = difflib.get_close_matches(unknown.group(1).split("=")[0], options, n=1)
            message += f" (did you mean {close[0]}?)" if close else ""
        super().error(message)


def _output_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        choices=("table", "json", "csv"),
        help="table (default), json, or csv: the one result schema (README), a row per result",
    )


def _apply_output(args: argparse.Namespace) -> None:
    """``--output json|csv`` is ``--json`` / ``--csv``; one of each at a time."""
    output = getattr(args, "output", None)
    if output is None:
        return
    if (getattr(args, "json", False) and output != "json") or (
        getattr(args, "csv", False) and output != "csv"
    ):
        raise ValueError("give one of --output, --json and --csv")
    args.json, args.csv = output == "json", output == "csv"


def build_parser() -> argparse.ArgumentParser:  # noqa: PLR0915 - a flat list of every verb's options
    parser = _Parser(prog="albrecon", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

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
        "generate", help="write a realistic dataset (flow logs, CUR, CloudTrail) for a day or a range"
    )
    gen.add_argument(
        "--out", type=Path, required=True, help="data directory to write (docs/DESIGN.md §5 layout)"
    )
    gen.add_argument("--date", help="the UTC day, YYYY-MM-DD (or a range: --from and --to)")
    gen.add_argument("--force", action="store_true", help="write into a directory albrecon did not make")
    gen.add_argument("--from", dest="from_date", help="first UTC day of consecutive days")
    gen.add_argument("--to", dest="to_date", help="last UTC day: one continuous ENI and CloudTrail history")
    gen.add_argument(
        "--alb",
        action="append",
        type=_alb_spec,
        help=f"{ALB_SPEC_FORM} (repeatable; several accounts/regions = an Organization)",
    )
    gen.add_argument(
        "--records",
        type=int,
        help="ALB flow records per day (default: 1,000 per ALB, at least 20,000)",
    )
    gen.add_argument(
        "--random-albs",
        type=int,
        default=0,
        metavar="N",
        help="N more ALBs with random names, sizes and billing (a few drift or lose flow logs on a day)",
    )
    gen.add_argument("--account", default="123456789012", help="the data's (payer) account")
    gen.add_argument("--region", default="us-east-1")
    gen.add_argument("--hive-partitions", action="store_true", help="Hive-compatible flow-log folders")
    gen.add_argument("--per-hour-partitions", action="store_true", help="per-hour flow-log folders")
    gen.add_argument(
        "--flow-log-format", default=None, help="the flow log's ${field} format (default: all v5)"
    )
    gen.add_argument("--flow-logs-file-format", choices=("text", "parquet"), default="text")
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
    local.add_argument("--from", dest="from_date", help="first UTC day of a range (with --to)")
    local.add_argument("--to", dest="to_date", help="last UTC day of a range, one execution per day")
    local.add_argument(
        "--force", action="store_true", help="with --from/--to: run days that already have results again"
    )
    local.add_argument(
        "--ephemeral",
        action="store_true",
        help="keep nothing: no inventory or results stored in DATA/.albrecon between runs",
    )
    local.add_argument(
        "--account-id", help="the stack's account (default: the data's, when it holds only one)"
    )
    local.add_argument("--region", help="the stack's region (default: the data's, when it holds only one)")
    local.add_argument("--json", action="store_true", help="print the outcome as JSON (= --output json)")
    _output_option(local)
    local.add_argument("--verbose", action="store_true", help="Lambda logs and the state-by-state history")
    local.set_defaults(run=_local)

    demo = commands.add_parser("demo", help="generate a sample day and reconcile it locally")
    demo.add_argument("--out", type=Path, default=Path("demo-data"))
    demo.add_argument("--records", type=int, default=30_000, help="ALB flow records per day")
    demo.add_argument("--report", type=Path, default=Path("demo-report.html"), help="the week's report")
    demo.set_defaults(run=_demo)

    def stack_options(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--stack",
            default=os.environ.get("ALBRECON_STACK", "alb-egress-reconciliation"),
            help="the deployed stack's name (default: $ALBRECON_STACK or alb-egress-reconciliation)",
        )
        command.add_argument("--region", default=None, help="the stack's region (default: your AWS config)")

    run = commands.add_parser("run", help="reconcile a past day on the deployed stack")
    run.add_argument("--date", required=True, help="UTC day YYYY-MM-DD")
    run.add_argument("--wait", action="store_true", help="follow it state by state, then print the results")
    run.add_argument("--poll", type=float, default=2.0, help=argparse.SUPPRESS)
    stack_options(run)
    run.set_defaults(run=_run)

    back = commands.add_parser("backfill", help="reconcile a range of days on the deployed stack")
    back.add_argument("--from", dest="from_date", required=True, help="first UTC day YYYY-MM-DD")
    back.add_argument("--to", dest="to_date", required=True, help="last UTC day YYYY-MM-DD")
    back.add_argument(
        "--concurrency", type=int, default=2, help="executions at a time (each runs up to 10 queries)"
    )
    back.add_argument(
        "--athena-queries",
        type=int,
        default=20,
        help="the account's Athena active-query quota (Service Quotas; default 20): caps --concurrency",
    )
    back.add_argument("--force", action="store_true", help="re-run days that already have results")
    back.add_argument("--poll", type=float, default=5.0, help=argparse.SUPPRESS)
    stack_options(back)
    back.set_defaults(run=_backfill)

    hist = commands.add_parser("history", help="the stored results")
    hist.add_argument("--alb", help="one ALB's name")
    hist.add_argument("--days", type=int, default=30)
    hist.add_argument("--only-alerted", action="store_true", help="only the results that were e-mailed")
    hist.add_argument(
        "--sort",
        choices=("alb", "impact"),
        default="alb",
        help="impact: the largest billed - measured $ first",
    )
    hist.add_argument(
        "--to",
        dest="to_date",
        help="last UTC day of the window (default: today; with --data, the last stored day)",
    )
    hist.add_argument("--data", type=Path, help="a local data directory's results instead of a stack")
    shape = hist.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="= --output json")
    shape.add_argument("--csv", action="store_true", help="= --output csv")
    _output_option(hist)
    stack_options(hist)
    hist.set_defaults(run=_history)

    doc = commands.add_parser(
        "doctor", help="check the deployed stack's configuration (or a local data directory) - read-only"
    )
    doc.add_argument("--data", type=Path, help="check a local data directory instead of a deployed stack")
    doc.add_argument("--account-id", help="with --data: the data's account, when it holds several")
    stack_options(doc)
    doc.set_defaults(run=_doctor)

    rep = commands.add_parser("report", help="chart flow-log GB vs CUR GB per ALB per day (.html or .png)")
    rep.add_argument("--from", dest="from_date", required=True)
    rep.add_argument("--to", dest="to_date", required=True)
    rep.add_argument("--out", type=Path, required=True, help="FILE.html or FILE.png")
    rep.add_argument("--data", type=Path, help="a local data directory's results instead of a stack")
    stack_options(rep)
    rep.set_defaults(run=_report)
    return parser


# What only the whole tool installs (`pipx install .`): the stack-only install
# (packaging/stack-only) leaves them out, and a verb that needs one says so in a line.
_NOT_IN_STACK_ONLY = frozenset(
    (
        "duckdb",
        "sqlglot",
        "moto",
        "pyarrow",
        "yaml",
        "cfn_flip",
        "samtranslator",
        "cfnresponse",
        "numpy",
        "matplotlib",
    )
)


def missing_part(error: ModuleNotFoundError, command: str) -> str | None:
    """The line for a verb whose optional part is not installed, or None for any other missing module."""
    module = (error.name or "").partition(".")[0]
    if module not in _NOT_IN_STACK_ONLY:
        return None
    if command == "report":
        part, extra = "the report's plotting", " (or `pipx install './packaging/stack-only[report]'`)"
    else:
        part, extra = "the local runtime (the embedded engine and its AWS)", ""
    return (
        f"`albrecon {command}` needs {part}, which this install leaves out ({module} is not "
        f"installed): `pipx install .` in the repository installs every verb{extra}"
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _apply_output(args)
        return args.run(args)
    except (EventFileError, FileNotFoundError, ValueError, OperatorError) as error:
        print(f"albrecon: error: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        if (line := missing_part(error, args.command)) is None:
            raise
        print(f"albrecon: error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: one line, no traceback (a range says what it kept)
        print("albrecon: interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    """The `albrecon` console script: main(), then an exit that skips tearing down the interpreter's
    object graph (moto's backends, botocore's models, the parsed state machine): about 0.6 s of a
    3 s local run, with nothing left to write - files are closed and streams flushed first.

    The cyclic collector runs less often: a run builds a few million long-lived objects (service
    models, moto's backends, the parsed state machine) that CPython's default thresholds rescan
    again and again (~10 % of a 3 s run). Cycles are still collected, every 50,000 allocations."""
    global _exit_follows_main
    gc.set_threshold(50_000, 20, 20)
    _exit_follows_main = True
    try:
        code = main()
        logging.shutdown()
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (`| head`): nothing more to say, and no traceback about it
        # (docs.python.org/3/library/signal.html#note-on-sigpipe)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141  # 128 + SIGPIPE, as a shell reports a command a pipe cut short
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
