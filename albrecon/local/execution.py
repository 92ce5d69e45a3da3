"""Runs a Step Functions execution to its end and reports it as the console shows it."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class StateRun:
    name: str
    entered: datetime
    input: Any
    exited: datetime | None = None
    output: Any = None
    events: list[str] = field(default_factory=list)  # e.g. TaskFailed, TaskSucceeded

    @property
    def duration_ms(self) -> float | None:
        return (self.exited - self.entered).total_seconds() * 1000 if self.exited else None


@dataclass
class ExecutionReport:
    execution_arn: str
    status: str  # SUCCEEDED, FAILED, TIMED_OUT, ABORTED
    input: Any
    output: Any
    error: str | None
    cause: str | None
    started: datetime
    stopped: datetime | None
    states: list[StateRun]
    history: list[dict] | None  # None: not read (run_execution(read_history=False))

    def state(self, name: str) -> StateRun:
        """The last run of a state (Retry and Map can run it more than once)."""
        self._history_read()
        runs = [s for s in self.states if s.name == name]
        if not runs:
            raise KeyError(f"state {name!r} never ran; ran: {[s.name for s in self.states]}")
        return runs[-1]

    @property
    def largest_payload_bytes(self) -> int:
        """The largest state input or output of the execution, in UTF-8 bytes (AWS's quota: 256 KiB)."""
        self._history_read()
        sizes = [0]
        for event in self.history:
            for key in ("stateEnteredEventDetails", "stateExitedEventDetails", "taskSucceededEventDetails"):
                details = event.get(key) or {}
                for field_name in ("input", "output"):
                    if isinstance(details.get(field_name), str):
                        sizes.append(len(details[field_name].encode()))
        return max(sizes)

    def ran(self, name: str) -> bool:
        self._history_read()
        return any(s.name == name for s in self.states)

    def _history_read(self) -> None:
        if self.history is None:
            raise ValueError("the execution's history was not read (run_execution(read_history=False))")

    def describe(self) -> str:
        """A console-like table: one line per state entered, then the outcome."""
        header = f"{'state':<34} {'entered':<12} {'ms':>8}  events"
        lines = [header if self.history is not None else "(the execution's history was not read)"]
        for run in self.states:
            duration = f"{run.duration_ms:8.1f}" if run.duration_ms is not None else "       -"
            lines.append(
                f"{run.name:<34} {run.entered:%H:%M:%S.%f}"[:47] + f" {duration}  {', '.join(run.events)}"
            )
        outcome = f"{self.status}"
        if self.error:
            outcome += f"  error={self.error}  cause={(self.cause or '')[:300]}"
        lines.append(outcome)
        return "\n".join(lines)


def _load(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def run_execution(
    sfn,
    state_machine_arn: str,
    execution_input: dict,
    name: str | None,
    timeout: float,
    wait_for_end: Callable[[str, float], bool] | None = None,
    read_history: bool = True,
) -> ExecutionReport:
    """Starts an execution and follows it to its end: woken by ``wait_for_end`` (the runtime's
    signal of an ended execution), else polling DescribeExecution. Without ``read_history`` the
    report has the outcome only (no states, no history): GetExecutionHistory is not called."""
    execution_arn = sfn.start_execution(
        stateMachineArn=state_machine_arn,
        name=name or f"local-{uuid.uuid4()}",
        input=json.dumps(execution_input),
    )["executionArn"]
    deadline = time.monotonic() + timeout
    while True:
        description = sfn.describe_execution(executionArn=execution_arn)
        if description["status"] != "RUNNING":
            break
        if time.monotonic() > deadline:
            sfn.stop_execution(executionArn=execution_arn, error="Local.Timeout", cause=f"over {timeout} s")
            description = sfn.describe_execution(executionArn=execution_arn)
            break
        if wait_for_end is not None:
            wait_for_end(execution_arn, max(0.0, min(1.0, deadline - time.monotonic())))
        else:
            time.sleep(0.02)
    history: list[dict] | None = None
    if read_history:
        history = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
            history.extend(page["events"])
    return ExecutionReport(
        execution_arn=execution_arn,
        status=description["status"],
        input=_load(description.get("input")),
        output=_load(description.get("output")),
        error=description.get("error"),
        cause=description.get("cause"),
        started=description["startDate"],
        stopped=description.get("stopDate"),
        states=_state_runs(history) if history is not None else [],
        history=history,
    )


def _state_runs(history: list[dict]) -> list[StateRun]:
    """One run per StateEntered event; task events are attributed by following ``previousEventId``
    back to the StateEntered they descend from (Parallel branches interleave in the history)."""
    by_id = {event["id"]: event for event in history}
    runs: dict[int, StateRun] = {}
    open_runs: dict[str, StateRun] = {}
    for event in history:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            run = StateRun(details["name"], event["timestamp"], _load(details.get("input")))
            runs[event["id"]] = open_runs[details["name"]] = run
        elif kind.endswith("StateExited"):
            details = event["stateExitedEventDetails"]
            run = open_runs.pop(details["name"], None)
            if run is not None:
                run.exited, run.output = event["timestamp"], _load(details.get("output"))
        elif kind.startswith(("Task", "Lambda")):
            entered = _entered_event(event, by_id)
            if entered is not None and entered["id"] in runs:
                runs[entered["id"]].events.append(kind)
    return list(runs.values())


def _entered_event(event: dict, by_id: dict[int, dict]) -> dict | None:
    seen = 0
    while event is not None and seen < 10_000:
        if event["type"].endswith("StateEntered"):
            return event
        event = by_id.get(event.get("previousEventId"))
        seen += 1
    return None
