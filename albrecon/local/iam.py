"""IAM enforced by execution: every AWS call of a local run is made as the role AWS would make it as.

A Lambda's calls run as its function's role, a state machine integration's as the state machine's
role, a call with credentials from ``sts:AssumeRole`` as the assumed role, and an Athena query reads
the Glue catalog and S3 as the role that started it. Each call is checked against the policies
that ``sam deploy`` gives that role: the template translated by samtranslator (as ``sam deploy``
does), intrinsic functions resolved against the local stack. A call no statement allows, or one a
statement denies, fails as AWS fails it (``AccessDenied`` / ``AccessDeniedException``), so a test
that passes here does not fail on the first deploy for want of a permission.

Why our own evaluator and not moto's: moto's ``IAMPolicyStatement`` turns ``*`` into a regular
expression without escaping the rest (``.`` and ``?`` of an ARN match anything), compares actions
case-sensitively and checks resources for a handful of S3 calls only; ``policyuniverse`` and
``parliament`` expand or lint policies but do not evaluate requests. The rules implemented here are
the documented ones (IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements"):
an explicit Deny wins, else some Allow must match; ``Action``/``NotAction`` match case-insensitively
with ``*`` and ``?``; ``Resource``/``NotResource`` case-sensitively with ``*`` and ``?``. Conditions
are not evaluated: a statement with a ``Condition`` never allows here (none of ours needs one),
which errs towards failing locally, never towards passing.

What a call needs is the table below, from each service's "Actions, resources, and condition keys"
page of the Service Authorization Reference. An operation that a role makes and the table does not
know fails loudly (``LocalIamNotModelled``): nothing is let through unchecked.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .template import Resolver, Template

# The AWS managed policies the template attaches. Their statements are what AWS publishes; no
# local call uses them (logs and traces are not sent here), they are listed so nothing is unknown.
MANAGED_POLICIES: dict[str, list[dict]] = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
}

# The error code each service answers a denied call with, and its HTTP status.
DENIED_CODES: dict[str, str] = {
    "s3": "AccessDenied",
    "sqs": "AccessDenied",
    "sts": "AccessDenied",
    "sns": "AuthorizationError",
    "ec2": "UnauthorizedOperation",
}


class LocalIamNotModelled(RuntimeError):
    """A role made a call whose permissions this module does not know: add it to ``_REQUIREMENTS``."""


# ---------------------------------------------------------------------- policy evaluation
@functools.lru_cache(maxsize=4096)
def _pattern(text: str, ignore_case: bool) -> re.Pattern:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _matches(patterns: Any, value: str, ignore_case: bool) -> bool:
    return any(_pattern(p, ignore_case).fullmatch(value) for p in _listed(patterns))


@dataclass(frozen=True)
class Statement:
    label: str  # "<policy name>#<index>": where a person finds it in the translated template
    body: dict

    def applies(self, action: str, resource: str) -> bool:
        body = self.body
        if "Action" in body:
            action_ok = _matches(body["Action"], action, ignore_case=True)
        else:
            action_ok = not _matches(body.get("NotAction", []), action, ignore_case=True)
        if not action_ok:
            return False
        if "Resource" in body:
            return _matches(body["Resource"], resource, ignore_case=False)
        return not _matches(body.get("NotResource", []), resource, ignore_case=False)

    @property
    def effect(self) -> str:
        return self.body.get("Effect", "Deny")


@dataclass
class Role:
    logical_id: str
    arn: str
    statements: list[Statement]

    def decide(self, action: str, resource: str) -> tuple[bool, list[Statement]]:
        """(allowed, the Allow statements that allow it)."""
        applying = [s for s in self.statements if s.applies(action, resource)]
        if any(s.effect == "Deny" for s in applying):
            return False, []
        allowing = [s for s in applying if s.effect == "Allow" and "Condition" not in s.body]
        return bool(allowing), allowing


# ---------------------------------------------------------------------- the roles of the template
@functools.lru_cache(maxsize=8)
def _translated(template_text: str, definitions: tuple[tuple[str, str], ...]) -> str:
    """The template as ``sam deploy`` hands it to CloudFormation (JSON text, cached per template)."""
    from samtranslator.translator.transform import transform

    from .template import load_yaml

    body = json.loads(json.dumps(load_yaml(template_text)))
    body.setdefault("Globals", {}).setdefault("Function", {})["CodeUri"] = "s3://local/functions.zip"
    for logical_id, definition in definitions:
        props = body["Resources"][logical_id]["Properties"]
        props.pop("DefinitionUri", None)
        props["Definition"] = json.loads(definition)

    class _NoManagedPolicyNames:
        def load(self) -> dict:  # the template names its managed policies by ARN
            return {}

    saved = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = os.environ.get("AWS_REGION") or saved or "us-east-1"
    try:
        return json.dumps(
            transform(body, {"AWS::Region": os.environ["AWS_DEFAULT_REGION"]}, _NoManagedPolicyNames())
        )
    finally:
        if saved is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved


def translated_template(template: Template) -> dict:
    definitions = tuple(
        sorted(
            (logical_id, (template.path.parent / res["Properties"]["DefinitionUri"]).read_text())
            for logical_id, res in template.of_type("AWS::Serverless::StateMachine").items()
            if "DefinitionUri" in res.get("Properties", {})
        )
    )
    return json.loads(_translated(template.path.read_text(), definitions))


def role_arn(account: str, stack_name: str, logical_id: str) -> str:
    """The local ARN of a role CloudFormation names itself (IAM role names: 64 characters at most)."""
    return f"arn:aws:iam::{account}:role/{f'{stack_name}-{logical_id}'[:64]}"


def roles_of(translated: dict, resolver: Resolver, stack_name: str) -> dict[str, Role]:
    """Every AWS::IAM::Role of the translated template, its inline and managed policies resolved."""
    roles = {}
    for logical_id, resource in translated["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        props = resource["Properties"]
        name = props.get("RoleName")
        arn = (
            f"arn:aws:iam::{resolver.account}:role/{resolver.resolve(name)}"
            if name
            else role_arn(resolver.account, stack_name, logical_id)
        )
        statements = []
        for policy in props.get("Policies", []):
            resolved = resolver.resolve(policy)
            if not isinstance(resolved, dict):  # Fn::If that gave AWS::NoValue
                continue
            for index, body in enumerate(_listed_statements(resolved["PolicyDocument"])):
                if isinstance(body, dict):  # a statement behind Fn::If that gave AWS::NoValue is ""
                    statements.append(Statement(f"{resolved['PolicyName']}#{index}", _without_novalue(body)))
        for managed in resolver.resolve(props.get("ManagedPolicyArns", [])):
            if managed not in MANAGED_POLICIES:
                raise LocalIamNotModelled(f"{logical_id}: managed policy {managed} is not known locally")
            for index, body in enumerate(MANAGED_POLICIES[managed]):
                statements.append(Statement(f"{managed.rsplit('/', 1)[-1]}#{index}", body))
        KNOWN_STATEMENTS[logical_id].update(s.label for s in statements)
        dropped = os.environ.get(DROP_STATEMENT_VARIABLE, "")
        statements = [s for s in statements if f"{logical_id}:{s.label}" != dropped]
        roles[logical_id] = Role(logical_id, arn, statements)
    return roles


# "<role logical id>:<statement label>": the local stack is built without that one statement
# (benchmarks/iam_mutations.py removes each statement in turn and runs the suite against it)
DROP_STATEMENT_VARIABLE = "ALBRECON_IAM_DROP_STATEMENT"


def _listed_statements(document: dict) -> list[dict]:
    statement = document.get("Statement", [])
    return [statement] if isinstance(statement, dict) else list(statement)


def _without_novalue(body: dict) -> dict:
    return {
        key: [v for v in value if v != ""] if isinstance(value, list) else value
        for key, value in body.items()
        if value != ""
    }


def role_of(translated: dict, logical_id: str) -> str | None:
    """The logical id of the role a function or state machine of the translated template runs as."""
    props = translated["Resources"][logical_id]["Properties"]
    role = props.get("Role") or props.get("RoleArn")  # functions: Role; state machines: RoleArn
    if isinstance(role, dict) and "Fn::GetAtt" in role:
        target = role["Fn::GetAtt"]
        return target.split(".")[0] if isinstance(target, str) else target[0]
    return None


# ---------------------------------------------------------------------- who is calling
_acting = threading.local()


def current_principal() -> str | None:
    stack = getattr(_acting, "stack", None)
    return stack[-1] if stack else None


@contextmanager
def acting_as(principal_arn: str | None) -> Iterator[None]:
    """Calls made by this thread inside the block are made as ``principal_arn`` (None: the harness,
    which provisions the stack and plays the operator, and is not checked)."""
    stack = getattr(_acting, "stack", None)
    if stack is None:
        stack = _acting.stack = []
    stack.append(principal_arn)
    try:
        yield
    finally:
        stack.pop()


def _thread_start_as_its_starter(original_start: Callable[[threading.Thread], None]):
    """Thread.start that runs the new thread as the principal of the thread starting it: a Lambda's
    own thread pool (Diagnose lists and reads with 16 threads) calls AWS with the function's role,
    as in AWS. Without it those calls would have no principal, as the harness's, and go unchecked."""

    def start(thread: threading.Thread) -> None:
        principal = current_principal()
        if principal is not None:
            run = thread.run

            def run_as_starter() -> None:
                with acting_as(principal):
                    run()

            thread.run = run_as_starter  # type: ignore[method-assign]
        original_start(thread)

    return start


