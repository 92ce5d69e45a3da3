"""Operating a deployed stack: start and follow runs, backfill ranges, read the results.

Everything is resolved from the stack's outputs, so the only thing an operator names is the
stack (and the usual AWS credentials/region).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError

from aws_adapters.results_table import ResultsTable

REQUIRED_OUTPUTS = ("StateMachineArn", "ResultsTableName", "AlertTopicArn")
TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


class OperatorError(Exception):
    """Something the operator can fix: no credentials, no such stack, a bad date range..."""


@dataclass
class Stack:
    name: str
    outputs: dict[str, str]
    session: Any = field(repr=False)
    parameters: dict[str, str] = field(default_factory=dict)  # the stack's template parameters
    stack_id: str = ""

    @classmethod
    def resolve(cls, name: str, session: Any = None) -> Stack:
        session = session or boto3.session.Session()
        try:
            stacks = session.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
        except NoCredentialsError:
            raise OperatorError("no AWS credentials: configure a profile or set AWS_PROFILE") from None
        except NoRegionError:
            raise OperatorError("no AWS region: set AWS_DEFAULT_REGION or pass --region") from None
        except ClientError as error:
            if "does not exist" in str(error):
                raise OperatorError(
                    f"stack {name!r} not found in {session.region_name}: deploy it with "
                    "`sam deploy --guided` or pass the right --stack/--region"
                ) from None
            raise OperatorError(f"cannot read stack {name!r}: {error}") from None
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
        missing = [key for key in REQUIRED_OUTPUTS if key not in outputs]
        if missing:
            raise OperatorError(
                f"stack {name!r} is not an alb-egress-reconciliation stack (no {', '.join(missing)})"
            )
        parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stacks[0].get("Parameters", [])}
        return cls(
            name=name,
            outputs=outputs,
            session=session,
            parameters=parameters,
            stack_id=stacks[0].get("StackId", ""),
        )

    def client(self, service: str):
        return self.session.client(service)

    @property
    def results(self) -> ResultsTable:
        return ResultsTable(self.outputs["ResultsTableName"], self.client("dynamodb"))


def date_range(first: date, last: date) -> list[date]:
    if last < first:
        raise OperatorError(f"--to {last} is before --from {first}")
    if (last - first).days > 400:
        raise OperatorError("a range of more than 400 days: split it")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _execution_name(day: str, purpose: str) -> str:
    return f"{purpose}-{day}-{uuid.uuid4().hex[:8]}"


def start_run(stack: Stack, day: str, purpose: str = "manual") -> str:
    sfn = stack.client("stepfunctions")
    try:
        return sfn.start_execution(
            stateMachineArn=stack.outputs["StateMachineArn"],
            name=_execution_name(day, purpose),
            input=json.dumps({"date": day}),
        )["executionArn"]
    except ClientError as error:  # ExecutionAlreadyExists, ExecutionLimitExceeded, AccessDenied...
        details = error.response.get("Error", {})
        raise OperatorError(
            f"Step Functions did not start the run of {day}: {details.get('Code')}: "
            f"{str(details.get('Message', ''))[:300]}"
        ) from None


@dataclass
class Progress:
    """A state entered or left, as the console's graph would show it."""

    state: str
    event: str  # "entered" / "succeeded" / "failed" / "retrying"
    detail: str = ""


def follow(
    stack: Stack, execution_arn: str, on_progress: Callable[[Progress], None], poll: float = 1.0
) -> dict:
    """Follows an execution to its end, reporting each state transition once; returns describe_execution."""
    sfn = stack.client("stepfunctions")
    # Each event once, by what it is rather than its position or id: while parallel branches run,
    # an emulated history (moto) may insert events before ones already read and renumber them.
    seen: set[str] = set()
    while True:
        description = sfn.describe_execution(executionArn=execution_arn)
        for event in _history(sfn, execution_arn):
            identity = json.dumps(
                {k: v for k, v in event.items() if k not in ("id", "previousEventId")}, default=str
            )
            if identity in seen:
                continue
            seen.add(identity)
            progress = _progress(event)
            if progress is not None:
                on_progress(progress)
        if description["status"] in TERMINAL:
            return description
        time.sleep(poll)


def _history(sfn, execution_arn: str) -> list[dict]:
    events = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events.extend(page["events"])
    return events


def _progress(event: dict) -> Progress | None:
    kind = event["type"]
    if kind.endswith("StateEntered"):
        return Progress(event["stateEnteredEventDetails"]["name"], "entered")
    if kind.endswith("StateExited"):
        return Progress(event["stateExitedEventDetails"]["name"], "done")
    if kind == "TaskFailed":
        details = event.get("taskFailedEventDetails", {})
        return Progress(details.get("resource", "task"), "failed", details.get("error", ""))
    return None


