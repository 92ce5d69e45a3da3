"""What each Lambda task hands the state machine, declared once (docs/DESIGN.md §2).

The definition's ResultSelectors pick ``$.Payload.<key>`` of these, and the Step Functions Local
mocks (tests/sfn_local/MockConfigFile.json) answer in them: tests/deploy checks both against these
types, and mypy checks the handlers that declare them as their return type.
"""

from __future__ import annotations

from typing import Any, TypedDict


class PlanOutput(TypedDict):
    date: str
    source: str
    database: str
    sql: dict[str, str]
    problems: list[dict[str, Any]]


class StatementOutput(TypedDict):
    """Plan rendering one statement (a flow-log format's table, or its partitions)."""

    statement: str


class EnisOutput(TypedDict):
    """FindEnis: where the day's ENI table is, and counts."""

    eni_count: int
    alb_count: int
    accounts_regions: int
    partition_groups: list[list[list[str]]]
    enis_location: str
    unknown_created_time: int
    albs_out_of_scope: int  # when no ALB is in scope: the ALBs the scope left out
    out_of_scope_places: list[list[Any]]  # [account, region, count], the first ten


class ProblemSummary(TypedDict):
    problem_total: int
    problem_counts: dict[str, int]
    problems: list[dict[str, Any]]  # the first few; the whole list is in S3


class DiagnoseOutput(ProblemSummary):
    problems_location: str
    survey_location: str
    flow_tables: list[dict[str, Any]]
    flow_partition_items: list[dict[str, Any]]
    flow_log_egress: str
    egress_split: bool


class CompareSummary(ProblemSummary):
    date: str
    cur_covers_day: bool
    albs: int
    alerted_count: int
    statuses: dict[str, int]
    out_of_scope_billed: int
    damaged_flow_log_records: int
    cur_status: str | None
    largest_deltas: list[dict[str, Any]]
    results_location: str


class PersistOutput(TypedDict):
    date: str
    stored: int
    removed_stale: int


class Email(TypedDict):
    """Notify: what the state machine publishes to the alert topic."""

    subject: str
    message: str
    attributes: dict[str, dict[str, str]]


class FailureEmail(Email):
    cause: str  # the execution's own cause (the console, `albrecon local --json`)


# The Lambda task states of the definition, and what each hands on.
TASK_OUTPUTS: dict[str, type] = {
    "Plan": PlanOutput,
    "RenderFlowLogsTable": StatementOutput,
    "RenderFlowLogsPartitions": StatementOutput,
    "FindEnis": EnisOutput,
    "Diagnose": DiagnoseOutput,
    "Compare": CompareSummary,
    "Persist": PersistOutput,
    "Notify": Email,
    "DescribeEmptyScope": Email,
    "DescribeFailure": FailureEmail,
}