class ActingClient:
    """A client whose every call is made as ``principal_arn`` (Step Functions' integrations call
    AWS with the execution role's credentials)."""

    def __init__(self, client: Any, principal_arn: str | None) -> None:
        self._client = client
        self._principal = principal_arn

    @property
    def wrapped(self) -> Any:
        return self._client

    @property
    def principal(self) -> str | None:
        return self._principal

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with acting_as(self._principal):
                return attribute(*args, **kwargs)

        return call


# ---------------------------------------------------------------------- what a call needs
@dataclass(frozen=True)
class CallContext:
    region: str
    account: str
    athena_workgroup_of: Callable[[str], str]  # query execution id -> its workgroup
    queue_kms_key: Callable[[str], str | None]  # queue ARN -> its KMS key ARN (SSE-KMS), if any
    topic_kms_key: Callable[[str], str | None]


def _table_arn(ctx: CallContext, table: str) -> str:
    if table.startswith("arn:"):
        return table
    return f"arn:aws:dynamodb:{ctx.region}:{ctx.account}:table/{table}"


def _queue_arn(ctx: CallContext, url: str) -> str:
    if url.startswith("arn:"):
        return url
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{ctx.region}:{account}:{name}"


def _dynamodb_table(operation: str) -> Callable[[CallContext, dict], list[tuple[str, str]]]:
    def needs(ctx: CallContext, p: dict) -> list[tuple[str, str]]:
        arn = _table_arn(ctx, p["TableName"])
        if p.get("IndexName"):
            arn += f"/index/{p['IndexName']}"
        return [(f"dynamodb:{operation}", arn)]

    return needs


