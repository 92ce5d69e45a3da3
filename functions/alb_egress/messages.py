"""What people read: the alert e-mail for a day's mismatches and the pipeline-failure e-mail."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping

from .payloads import Email, FailureEmail
from .reconcile import ALERTED, PROBLEM_STATUSES, Status, is_alerted
from .timeutil import InvalidDate, parse_day

SUBJECT_MAX = 100  # SNS subject limit
MAX_LISTED = 50  # ALBs detailed in one alert e-mail
MAX_PROBLEMS_LISTED = 20  # run-level problems detailed in one (an Organization can have hundreds)
EXPLANATIONS = {
    Status.MISMATCH: "flow logs and the bill disagree beyond the tolerance",
    Status.MISSING_CUR: "the network sent data to the internet but the bill shows no ALB data transfer",
    Status.MISSING_FLOW_LOGS: "the bill charges data transfer but the flow logs of the ALB's ENIs show none",
}


def _gb(value: float) -> str:
    return f"{value:,.3f} GB"


def _money(value: float | None) -> str:
    return "n/a (no CUR rate)" if value is None else f"${value:,.2f}"


def _billed_versus_measured(r: Mapping) -> str:
    """The sign a FinOps reader reads: billed - measured, in % of what was measured and in $ at the
    bill's own rate ("billed 7.4 % more than measured: +$0.01 over-billed"). A day without a
    flow-log measurement is unmeasured billed money, not a mismatch's impact."""
    impact = r.get("estimated_impact_usd")
    if Status(r["status"]) is Status.MISSING_FLOW_LOGS:
        billed = _money(r.get("cur_unblended_cost"))
        return f"unmeasured: {billed} billed with no flow-log measurement (not a mismatch)"
    if impact is None:
        return "billed - measured in $: n/a (no CUR rate)"
    over = -impact  # estimated_impact_usd is measured - billed
    if over == 0:
        return "billed as measured"
    share = (r["cur_gb"] - r["flow_log_gb"]) / r["flow_log_gb"] * 100 if r["flow_log_gb"] > 0 else None
    how = (
        f"{abs(share):.1f} % {'more' if over > 0 else 'less'} than measured"
        if share is not None
        else "differently"
    )
    cents = round(abs(over) * 100)
    amount = f"{'+' if over > 0 else '-'}${cents / 100:,.2f}" if cents else "less than $0.01"
    return f"billed {how}: {amount} {'over' if over > 0 else 'under'}-billed (at the CUR's effective rate)"


def _kind_and_date(kind: str, day: str) -> dict[str, dict[str, str]]:
    """The message attributes every e-mail has: what it is about, and which day."""
    return {
        "kind": {"DataType": "String", "StringValue": kind},
        "date": {"DataType": "String", "StringValue": day},
    }


def _subject(text: str) -> str:
    """SNS subjects: at most 100 characters of printable ASCII, no line breaks."""
    ascii_text = "".join(c if 32 <= ord(c) < 127 else "?" for c in text)
    return ascii_text if len(ascii_text) <= SUBJECT_MAX else ascii_text[: SUBJECT_MAX - 3] + "..."


def status_counts(results: Iterable[Mapping]) -> dict[str, int]:
    counts = Counter(str(r["status"]) for r in results)
    return {status.value: counts.get(status.value, 0) for status in Status}


# SNS delivers at most 10 message attributes to raw-delivery SQS subscribers (a message with more is
# not delivered to them: SNS developer guide, "Amazon SNS raw message delivery"): 10 at most here.
ATTRIBUTE_STATUSES = (
    Status.MISMATCH,
    Status.MISSING_CUR,
    Status.MISSING_FLOW_LOGS,
    Status.PENDING_CUR,
    Status.MATCH,
    Status.NO_TRAFFIC,
)