def alert_of(stack: Stack, execution_arn: str) -> dict | None:
    """The alert an execution published (the Notify or DescribeFailure state's output), if any."""
    for event in reversed(_history(stack.client("stepfunctions"), execution_arn)):
        details = event.get("stateExitedEventDetails")
        if details and details["name"] in ("Notify", "DescribeFailure"):
            output = json.loads(details.get("output") or "{}")
            alert = output.get("alert") or output.get("failure_alert")
            if alert:
                return {"subject": alert["subject"], "message": alert["message"]}
    return None


@dataclass
class BackfillOutcome:
    day: str
    status: str  # SUCCEEDED / FAILED / ... / SKIPPED (already reconciled)
    execution_arn: str | None = None


# Athena's active-query quotas (DDL and DML, running plus queued) are 20-25 by default and vary by
# region (Athena user guide, service-limits.html); over them StartQueryExecution is refused.
ATHENA_ACTIVE_QUERIES = 20


def peak_athena_queries(states: dict) -> int:
    """The most Athena queries one execution of a definition can have running at once: a Parallel
    adds its branches' peaks, a Map multiplies its iterations' by MaxConcurrency, a sequence takes
    its largest state's."""
    peak = 0
    for state in states.values():
        if state.get("Type") == "Task" and ":athena:startQueryExecution" in str(state.get("Resource")):
            own = 1
        elif state.get("Type") == "Parallel":
            own = sum(peak_athena_queries(branch["States"]) for branch in state["Branches"])
        elif state.get("Type") == "Map":
            inner = peak_athena_queries((state.get("ItemProcessor") or state.get("Iterator"))["States"])
            own = inner * (state.get("MaxConcurrency") or 40)  # 0: unbounded (Step Functions: up to 40)
        else:
            own = 0
        peak = max(peak, own)
    return peak


def max_backfill_concurrency(definition: dict, athena_queries: int = ATHENA_ACTIVE_QUERIES) -> int:
    return max(1, athena_queries // max(1, peak_athena_queries(definition["States"])))


def backfill(
    stack: Stack,
    days: list[date],
    concurrency: int,
    force: bool,
    on_done: Callable[[BackfillOutcome], None],
    poll: float = 2.0,
    max_concurrency: int = 10,
) -> list[BackfillOutcome]:
    """Reconciles each day at most ``concurrency`` executions at a time (``max_concurrency``: what
    the account's Athena quota allows, see max_backfill_concurrency). Days with stored results are
    skipped unless ``force``; days with a running execution are followed rather than started again,
    so an interrupted backfill resumes."""
    if not 1 <= concurrency <= max_concurrency:
        raise OperatorError(
            f"--concurrency must be between 1 and {max_concurrency}: each execution runs several Athena "
            f"queries at once and Athena refuses queries over its active-query quota "
            f"(--athena-queries, default {ATHENA_ACTIVE_QUERIES})"
        )
    sfn = stack.client("stepfunctions")
    running = _running_by_day(stack)
    pending: list[str] = []
    outcomes: list[BackfillOutcome] = []
    for day in (d.isoformat() for d in days):
        if not force and day not in running and stack.results.items_of_day(day):
            outcome = BackfillOutcome(day, "SKIPPED")
            outcomes.append(outcome)
            on_done(outcome)
        else:
            pending.append(day)
    active: dict[str, str] = {day: arn for day, arn in running.items() if day in pending}
    queue: Iterator[str] = iter([d for d in pending if d not in active])
    while True:
        while len(active) < concurrency and (day := next(queue, None)) is not None:
            active[day] = start_run(stack, day, purpose="backfill")
        if not active:
            return outcomes
        time.sleep(poll)
        for day, arn in list(active.items()):
            status = sfn.describe_execution(executionArn=arn)["status"]
            if status in TERMINAL:
                del active[day]
                outcome = BackfillOutcome(day, status, arn)
                outcomes.append(outcome)
                on_done(outcome)


def _running_by_day(stack: Stack) -> dict[str, str]:
    sfn = stack.client("stepfunctions")
    running = {}
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=stack.outputs["StateMachineArn"], statusFilter="RUNNING"
    )
    for page in pages:
        for execution in page["executions"]:
            parts = execution["name"].split("-")
            if len(parts) >= 4 and parts[0] in ("backfill", "manual"):
                running["-".join(parts[1:4])] = execution["executionArn"]
    return running