def _dynamodb_batch(operation: str) -> Callable[[CallContext, dict], list[tuple[str, str]]]:
    return lambda ctx, p: [(f"dynamodb:{operation}", _table_arn(ctx, t)) for t in p["RequestItems"]]


def _s3_object(action: str) -> Callable[[CallContext, dict], list[tuple[str, str]]]:
    return lambda ctx, p: [(action, f"arn:aws:s3:::{p['Bucket']}/{p['Key']}")]


def _s3_bucket(action: str) -> Callable[[CallContext, dict], list[tuple[str, str]]]:
    return lambda ctx, p: [(action, f"arn:aws:s3:::{p['Bucket']}")]


def _athena(action: str) -> Callable[[CallContext, dict], list[tuple[str, str]]]:
    def needs(ctx: CallContext, p: dict) -> list[tuple[str, str]]:
        workgroup = p.get("WorkGroup") or (
            ctx.athena_workgroup_of(p["QueryExecutionId"]) if "QueryExecutionId" in p else "primary"
        )
        return [(action, f"arn:aws:athena:{ctx.region}:{ctx.account}:workgroup/{workgroup}")]

    return needs


def _sqs_send(ctx: CallContext, p: dict) -> list[tuple[str, str]]:
    arn = _queue_arn(ctx, p["QueueUrl"])
    needs = [("sqs:SendMessage", arn)]
    key = ctx.queue_kms_key(arn)
    if key:  # SSE-KMS queue: the sender needs the key (SQS developer guide, "Key management")
        needs += [("kms:GenerateDataKey", key), ("kms:Decrypt", key)]
    return needs


