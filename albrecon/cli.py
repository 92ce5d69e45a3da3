"""`albrecon`: the command line of alb-egress-reconciliation."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .events import EventFileError, read_event_files


def _replay(args: argparse.Namespace) -> int:
    """Replays CloudTrail events through the real recorder Lambda into an embedded DynamoDB."""
    from aws_adapters.inventory_table import InventoryTable

    from .local.lambdas import FunctionError
    from .local.runtime import LocalAws

    events = read_event_files(args.events)
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING"} if not args.verbose else {}
    with LocalAws(function_env=quiet) as aws:
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
