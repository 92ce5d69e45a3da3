"""An in-process AWS built from `template.yaml` alone.

moto stands in for the control plane (DynamoDB, SQS, SNS, S3, Step Functions executing real
ASL); the template's Lambda functions run in-process with their declared Handler, CodeUri and
Environment; Athena is the embedded DuckDB engine over ``<data>/s3/...``. Everything is created
from the template's resource properties, so a local run exercises what `sam deploy` creates.
See hooks.py for the moto internals this relies on.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

from alb_egress.identity import ACCOUNT_RE, REGION_RE
from alb_egress.settings import BUCKET_RE

from . import hooks, iam
from .athena import SERDE_STORAGE, AthenaEngine, AthenaError, TableDef
from .execution import ExecutionReport, run_execution
from .lambdas import FunctionError, LocalFunction, functions_from_template
from .template import LOCAL_ACCOUNT, LOCAL_REGION, Resolver, Template, TemplateError

STACK_NAME = "albrecon-local"

# No X-Ray daemon here. EMF metrics stay on: each function's stdout is kept (LocalFunction.stdout).
LOCAL_FUNCTION_ENV = {
    "POWERTOOLS_TRACE_DISABLED": "true",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
}

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# For runs that never read the buckets (e.g. replaying CloudTrail events into the inventory).
PLACEHOLDER_PARAMETERS = {"FlowLogsBucket": "no-flow-logs", "CurBucket": "no-cur", "CurReportName": "none"}
# parameters.json may pin the pseudo parameters of the local stack (data laid out for a region).
PSEUDO_PARAMETERS = ("AWS::Region", "AWS::AccountId")

_DYNAMODB_CREATE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "SSESpecification",
    "StreamSpecification",
)


# step-functions/latest/dg/cw-logs.html, "IAM policies for logging to CloudWatch Logs"
STATE_MACHINE_LOG_DELIVERY = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)


@dataclass
class LocalAws:
    """Use as a context manager: ``with LocalAws(parameters) as aws: aws.invoke("Fn", event)``."""

    parameters: dict[str, str] = field(default_factory=dict)
    template: Template = field(default_factory=Template.load)
    function_env: dict[str, str] = field(default_factory=dict)
    data_dir: Path | None = None  # where s3://bucket/key lives: <data_dir>/s3/bucket/key
    retry_delay_scale: float = 1.0  # tests: 0 runs Retry back-offs instantly (still recorded)
    timeout_scale: float = 1.0  # tests: TimeoutSeconds scaled, e.g. 0.001 turns 1200 s into 1.2 s
    # Wait states pass at once (recorded in retry_clock.waits): what the night waits for - a CUR
    # refresh to finish - cannot happen to a data directory during a local run.
    wait_scale: float = 0.0
    functions: dict[str, LocalFunction] = field(default_factory=dict, init=False)
    resolver: Resolver = field(init=False)
    faults: hooks.FaultInjector = field(default_factory=hooks.FaultInjector, init=False)
    state_machines: dict[str, str] = field(default_factory=dict, init=False)  # logical id -> ARN
    # IAM by execution (iam.py): every call a function or the state machine makes is checked
    # against the policies `sam deploy` gives its role. Off only for tests of moto itself.
    enforce_iam: bool = True

    def __post_init__(self) -> None:
        self._stack = ExitStack()
        self._clients: dict[str, Any] = {}
        given = dict(self.parameters)
        self.region = given.pop("AWS::Region", LOCAL_REGION)
        self.account = given.pop("AWS::AccountId", LOCAL_ACCOUNT)
        if not ACCOUNT_RE.match(str(self.account)) or not REGION_RE.match(str(self.region)):
            raise TemplateError(f"not an AWS account and region: {self.account!r}, {self.region!r}")
        self.resolver = Resolver(
            parameters=self._parameter_values(given),
            account=self.account,
            region=self.region,
            conditions=self.template.conditions,
        )
        # moto answers every request as this account (its MOTO_ACCOUNT_ID), as AWS would the stack's.
        self._environment = _FAKE_CREDENTIALS | {"AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region}
        if self.account != LOCAL_ACCOUNT:  # moto's own default; without the override, assumed-role
            self._environment["MOTO_ACCOUNT_ID"] = self.account  # keys act in their role's account
        if self.data_dir is None:
            self.data_dir = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="albrecon-")))
        stack_dir = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="albrecon-stack-")))
        self.athena = AthenaEngine(Path(self.data_dir), stack_dir=stack_dir)
        self.execution_ends = hooks.ExecutionEnds()
        self.authorizer = iam.Authorizer(enabled=self.enforce_iam)
        self._kms_keys: dict[str, str] = {}  # queue / topic ARN -> its customer KMS key ARN
        self.athena.region, self.athena.account = self.region, self.account
        self.athena.authorize = iam.check_needs
        self.athena.bytes_scanned_cutoff = self._bytes_scanned_cutoff
        self.athena.workgroup_output = self._workgroup_output
        self.athena.lake_formation_governed = self.resolver.parameters.get("LakeFormationGrants") == "true"
        self.retry_clock = hooks.RetryClock(
            scale=self.retry_delay_scale, timeout_scale=self.timeout_scale, wait_scale=self.wait_scale
        )

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalAws:
        self._saved_env = {k: os.environ.get(k) for k in self._environment}
        os.environ.update(self._environment)
        self._stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        self._stack.enter_context(
            hooks.installed(
                self.athena, lambda: self.functions, self.faults, self.retry_clock, self.execution_ends
            )
        )
        self._stack.enter_context(iam.enforced(self.authorizer, self._call_context))
        try:
            self._provision()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def _workgroup_configuration(self, workgroup: str) -> dict:
        """The workgroup's configuration, as moto's Athena holds it."""
        from moto.athena.models import athena_backends

        found = athena_backends[self.account][self.region].get_work_group(workgroup) or {}
        return found.get("Configuration") or {}

    def _bytes_scanned_cutoff(self, workgroup: str) -> int | None:
        cutoff = self._workgroup_configuration(workgroup).get("BytesScannedCutoffPerQuery")
        return int(cutoff) if cutoff else None

    def _workgroup_output(self, workgroup: str) -> tuple[str | None, bool]:
        """The workgroup's query-result location and whether it overrides the caller's."""
        configuration = self._workgroup_configuration(workgroup)
        location = (configuration.get("ResultConfiguration") or {}).get("OutputLocation")
        return location, bool(configuration.get("EnforceWorkGroupConfiguration"))

    def _call_context(self, region: str) -> iam.CallContext:
        return iam.CallContext(
            region=region or self.region,
            account=self.account,
            athena_workgroup_of=lambda query_id: getattr(
                self.athena.executions.get(query_id), "workgroup", "primary"
            ),
            queue_kms_key=self._kms_keys.get,
            topic_kms_key=self._kms_keys.get,
        )

    def client(self, service: str):
        """One client per service (building one costs ~20 ms; they are safe to share across threads)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=self.region)
        return self._clients[service]

    # ------------------------------------------------------------------ provisioning
    def _parameter_values(self, given: dict[str, str]) -> dict[str, str]:
        values = {}
        for name, spec in self.template.parameters.items():
            if name in given:
                values[name] = str(given[name])
            elif "Default" in spec:
                values[name] = str(spec["Default"])
            else:
                raise TemplateError(f"template parameter {name} has no default: give it in parameters.json")
        unknown = sorted(set(given) - set(self.template.parameters))
        if unknown:
            raise TemplateError(f"unknown template parameters: {', '.join(unknown)}")
        return values

    def _physical_name(self, logical_id: str) -> str:
        return f"{STACK_NAME}-{logical_id}"

    def _provision(self) -> None:
        self.translated = iam.translated_template(self.template)
        self._role_arns = {
            logical_id: iam.role_arn(self.account, STACK_NAME, logical_id)
            for logical_id, resource in self.translated["Resources"].items()
            if resource["Type"] == "AWS::IAM::Role"
        }
        for logical_id, resource in self.template.resources.items():
            provision = getattr(self, "_provision_" + resource["Type"].replace("::", "_"), None)
            if provision is not None:
                provision(logical_id, resource.get("Properties", {}))
        self._provision_data_buckets()
        for logical_id in self.template.of_type("AWS::Serverless::Function"):
            name = self._physical_name(logical_id)
            self.resolver.refs[logical_id] = name
            self.resolver.attributes[(logical_id, "Arn")] = (
                f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"
            )
        self.functions = functions_from_template(self.template, self.resolver)
        for function in self.functions.values():
            function.environment.update(self._environment | LOCAL_FUNCTION_ENV | self.function_env)
            function.role_arn = self._role_arn_of(function.logical_id)
        # Every function variable exists before anything runs (lambdas._environment says why);
        # __exit__ puts back what was there before.
        for function in self.functions.values():
            for key, value in function.environment.items():
                if key not in self._saved_env:
                    self._saved_env[key] = os.environ.get(key)
                    os.environ[key] = value
        for logical_id, resource in self.template.of_type("AWS::Serverless::StateMachine").items():
            self._provision_state_machine(logical_id, resource.get("Properties", {}))
        roles = iam.roles_of(self.translated, self.resolver, STACK_NAME)
        self.authorizer.roles = {role.arn: role for role in roles.values()}
        for logical_id, resource in self.template.of_type("AWS::Serverless::StateMachine").items():
            self._check_state_machine_role(logical_id, resource.get("Properties", {}))
        member_template = self.template.path.parent / "member" / "template.yaml"
        if member_template.is_file():
            self.authorizer.member_roles = iam.member_roles(
                member_template,
                {"DiscoveryRoleName": self.resolver.parameters.get("MemberDiscoveryRoleName", "")},
            )

    def _role_arn_of(self, logical_id: str) -> str | None:
        role = iam.role_of(self.translated, logical_id)
        if role is not None:
            return self._role_arns[role]
        props = self.translated["Resources"][logical_id]["Properties"]
        given = props.get("Role") or props.get("RoleArn")
        return self.resolver.resolve(given) if given else None

    def role(self, logical_id: str) -> iam.Role:
        """The role of a function or state machine (or a role by its own logical id), as deployed."""
        arn = self._role_arns.get(logical_id) or self._role_arn_of(logical_id)
        return self.authorizer.roles[arn]

    def _provision_AWS_DynamoDB_Table(self, logical_id: str, props: dict) -> None:
        name = props.get("TableName") or self._physical_name(logical_id)
        args = {k: self.resolver.resolve(props[k]) for k in _DYNAMODB_CREATE_KEYS if k in props}
        if "SSESpecification" in args:  # CloudFormation's SSEEnabled is the API's Enabled
            sse = args["SSESpecification"]
            args["SSESpecification"] = {"Enabled": sse.get("SSEEnabled", False)} | {
                k: v for k, v in sse.items() if k in ("SSEType", "KMSMasterKeyId")
            }
        dynamodb = self.client("dynamodb")
        table = dynamodb.create_table(TableName=name, **args)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        self.resolver.refs[logical_id] = name
        self.resolver.attributes[(logical_id, "Arn")] = table["TableArn"]

    def _provision_AWS_SQS_Queue(self, logical_id: str, props: dict) -> None:
        name = props.get("QueueName") or self._physical_name(logical_id)
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        self.resolver.refs[logical_id] = url
        self.resolver.attributes[(logical_id, "QueueName")] = name
        self.resolver.attributes[(logical_id, "Arn")] = f"arn:aws:sqs:{self.region}:{self.account}:{name}"
        self._remember_kms_key(self.resolver.attributes[(logical_id, "Arn")], props)

    def _provision_AWS_SNS_Topic(self, logical_id: str, props: dict) -> None:
        arn = self.client("sns").create_topic(Name=props.get("TopicName") or self._physical_name(logical_id))[
            "TopicArn"
        ]
        self.resolver.refs[logical_id] = arn
        self.resolver.attributes[(logical_id, "TopicArn")] = arn
        self._remember_kms_key(arn, props)
        self.resolver.attributes[(logical_id, "TopicName")] = arn.rsplit(":", 1)[1]

    def _remember_kms_key(self, arn: str, props: dict) -> None:
        """A customer KMS key encrypting a queue or topic: senders need it too (iam.py)."""
        key = self.resolver.resolve(props.get("KmsMasterKeyId", ""))
        if isinstance(key, str) and key.startswith("arn:"):
            self._kms_keys[arn] = key

    def _provision_data_buckets(self) -> None:
        """The data directory's buckets exist in the local S3 too (their objects load on demand)."""
        s3 = self.client("s3")
        location = (
            {}
            if self.region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": self.region}}
        )
        root = Path(self.data_dir) / "s3"
        for folder in sorted(root.iterdir()) if root.is_dir() else []:
            if (
                folder.is_dir()
                and BUCKET_RE.match(folder.name)
                and folder.name not in self.athena.stack_buckets
            ):
                s3.create_bucket(Bucket=folder.name, **location)

    def _provision_AWS_S3_Bucket(self, logical_id: str, props: dict) -> None:
        name = props.get("BucketName") or self._physical_name(logical_id).lower()
        location = (
            {}
            if self.region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": self.region}}
        )
        self.client("s3").create_bucket(Bucket=name, **location)
        self.athena.stack_buckets.add(name)
        self.resolver.refs[logical_id] = name
        self.resolver.attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"

    def _provision_AWS_Logs_LogGroup(self, logical_id: str, props: dict) -> None:
        """Only its name and ARN: where the functions' logs go, which their roles must allow."""
        name = (
            self.resolver.resolve(props["LogGroupName"])
            if "LogGroupName" in props
            else self._physical_name(logical_id)
        )
        self.resolver.refs[logical_id] = name
        self.resolver.attributes[(logical_id, "Arn")] = (
            f"arn:aws:logs:{self.region}:{self.account}:log-group:{name}:*"
        )

    def _provision_AWS_Glue_Database(self, logical_id: str, props: dict) -> None:
        name = self.resolver.resolve(props["DatabaseInput"]["Name"])
        self.athena.databases.add(name.lower())
        self.resolver.refs[logical_id] = name

    def _provision_AWS_Glue_Table(self, logical_id: str, props: dict) -> None:
        """A table CloudFormation puts in the Glue catalog (not made by the night's DDL): Athena
        queries it as declared - columns, SerDe, location, partition projection."""
        spec = self.resolver.resolve(props["TableInput"])
        descriptor = spec.get("StorageDescriptor", {})
        serde = descriptor.get("SerdeInfo", {}).get("SerializationLibrary", "")
        if serde not in SERDE_STORAGE:
            raise TemplateError(f"{logical_id}: SerDe {serde!r} is not supported locally")
        table = TableDef(
            database=self.resolver.resolve(props["DatabaseName"]).lower(),
            name=spec["Name"].lower(),
            columns=[(c["Name"].lower(), c["Type"].lower()) for c in descriptor.get("Columns", [])],
            partition_keys=[(c["Name"].lower(), c["Type"].lower()) for c in spec.get("PartitionKeys", [])],
            location=descriptor["Location"],
            storage=SERDE_STORAGE[serde],
            parameters={k: str(v) for k, v in spec.get("Parameters", {}).items()},
        )
        try:
            self.athena.register_table(table)
        except AthenaError as error:
            raise TemplateError(f"{logical_id}: {error}") from None
        self.resolver.refs[logical_id] = table.name

    def _provision_AWS_Athena_WorkGroup(self, logical_id: str, props: dict) -> None:
        name = self.resolver.resolve(props["Name"])
        settings = self.resolver.resolve(props.get("WorkGroupConfiguration", {}))
        configuration: dict = {}
        if settings.get("BytesScannedCutoffPerQuery") not in (None, ""):
            configuration["BytesScannedCutoffPerQuery"] = int(settings["BytesScannedCutoffPerQuery"])
        if settings.get("ResultConfiguration", {}).get("OutputLocation"):
            configuration["ResultConfiguration"] = {
                "OutputLocation": settings["ResultConfiguration"]["OutputLocation"]
            }
        # not set: the client's settings win (athena/latest/ug/workgroups-settings-override.html)
        configuration["EnforceWorkGroupConfiguration"] = str(
            settings.get("EnforceWorkGroupConfiguration", "false")
        ).lower() in ("true", "1")
        self.client("athena").create_work_group(
            Name=name, Description=props.get("Description", ""), Configuration=configuration
        )
        self.resolver.refs[logical_id] = name

    def _provision_state_machine(self, logical_id: str, props: dict) -> None:
        if "DefinitionUri" not in props:
            raise TemplateError(f"{logical_id}: only DefinitionUri state machines are supported locally")
        text = (self.template.path.parent / props["DefinitionUri"]).read_text()
        for key, value in self.resolver.resolve(props.get("DefinitionSubstitutions", {})).items():
            text = text.replace("${" + key + "}", str(value))
        definition = json.loads(text)  # fails loudly on a substitution that broke the JSON
        name = props.get("Name") or self._physical_name(logical_id)
        arn = self.client("stepfunctions").create_state_machine(
            name=name,
            definition=json.dumps(definition),
            roleArn=self._role_arn_of(logical_id) or f"arn:aws:iam::{self.account}:role/{name}-role",
            type=props.get("Type", "STANDARD"),
        )["stateMachineArn"]
        self.state_machines[logical_id] = arn
        self.resolver.refs[logical_id] = arn
        self.resolver.attributes[(logical_id, "Name")] = name

    def _check_state_machine_role(self, logical_id: str, props: dict) -> None:
        """What Step Functions checks of the role when the state machine is created: with a
        LoggingConfiguration, the log-delivery actions (without them CreateStateMachine fails, so
        the deploy does); with tracing, the X-Ray writes (their lack only loses the traces)."""
        role = self._role_arn_of(logical_id)
        if role is None or not self.enforce_iam:
            return
        if props.get("Logging", {}).get("Destinations"):
            try:
                self.authorizer.check(role, [(action, "*") for action in STATE_MACHINE_LOG_DELIVERY])
            except iam.AccessDenied as denied:
                raise TemplateError(
                    f"{logical_id}: CreateStateMachine fails (AccessDeniedException): the state machine"
                    f" IAM role is not authorized to access the log destination ({denied})"
                ) from None
        if props.get("Tracing", {}).get("Enabled"):
            self.authorizer.deliver_telemetry(
                role, [("xray:PutTraceSegments", "*"), ("xray:PutTelemetryRecords", "*")]
            )

    # ------------------------------------------------------------------ use
    def invoke(self, logical_id: str, event: Any) -> Any:
        return self.functions[logical_id].invoke(event)

    def _translated_value(self, value: Any) -> Any:
        """A Ref/GetAtt of the translated template, including what SAM generated (roles)."""
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            name, attribute = value["Fn::GetAtt"]
            if attribute == "Arn" and name in self.functions:
                return self.functions[name].arn
            if attribute == "Arn" and name in self._role_arns:
                return self._role_arns[name]
        if isinstance(value, dict) and value.get("Ref") in self.state_machines:
            return self.state_machines[value["Ref"]]
        if isinstance(value, dict) and value.get("Ref") in self.functions:
            return self.functions[value["Ref"]].name
        return self.resolver.resolve(value)

    def invoke_async(self, logical_id: str, event: Any) -> Any:
        """Lambda's asynchronous invoke (Event): the function runs, is retried as its
        EventInvokeConfig says (MaximumRetryAttempts, default 2), and after the last failure Lambda
        sends the invocation record to the OnFailure destination - as the function's execution role
        (lambda/latest/dg/invocation-async-retain-records.html), which must therefore allow it."""
        function = self.functions[logical_id]
        config = next(
            (
                r["Properties"]
                for r in self.translated["Resources"].values()
                if r["Type"] == "AWS::Lambda::EventInvokeConfig"
                and r["Properties"]["FunctionName"] == {"Ref": logical_id}
            ),
            {},
        )
        attempts = 1 + int(config.get("MaximumRetryAttempts", 2))
        for _attempt in range(attempts):
            try:
                return function.invoke(event)
            except FunctionError as error:
                failure = error
        destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if destination is not None:
            record = {
                "version": "1.0",
                "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "requestContext": {
                    "requestId": str(uuid.uuid4()),
                    "functionArn": f"{function.arn}:$LATEST",
                    "condition": "RetriesExhausted",
                    "approximateInvokeCount": attempts,
                },
                "requestPayload": event,
                "responseContext": {
                    "statusCode": 200,
                    "executedVersion": "$LATEST",
                    "functionError": "Unhandled",
                },
                "responsePayload": failure.payload(),
            }
            arn = self._translated_value(destination)
            queue_url = self.client("sqs").get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
            with iam.acting_as(function.role_arn):
                self.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))
        return None

    def fire_schedule(self, logical_id: str) -> None:
        """One firing of an EventBridge Scheduler schedule, as Scheduler makes it: the target call
        as the schedule's role (a Lambda target asynchronously), and, when the call is refused,
        the event to the schedule's dead-letter queue as that role too
        (scheduler/latest/UserGuide/configuring-schedule-dlq.html)."""
        target = self.translated["Resources"][logical_id]["Properties"]["Target"]
        role, arn = self._translated_value(target["RoleArn"]), self._translated_value(target["Arn"])
        payload = json.loads(target.get("Input") or "{}")
        try:
            with iam.acting_as(role):
                if ":function:" in arn:
                    iam.check_needs([("lambda:InvokeFunction", arn)])
                    function = next(lid for lid, f in self.functions.items() if f.arn == arn)
                else:
                    self.client("stepfunctions").start_execution(
                        stateMachineArn=arn, input=json.dumps(payload)
                    )
                    return
        except (ClientError, iam.AccessDenied) as refused:
            dead_letters = target.get("DeadLetterConfig", {}).get("Arn")
            if dead_letters is None:
                raise
            url = self.client("sqs").get_queue_url(
                QueueName=self._translated_value(dead_letters).rsplit(":", 1)[-1]
            )
            with iam.acting_as(role):
                self.client("sqs").send_message(
                    QueueUrl=url["QueueUrl"],
                    MessageBody=json.dumps(payload),
                    MessageAttributes={
                        "ERROR_CODE": {"DataType": "String", "StringValue": type(refused).__name__}
                    },
                )
            return
        self.invoke_async(function, payload)

    def start_execution(
        self,
        logical_id: str,
        execution_input: Any = None,
        name: str | None = None,
        timeout: float = 120.0,
        read_history: bool = True,
    ) -> ExecutionReport:
        """Runs the state machine to its end and reports it like the console does (its outcome only,
        without ``read_history``)."""
        return run_execution(
            self.client("stepfunctions"),
            self.state_machines[logical_id],
            {} if execution_input is None else execution_input,
            name,
            timeout,
            wait_for_end=self.execution_ends.wait,
            read_history=read_history,
        )

    def published_messages(self, topic_logical_id: str) -> list[dict]:
        """What the topic received: subject, message and message attributes, in order."""
        from moto.sns.models import sns_backends

        topic = sns_backends[self.account][self.region].topics[self.ref(topic_logical_id)]
        return [
            {"message_id": mid, "message": message, "subject": subject, "attributes": attributes}
            for mid, message, subject, attributes, _group in topic.sent_notifications
        ]

    def table_items(self, logical_id: str) -> list[dict]:
        """Every item of a stack table, in DynamoDB's typed JSON, read from moto's table itself:
        the same items a Scan returns, without its serializer (~0.7 ms an item, 14 s at 20,000)."""
        table = self._moto_table(logical_id)
        return [item.to_json()["Attributes"] for item in table.all_items()]

    def table_items_under(self, logical_id: str, hash_key: str) -> list[dict]:
        """The items of a stack table under one (string) hash key, in typed JSON, read from moto's
        table itself: what a Query of that key returns, without its request and answer."""
        from moto.dynamodb.models.dynamo_type import DynamoType

        table = self._moto_table(logical_id)
        under = table.items.get(DynamoType({"S": hash_key}))
        if under is None:
            return []
        items = under.values() if table.range_key_attr else [under]
        return [item.to_json()["Attributes"] for item in items]

    def put_table_items(self, logical_id: str, items: list[dict]) -> None:
        """Puts typed-JSON items into a stack table through moto's own PutItem model (its checks
        of keys and types included), without BatchWriteItem's request round trips."""
        table = self._moto_table(logical_id)
        for item in items:
            table.put_item(item)

    def _moto_table(self, logical_id: str):
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[self.account][self.region].get_table(self.ref(logical_id))

    def ref(self, logical_id: str) -> str:
        return self.resolver.ref(logical_id)