def _sns_publish(ctx: CallContext, p: dict) -> list[tuple[str, str]]:
    arn = p["TopicArn"]
    needs = [("sns:Publish", arn)]
    key = ctx.topic_kms_key(arn)
    if key:  # SSE topic: the publisher needs the key (SNS developer guide, "Data encryption")
        needs += [("kms:GenerateDataKey", key), ("kms:Decrypt", key)]
    return needs


_REQUIREMENTS: dict[tuple[str, str], Callable[[CallContext, dict], list[tuple[str, str]]]] = {
    ("dynamodb", "Query"): _dynamodb_table("Query"),
    ("dynamodb", "Scan"): _dynamodb_table("Scan"),
    ("dynamodb", "GetItem"): _dynamodb_table("GetItem"),
    ("dynamodb", "PutItem"): _dynamodb_table("PutItem"),
    ("dynamodb", "UpdateItem"): _dynamodb_table("UpdateItem"),
    ("dynamodb", "DeleteItem"): _dynamodb_table("DeleteItem"),
    ("dynamodb", "DescribeTable"): _dynamodb_table("DescribeTable"),
    ("dynamodb", "BatchWriteItem"): _dynamodb_batch("BatchWriteItem"),
    ("dynamodb", "BatchGetItem"): _dynamodb_batch("BatchGetItem"),
    ("s3", "GetObject"): _s3_object("s3:GetObject"),
    ("s3", "HeadObject"): _s3_object("s3:GetObject"),
    ("s3", "PutObject"): _s3_object("s3:PutObject"),
    ("s3", "DeleteObject"): _s3_object("s3:DeleteObject"),
    ("s3", "ListObjectsV2"): _s3_bucket("s3:ListBucket"),
    ("s3", "ListObjects"): _s3_bucket("s3:ListBucket"),
    ("s3", "GetBucketLocation"): _s3_bucket("s3:GetBucketLocation"),
    ("sqs", "SendMessage"): _sqs_send,
    ("sns", "Publish"): _sns_publish,
    ("athena", "StartQueryExecution"): _athena("athena:StartQueryExecution"),
    ("athena", "GetQueryExecution"): _athena("athena:GetQueryExecution"),
    ("athena", "GetQueryResults"): _athena("athena:GetQueryResults"),
    ("athena", "StopQueryExecution"): _athena("athena:StopQueryExecution"),
    ("ec2", "DescribeNetworkInterfaces"): lambda ctx, p: [("ec2:DescribeNetworkInterfaces", "*")],
    ("sts", "AssumeRole"): lambda ctx, p: [("sts:AssumeRole", p["RoleArn"])],
    ("sts", "GetCallerIdentity"): lambda ctx, p: [],  # needs no permission (STS API reference)
    ("lambda", "Invoke"): lambda ctx, p: [("lambda:InvokeFunction", p["FunctionName"])],
    ("states", "StartExecution"): lambda ctx, p: [("states:StartExecution", p["stateMachineArn"])],
}


# ---------------------------------------------------------------------- the decision and its ledger
class AccessDenied(Exception):
    def __init__(self, principal: str, action: str, resource: str) -> None:
        super().__init__(
            f"User: {principal} is not authorized to perform: {action} on resource: {resource} "
            "because no identity-based policy allows the action"
        )
        self.principal, self.action, self.resource = principal, action, resource


@dataclass
class Ledger:
    """Which statements allowed which calls: a statement that was the only one allowing some call
    is one whose removal fails that call (``needed``); one that never allowed anything is a
    permission no run exercised (``used`` lacks it)."""

    used: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # role -> labels
    needed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    denied: list[tuple[str, str, str]] = field(default_factory=list)


LEDGER = Ledger()  # the whole process's: tests/conftest.py reports it at the end of the session
KNOWN_STATEMENTS: dict[str, set[str]] = defaultdict(set)  # role -> every statement label seen
# every stack's lost logs and traces, in order: tests/conftest.py fails a test that lost any
LOST_TELEMETRY: list[tuple[str, str, str]] = []


