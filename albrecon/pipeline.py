"""The product's main job, run locally: events replayed through the recorder, then the real state
machine over a docs/DESIGN.md §5 data directory, answered from the results table and the alert topic."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_adapters.results_table import ResultsTable, day_write, plain_item, whole_day

from .events import read_event_files
from .local.data_layout import read_parameters, stack_account_and_region
from .local.execution import ExecutionReport
from .local.replay import replay_events
from .local.runtime import LocalAws
from .local.store import LocalStore
from .local.template import Template
from .output import result_record, results_table

STATE_MACHINE = "ReconcileStateMachine"
ALERT_TOPIC = "AlertTopic"


def event_key(event: dict) -> str:
    """EventBridge's event id; the content's digest for an event file without one."""
    if isinstance(event.get("id"), str) and event["id"]:
        return event["id"]
    return "sha256:" + hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()


@dataclass
class DayRun:
    date: str | None
    report: ExecutionReport
    results: list[dict]  # the results table's items of the day, after the run
    alerts: list[dict]  # messages this run published to the alert topic
    # every run-level problem, from the day's results object (the state carries the first few)
    all_problems: list[dict] | None = None
    # per account/region with flow-log records that cannot be real (excluded, counted)
    flow_log_damage: list[dict] = field(default_factory=list)

    @property
    def problems(self) -> list[dict]:
        """Run-level problems (docs/DESIGN.md §3) the execution found: kind, detail, fix, where."""
        if self.all_problems is not None:
            return list(self.all_problems)
        output = self.report.output if isinstance(self.report.output, dict) else {}
        return list(output.get("problems") or [])

    def as_json(self) -> dict:
        shape = {
            "date": self.date,
            "execution_status": self.report.status,
            "results": [result_record(r) for r in self.results],
            "alerts": [
                {"subject": a["subject"], "message": local_message(a["message"])} for a in self.alerts
            ],
            "problems": self.problems,
            "flow_log_damage": self.flow_log_damage,
        }
        if self.report.status != "SUCCEEDED":  # docs/DESIGN.md §5: why, without --verbose
            shape |= {"error": self.report.error, "cause": self.report.cause}
        return shape


def local_message(message: str) -> str:
    """An alert as the local run shows it: the e-mail AWS would send, without its link to the
    execution in the Step Functions console - a local execution exists in no console."""
    return "\n".join(line for line in message.splitlines() if not line.startswith("Execution: https://"))


@dataclass
class LocalPipeline:
    """``with LocalPipeline(data_dir) as pipeline: pipeline.run("2026-11-20")``."""

    data_dir: Path
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    verbose: bool = False
    retry_delay_scale: float = 1.0
    timeout_scale: float = 1.0
    # Keep the inventory, the results and the received events in DIR/.albrecon between runs, as a
    # deployed stack keeps them between nights (False: everything lives and dies with the process).
    keep_history: bool = False
    # Read each execution's history (its states, for DayRun.report.states / .describe()). The CLI
    # reads it only with --verbose: nothing else it prints comes from there.
    read_execution_history: bool = True
    replayed: dict[str, int] = field(default_factory=dict, init=False)
    events: list[dict] = field(default_factory=list, init=False)
    store: LocalStore | None = field(default=None, init=False)

    def _results_object(self, output: dict) -> dict | None:
        """The results object the night wrote (None when it wrote none): every problem, the damage."""
        location = output.get("results_location")
        if not isinstance(location, str) or not location.startswith("s3://"):
            return None
        bucket, key = location[len("s3://") :].split("/", 1)
        return json.loads(self.aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())

    def __enter__(self) -> LocalPipeline:
        if not self.verbose:
            for noisy in ("moto", "botocore", "urllib3"):
                logging.getLogger(noisy).setLevel(logging.CRITICAL)
        parameters = read_parameters(self.data_dir, list(Template.load().parameters))
        parameters.update(self.parameter_overrides)
        events_dir = self.data_dir / "events"
        self.events = read_event_files(events_dir) if events_dir.is_dir() else []
        account, region = stack_account_and_region(self.data_dir, parameters, self.events)
        parameters.update({"AWS::AccountId": account, "AWS::Region": region})
        quiet = {} if self.verbose else {"POWERTOOLS_LOG_LEVEL": "ERROR"}
        if self.keep_history:  # first: a store that cannot be used (or is in use) ends nothing half-done
            self.store = LocalStore(self.data_dir)
        try:
            self.aws = LocalAws(
                parameters=parameters,
                data_dir=self.data_dir,
                function_env=quiet,
                retry_delay_scale=self.retry_delay_scale,
                timeout_scale=self.timeout_scale,
            ).__enter__()
        except BaseException:
            if self.store is not None:
                self.store.close()
            raise
        try:
            if self.store is not None:
                self.aws.put_table_items("EniInventoryTable", self.store.inventory_items())
            self._replay_events()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.store is not None:
            self.store.close()
        self.aws.__exit__(*exc_info)

    def _replay_events(self) -> None:
        """Every event (only those not received before, with a store), through the recorder."""
        events = self.events
        if self.store is not None:
            known = self.store.received_event_keys()
            events = [e for e in events if event_key(e) not in known]
        if not events:
            return
        received: list[str] = []
        self.replayed = replay_events(self.aws, events, lambda e: received.append(event_key(e)))
        if self.store is not None:
            self.store.save_inventory(self.aws.table_items("EniInventoryTable"))
            self.store.mark_received(received)

    def _stored_day(self, day: str) -> list[dict]:
        """The day's results as the table holds them (its last whole write), read from the embedded
        table itself rather than by a Query through the client (5,000 ALBs: ~5 s)."""
        return whole_day([plain_item(item) for item in self.aws.table_items_under("ResultsTable", day)])

    def _restore_day(self, day: str, items: list[dict]) -> None:
        """Puts the store's results of ``day`` back into the table, as one committed write."""
        if self.aws.table_items_under("ResultsTable", day):  # this process ran the day: a write as Persist's
            ResultsTable(self.aws.ref("ResultsTable"), self.aws.client("dynamodb")).replace_day(day, items)
        elif items:  # into moto's table directly: the items and the commit a first write would put
            puts, commit, _ = day_write(day, items, None, [])
            self.aws.put_table_items("ResultsTable", [*puts, commit])

    def run(self, day: str | None, execution_input: Any = None) -> DayRun:
        """Runs the state machine for ``day`` (``None``: as the schedule would) and collects its outcome."""
        before = len(self.aws.published_messages(ALERT_TOPIC))
        payload = execution_input if execution_input is not None else ({"date": day} if day else {})
        if self.store is not None and day:  # the table as AWS's would hold it: earlier runs' rows
            self._restore_day(day, self.store.items_of_day(day))
        report = self.aws.start_execution(
            STATE_MACHINE, payload, timeout=600, read_history=self.read_execution_history
        )
        output = report.output if isinstance(report.output, dict) else {}
        run_day = output.get("date") or day
        results = self._stored_day(run_day) if isinstance(run_day, str) else []
        alerts = self.aws.published_messages(ALERT_TOPIC)[before:]
        written = self._results_object(output)
        run = DayRun(
            date=run_day,
            report=report,
            results=results,
            alerts=alerts,
            all_problems=None if written is None else list(written.get("problems") or []),
            flow_log_damage=[] if written is None else list(written.get("flow_log_damage") or []),
        )
        if self.store is not None and isinstance(run_day, str):
            self.store.replace_day(run_day, results, run.as_json())
        return run