def message_attributes(
    day: str, counts: Mapping[str, int], kind: str, alerted: int | None = None
) -> dict[str, dict[str, str]]:
    """SNS message attributes, for subscription filter policies (e.g. only mismatch > 0): the ALB
    statuses one by one, the run-level problems' ALBs together (``problems``), and ``alerted``."""

    def number(value: int) -> dict[str, str]:
        return {"DataType": "Number", "StringValue": str(value)}

    attributes = _kind_and_date(kind, day)
    for status in ATTRIBUTE_STATUSES:
        attributes[status.value.lower()] = number(counts.get(status.value, 0))
    attributes["problems"] = number(sum(counts.get(s.value, 0) for s in PROBLEM_STATUSES))
    e_mailed = sum(counts.get(s.value, 0) for s in ALERTED) if alerted is None else alerted
    attributes["alerted"] = number(e_mailed)
    return attributes


def alert(  # noqa: C901 - the e-mail body: a caveat per kind of doubt, in the order people read them
    day: str,
    results: list[Mapping],
    cur_covers_day: bool,
    console_url: str | None,
    problems: list[Mapping] | None = None,
    flow_log_damage: list[Mapping] | None = None,
) -> Email:
    """Subject, body and attributes for the day's run-level problems first, then its alerted ALBs."""
    problems = problems or []
    alerted = [
        r
        for r in results
        if is_alerted(Status(r["status"]), bool(r.get("below_min_impact")))
        and Status(r["status"]) not in PROBLEM_STATUSES
    ]
    counts = status_counts(results)
    worst = max(alerted, key=lambda r: abs(r["delta_gb"]), default=None)
    if problems:
        kinds = sorted({p["kind"] for p in problems})
        subject = _subject(f"ALB egress {day}: cannot reconcile - {', '.join(kinds)}")
    else:
        subject = _subject(
            f"ALB egress {day}: {len(alerted)} of {len(results)} ALBs need attention"
            + (f" (largest: {worst['load_balancer']} {worst['delta_gb']:+.2f} GB)" if worst else "")
        )
    lines = [f"ALB internet egress reconciliation for {day} (UTC)", ""]
    if len(problems) > MAX_PROBLEMS_LISTED:  # an e-mail (SNS: 256 KB) lists the first ones
        counts = Counter(p["kind"] for p in problems)
        lines += [
            f"{len(problems)} problems ({', '.join(f'{n} {k}' for k, n in sorted(counts.items()))}); "
            f"the first {MAX_PROBLEMS_LISTED}:",
            "",
        ]
    for problem in problems[:MAX_PROBLEMS_LISTED]:  # what the data cannot support comes first
        affected = sum(1 for r in results if r["status"] == problem["kind"] and _in_place(r, problem))
        place = f" (account {problem['account']}, {problem['region']})" if problem.get("account") else ""
        lines += [
            f"PROBLEM {problem['kind']}{place}: {problem['detail']}",
            f"    fix: {problem['fix']}",
            f"    {affected} ALBs are not compared because of it.",
            "",
        ]
    below_limit = [d for d in flow_log_damage or [] if not d.get("over_limit")]
    if below_limit:
        lines += [
            "Flow-log records that cannot be real (lines that do not parse, impossible values) were "
            "excluded from the bytes and counted: "
            + "; ".join(
                f"account {d['account']} {d['region']}: {d['damaged_records']:,} of "
                f"{d['damaged_records'] + d['records']:,}"
                for d in below_limit[:MAX_PROBLEMS_LISTED]
            ),
            "",
        ]
    lines += [
        f"{len(alerted)} of {len(results)} watched ALBs need attention. "
        "Flow GB = bytes of the ALB's ENIs to the internet in VPC Flow Logs / 2^30; "
        "CUR GB = DataTransfer-Out-Bytes billed for the ALB's ARN (AWSELB, or AmazonEC2 on older bills).",
        "",
    ]
    # Largest deltas first; an e-mail (and SNS's 256 KB) has room for the worst ones only.
    listed = sorted(alerted, key=lambda r: abs(r["delta_gb"]), reverse=True)[:MAX_LISTED]
    for r in listed:
        status = Status(r["status"])
        pct = "n/a" if r["delta_pct"] is None else f"{r['delta_pct']:+.2f} %"
        lines += [
            f"■ {r['load_balancer']}  —  {status.value}: {EXPLANATIONS[status]}",
            f"    flow logs  {_gb(r['flow_log_gb'])}  ({r['flow_log_bytes']:,} bytes, {r['eni_count']} ENIs)",
            f"    CUR        {_gb(r['cur_gb'])}  ({_money(r['cur_unblended_cost'])} unblended)",
            f"    delta      {r['delta_gb']:+,.3f} GB  ({pct})",
            f"    {_billed_versus_measured(r)}",
            f"    {r['load_balancer_arn']}",
        ]
        if r.get("skipdata_records"):
            lines.append(
                f"    caveat: {r['skipdata_records']} SKIPDATA flow-log records - records were lost, "
                "so flow GB is a lower bound"
            )
        if r.get("damaged_records"):
            lines.append(
                f"    caveat: {r['damaged_records']} flow-log records of its ENIs cannot be real and were "
                "excluded, so flow GB may be low"
            )
        if r.get("flow_logs_not_counted"):
            lines.append(
                f"    caveat: its ENIs are recorded by more than one flow log: counted "
                f"{r.get('flow_logs_counted') or '?'}, not counted {r['flow_logs_not_counted']} "
                "(never summed)"
            )
        if r["eni_count"] == 0:
            lines.append(
                "    caveat: no ENI of this ALB is in the inventory for the day - check the recorder"
            )
        if r.get("cloudfront_gb") or r.get("aws_service_gb"):
            lines.append(
                "    not compared (not internet on the bill): "
                f"to CloudFront {_gb(r.get('cloudfront_gb') or 0)}, "
                f"to other AWS public IPs {_gb(r.get('aws_service_gb') or 0)}"
            )
        if r.get("cur_inter_region_gb"):
            lines.append(
                f"    the bill's inter-region transfer (*-AWS-Out-Bytes): {_gb(r['cur_inter_region_gb'])}"
            )
        if r.get("cur_same_region_gb"):
            lines.append(
                "    the bill's transfer to public IPs of the same region (DataTransfer-Regional-Bytes out): "
                f"{_gb(r['cur_same_region_gb'])}"
            )
        if r.get("egress_split") is False:
            lines.append(
                "    caveat: the flow log's format has no pkt-dst-aws-service, so bytes to CloudFront and to "
                "AWS public IPs could not be told apart and count as internet egress"
            )
        lines.append("")
    if len(alerted) > len(listed):
        lines += [
            f"... and {len(alerted) - len(listed)} more ALBs (albrecon history --days 1 lists them all).",
            "",
        ]
    lines.append("All ALBs: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    if not cur_covers_day:
        lines.append("The CUR does not cover the whole day yet; ALBs with traffic are PENDING_CUR.")
    if console_url:
        lines += ["", f"Execution: {console_url}"]
    lines += [
        "",
        "What to do: a MISMATCH above a few percent usually means traffic on ENIs the inventory "
        "does not know, missing flow-log files, or billing adjustments. Re-run the day after the "
        'CUR settles (24-48 h) with input {"date": "' + day + '"}.',
    ]
    return {
        "subject": subject,
        "message": "\n".join(lines),
        "attributes": message_attributes(
            day,
            counts,
            "mismatch",
            alerted=sum(
                1 for r in results if is_alerted(Status(r["status"]), bool(r.get("below_min_impact")))
            ),
        ),
    }


def failure_reason(cause: str) -> str | None:
    """The engine's own words in a failure's cause: a failed Athena query's cause is its whole
    QueryExecution (~3 KB of JSON) with the reason - "Input is not a GZIP stream: <file>",
    "Bytes scanned limit was exceeded" - near the end; a Lambda error's is errorType/errorMessage."""
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        return None
    if not isinstance(parsed, dict):
        return None
    execution = parsed.get("QueryExecution")
    if isinstance(execution, dict):
        status = execution.get("Status") or {}
        reason = (status.get("AthenaError") or {}).get("ErrorMessage") or status.get("StateChangeReason")
        if reason:
            return f"Athena query {execution.get('QueryExecutionId', '')} {status.get('State', '')}: {reason}"
    if parsed.get("errorMessage"):
        return f"{parsed.get('errorType', 'Error')}: {parsed['errorMessage']}"
    return None


def failure(day: str | None, state: str, error: str, cause: str, console_url: str | None) -> FailureEmail:
    label = day or "unknown day"
    subject = _subject(f"ALB egress reconciliation FAILED for {label} in {state}: {error}")
    reason = failure_reason(cause)
    lines = [
        f"The reconciliation pipeline failed for {label}.",
        "",
        *([f"reason: {reason[:2000]}", ""] if reason else []),  # the engine's words first
        f"state: {state}",
        f"error: {error}",
        f"cause: {cause[:3000]}",
    ]
    if console_url:
        lines += ["", f"Execution: {console_url}"]
    lines += ["", 'Fix the cause, then re-run the day from the console with input {"date": "' + label + '"}.']
    return {
        "subject": subject,
        "message": "\n".join(lines),
        "attributes": _kind_and_date("pipeline_failed", label),
        # the execution's own cause (the console, `albrecon local --json`): which state, what error
        "cause": (f"{state} failed for {label}: {error}: " + (f"{reason} | " if reason else "") + cause)[
            :32_000
        ],
    }


def failure_of_run(
    state: object, execution_input: object, given_failure: object, console_url: str | None
) -> FailureEmail:
    """The failure e-mail from what the state machine hands Notify: the state at the failure (its
    ``failure.<State> = {Error, Cause}``, and ``plan.date`` once Plan ran; else ``given_failure``)
    and the execution's input. Anything of another shape reads as unknown; a date that does not
    validate is never echoed (it may be hostile)."""
    at_failure = state if isinstance(state, dict) else {}
    failed = at_failure.get("failure") or given_failure
    failed = failed if isinstance(failed, dict) else {}
    state_name, details = next(iter(failed.items()), (None, None))
    details = details if isinstance(details, dict) else {}
    plan = at_failure.get("plan")
    day = plan.get("date") if isinstance(plan, dict) else None
    if not day and isinstance(execution_input, dict):
        day = execution_input.get("date")
    try:
        day = parse_day(day).isoformat()
    except InvalidDate:
        day = None
    return failure(
        day,
        str(state_name or "unknown state"),
        str(details.get("Error", "unknown error")),
        str(details.get("Cause", "")),
        console_url,
    )


def _in_place(result: Mapping, problem: Mapping) -> bool:
    return not problem.get("account") or (
        result.get("account_id"),
        result.get("region"),
    ) == (problem["account"], problem["region"])


def console_url(execution_arn: str | None) -> str | None:
    if not execution_arn or not execution_arn.startswith("arn:"):
        return None
    region = execution_arn.split(":")[3]
    return (
        f"https://{region}.console.aws.amazon.com/states/home?region={region}"
        f"#/v2/executions/details/{execution_arn}"
    )


def empty_scope(
    day: str, scope: Mapping[str, str], albs_out_of_scope: int, places: list, console_url: str | None
) -> Email:
    """No ALB of the inventory is in scope on ``day`` although it holds some: the scope parameters
    most likely name nothing that exists (a typo in Accounts, Regions or LoadBalancerNames)."""
    subject = _subject(
        f"ALB egress reconciliation for {day}: the scope matches none of {albs_out_of_scope} ALBs"
    )
    lines = [
        f"No ALB is reconciled for {day}: the stack's scope matches none of the {albs_out_of_scope} ALBs"
        " whose ENIs the inventory holds that day. Nothing was compared, nothing is blamed.",
        "",
        *(f"{name}: {value or '(empty: this stack' + chr(39) + 's own)'}" for name, value in scope.items()),
        "",
        "ALBs outside the scope on the day, by account and region:",
        *(f"  {account} {region}: {count}" for account, region, count in places),
        "",
        "Fix: correct Accounts / Regions / LoadBalancerNames (a stack update), then re-run the day"
        ' with input {"date": "' + day + '"}.',
    ]
    if console_url:
        lines += ["", f"Execution: {console_url}"]
    return {
        "subject": subject,
        "message": "\n".join(lines),
        "attributes": _kind_and_date("empty_scope", day),
    }