def unexercised_report(ledger: Ledger = LEDGER) -> list[str]:
    """One line per role: its statements that were never the only one allowing a call (removing
    one of those fails no call made so far), and those that allowed nothing at all."""
    lines = []
    for role in sorted(KNOWN_STATEMENTS):
        unneeded = sorted(KNOWN_STATEMENTS[role] - ledger.needed.get(role, set()))
        if unneeded:
            lines.append(f"{role}: {', '.join(unneeded)}")
    return lines


@dataclass
class Authorizer:
    """The roles of one local stack, and the principals its calls can be made as."""

    roles: dict[str, Role] = field(default_factory=dict)  # by ARN
    assumed: dict[str, str] = field(default_factory=dict)  # access key id -> role ARN
    member_roles: dict[str, Role] = field(default_factory=dict)  # by role name, in any account
    enabled: bool = True
    ledger: Ledger = field(default_factory=lambda: LEDGER)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # what AWS delivers on a role's behalf and drops, without failing anything, when the role may
    # not: a function's logs and traces, a state machine's traces (principal, action, resource)
    lost_telemetry: list[tuple[str, str, str]] = field(default_factory=list)

    def deliver_telemetry(self, principal: str | None, needs: list[tuple[str, str]]) -> None:
        """Lambda writes a function's logs and X-Ray segments with its execution role, Step Functions
        a state machine's traces with its role: a denial loses them silently on AWS, so here it is
        recorded in ``lost_telemetry``, never raised; the check marks the statement needed."""
        if principal is None or not self.enabled:
            return
        for need in needs:
            try:
                self.check(principal, [need])
            except AccessDenied as denied:
                self.lost_telemetry.append((principal, denied.action, denied.resource))
                LOST_TELEMETRY.append((principal, denied.action, denied.resource))

    def assumed_role(self, arn: str, access_key_id: str) -> None:
        """Credentials of ``arn`` were handed out: calls with them act as that role, which has the
        member stack's policies when the member stack creates a role of that name (else none)."""
        self.assumed[access_key_id] = arn
        member = self.member_roles.get(arn.rsplit("/", 1)[-1])
        if member is not None and arn not in self.roles:
            self.roles[arn] = Role(member.logical_id, arn, member.statements)

    def check(self, principal: str, needs: list[tuple[str, str]]) -> None:
        role = self.roles.get(principal)
        for action, resource in needs:
            if role is None:
                allowed, allowing = False, []
            else:
                allowed, allowing = role.decide(action, resource)
            key = role.logical_id if role else principal
            with self.lock:
                if not allowed:
                    self.ledger.denied.append((key, action, resource))
                    raise AccessDenied(_session_arn(principal), action, resource)
                self.ledger.used[key].update(s.label for s in allowing)
                if len(allowing) == 1:
                    self.ledger.needed[key].add(allowing[0].label)

    def needs_of(self, service: str, operation: str, params: dict, ctx: CallContext) -> list[tuple[str, str]]:
        requirement = _REQUIREMENTS.get((service, operation))
        if requirement is None:
            raise LocalIamNotModelled(f"{service}:{operation} is not modelled by the local IAM")
        return requirement(ctx, params)


def _session_arn(role: str) -> str:
    """The principal AWS names in an AccessDenied message: the assumed-role session."""
    match = re.fullmatch(r"arn:aws:iam::(\d{12}):role/(?:.*/)?([^/]+)", role)
    return f"arn:aws:sts::{match[1]}:assumed-role/{match[2]}/local" if match else role


def member_roles(member_template: Path, parameters: dict[str, str]) -> dict[str, Role]:
    """The member stack's roles (the discovery function assumes its DiscoveryRole in each member
    account), keyed by role name, with the member stack's parameters as the main stack gives them."""
    template = Template.load(member_template)
    resolver = Resolver(
        parameters={
            name: str(spec.get("Default", "member-parameter")) for name, spec in template.parameters.items()
        }
        | {k: v for k, v in parameters.items() if k in template.parameters},
        conditions=template.conditions,
    )
    roles = {}
    for logical_id, resource in template.of_type("AWS::IAM::Role").items():
        props = resource["Properties"]
        statements = [
            Statement(f"member {policy['PolicyName']}#{index}", _without_novalue(resolver.resolve(body)))
            for policy in props.get("Policies", [])
            for index, body in enumerate(_listed_statements(policy["PolicyDocument"]))
        ]
        name = resolver.resolve(props["RoleName"]) if "RoleName" in props else logical_id
        roles[str(name)] = Role(f"member {logical_id}", str(name), statements)
    return roles