def format_table(run: DayRun) -> str:
    """The day's result table and, when the execution failed, why."""
    lines = [f"Reconciliation of {run.date} (UTC): execution {run.report.status}", ""]
    for problem in run.problems:
        place = f" (account {problem['account']}, {problem['region']})" if problem.get("account") else ""
        lines += [f"PROBLEM {problem['kind']}{place}: {problem['detail']}", f"  fix: {problem['fix']}", ""]
    if run.results:
        lines.append(results_table(run.results, with_date=False))
    elif isinstance(run.report.output, dict) and run.report.output.get("status") == "NOTHING_TO_RECONCILE":
        lines.append(
            "No ENI of a watched ALB is recorded for the day: nothing to reconcile, nothing alerted."
        )
    elif isinstance(run.report.output, dict) and run.report.output.get("status") == "SCOPE_MATCHES_NO_ALB":
        lines.append(
            f"WARNING: the scope (Accounts, Regions, LoadBalancerNames) matches none of the"
            f" {run.report.output.get('albs_out_of_scope')} ALBs of the day: nothing reconciled (e-mailed)."
        )
    else:
        lines.append("(no results stored for the day)")
    if run.report.error:
        lines += ["", f"error: {run.report.error}", f"cause: {(run.report.cause or '')[:500]}"]
    return "\n".join(lines)