def _client_credentials_key(client: Any) -> str | None:
    signer = getattr(client, "_request_signer", None)
    credentials = getattr(signer, "_credentials", None)
    return getattr(credentials, "access_key", None) if credentials is not None else None


def _denied_error(service: str, operation: str, message: str):
    from botocore.exceptions import ClientError

    return ClientError(
        {
            "Error": {"Code": DENIED_CODES.get(service, "AccessDeniedException"), "Message": message},
            "ResponseMetadata": {"RequestId": str(uuid.uuid4()), "HTTPStatusCode": 403, "HTTPHeaders": {}},
        },
        operation,
    )


_ACTIVE: list[tuple[Authorizer, Callable[[str], CallContext]]] = []  # the enforced() blocks open


def check_call(service: str, operation: str, params: dict, region: str, principal: str | None = None) -> None:
    """Checks one call made as ``principal`` (default: the role this thread acts as) against the
    innermost enforced() block; raises AccessDenied. For calls that are not botocore calls: the
    in-process Lambda invoke of Step Functions, the Athena engine's reads of Glue and S3."""
    principal = principal or current_principal()
    if not _ACTIVE or principal is None:
        return
    authorizer, context = _ACTIVE[-1]
    if not authorizer.enabled:
        return
    ctx = _context_of(context(region), principal)
    authorizer.check(principal, authorizer.needs_of(service, operation, params, ctx))


def check_needs(needs: list[tuple[str, str]], principal: str | None = None) -> None:
    """Checks (action, resource ARN) pairs directly (what Athena needs of Glue and S3)."""
    principal = principal or current_principal()
    if not _ACTIVE or principal is None or not _ACTIVE[-1][0].enabled:
        return
    _ACTIVE[-1][0].check(principal, needs)


def deliver_telemetry(needs: list[tuple[str, str]], principal: str | None = None) -> None:
    """Telemetry AWS sends as ``principal`` (default: this thread's), checked by the innermost
    enforced() block without ever failing the caller (Authorizer.deliver_telemetry)."""
    principal = principal or current_principal()
    if _ACTIVE:
        _ACTIVE[-1][0].deliver_telemetry(principal, needs)


def _context_of(ctx: CallContext, principal: str) -> CallContext:
    account = principal.split(":")[4] if principal.count(":") >= 5 else ""
    if account and account != ctx.account:  # a role acts in its own account (a member's, when assumed)
        return CallContext(ctx.region, account, ctx.athena_workgroup_of, ctx.queue_kms_key, ctx.topic_kms_key)
    return ctx


@contextmanager
def enforced(authorizer: Authorizer, context: Callable[[str], CallContext]) -> Iterator[None]:
    """Every botocore call made while the block is open is checked as its principal: the assumed
    role of its credentials, else the role this thread acts as (``acting_as``), else none (the
    harness). ``context(region)`` gives what resource ARNs are built from."""
    from unittest import mock

    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def make_api_call(client: BaseClient, operation_name: str, api_params: dict) -> Any:
        service = client.meta.service_model.signing_name or client.meta.service_model.service_name
        principal = authorizer.assumed.get(_client_credentials_key(client) or "") or current_principal()
        if principal is None or not authorizer.enabled:
            return original(client, operation_name, api_params)
        ctx = _context_of(context(client.meta.region_name), principal)
        try:
            authorizer.check(principal, authorizer.needs_of(service, operation_name, api_params, ctx))
        except AccessDenied as denied:
            raise _denied_error(service, operation_name, str(denied)) from None
        answer = original(client, operation_name, api_params)
        if (service, operation_name) == ("sts", "AssumeRole"):
            authorizer.assumed_role(api_params["RoleArn"], answer["Credentials"]["AccessKeyId"])
        return answer

    _ACTIVE.append((authorizer, context))
    try:
        with (
            mock.patch.object(BaseClient, "_make_api_call", make_api_call),
            mock.patch.object(
                threading.Thread, "start", _thread_start_as_its_starter(threading.Thread.start)
            ),
        ):
            yield
    finally:
        _ACTIVE.remove((authorizer, context))
