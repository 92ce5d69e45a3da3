"""The few places where the local runtime plugs into moto (pinned: see pyproject.toml).

moto executes real ASL (``execute_state_machine``) but its Lambda backend needs Docker and its
Step Functions interpreter treats Athena as an unsupported optimised integration. These hooks
fill exactly those gaps, and add fault injection. Internals used, all checked by
tests/local/test_moto_hooks.py, which fails loudly when an upgrade moves one:

- ``moto.core.responses.BaseResponse.call_action``: wrapped to inject faults (the Nth call of a
  service action answers with an AWS error, serialised by moto for the service's protocol via
  ``BaseResponse.serialized(ActionResult(ServiceException(code, message)))``).
- Step Functions' Lambda integrations get an in-process Lambda client from ``boto_client_for``
  (below): its ``invoke`` runs the template's function and answers as botocore does (StatusCode,
  Payload as a stream, ``FunctionError: Unhandled`` with the error payload; AWS errors, injected
  faults included, as ``ClientError`` with the status code Lambda's model gives the error). moto's
  Lambda service (Docker) is never reached, nor imported (with ECR, IAM and X.509: ~40 ms a run).
- ``moto.athena.responses.AthenaResponse.start_query_execution / get_query_execution /
  get_query_results / stop_query_execution``: answered by the embedded engine.
- ``moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_factory.
  state_task_service_for``: returns :class:`StateTaskServiceAthena` for ``athena`` resources,
  which supports ``startQueryExecution`` (request-response and ``.sync``) and the other calls;
  its ``.sync`` loop stands in for ``StateTaskServiceCallback._eval_integration_pattern``, which
  in moto 5.2.5 calls ``interrupt_all()`` on a task-token endpoint that .sync-only services lack.
- ``CustomErrorName`` as named in ``...state_parallel.branches_decl`` and
  ``...state_map.iteration.iteration_worker``: moto 5.2.5 re-raises a branch's or iteration's
  error as a custom error name, which refuses ``States.*`` names (``States.TaskFailed`` from a
  failed Athena query inside the Parallel state crashed the interpreter). Replaced by a factory
  that keeps ``States.*`` names as states errors, as AWS reports them.
- ``moto.stepfunctions.parser.asl.component.common.retry.retrier_decl.time``: the module's clock,
  so Retry back-off can be recorded and scaled down in tests (the intervals asked for are kept).
- ``moto.stepfunctions.parser.asl.component.common.timeouts.timeout.TimeoutSeconds._eval_seconds``:
  scaled by :class:`RetryClock`'s ``timeout_scale`` so tests reach a state's ``TimeoutSeconds``
  (moto enforces it in real time around every task) in a fraction of the real time.
- ``moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function.WaitFunction.
  _wait_interval``: Wait states wait ``wait_scale`` of their time (the seconds asked are recorded);
  moto's own loop re-enters waiting until whole seconds have passed, so it is replaced, not scaled.
- ``moto.sns.models.Topic.sent_notifications``: read to capture published messages.
- ``moto.stepfunctions.parser.asl.parse.asl_parser.AmazonStateLanguageParser.parse``: memoised per
  definition text. moto parses a definition (ANTLR, pure Python, ~0.2 s for ours) when the state
  machine is created and again for every execution; the parsed program holds no per-execution
  state (that lives in the execution's environment), so one parse serves every execution. The
  program is also pickled to the user's cache (``~/.cache/albrecon``), so a new process skips
  the parse; moto's backend uses only the program of ``parse``'s (program, tree) answer.
- ``botocore.session.create_loader``: memoised per data path, so the sessions of a run (boto3's
  default, moto's, the X-Ray SDK's) share one loader and its cache of the packaged JSON models
  instead of each parsing ``endpoints.json`` and the service models again (~0.2 s a run); and
  ``moto.core.utils.create_loader`` (moto's own loader, with its extra search path): one per
  process instead of one per service model moto loads, each of which listed the available
  services again (~9,000 ``stat`` calls, ~0.1 s a run).
- ``moto.dynamodb.parsing.expressions.UpdateExpressionParser.make``: memoised per expression
  text (the recorder sends the same UpdateExpression for every ENI; moto parses it twice per call
  and its validator deep-copies the tree before touching it), and
  ``moto.dynamodb.parsing.validators.ActionCountValidator.traverse``: the one-clause-per-kind check
  made once at the root instead of at every nested node. Together about 30 % of a replayed event.
- ``moto.dynamodb.parsing.ast_nodes.DepthFirstTraverser.traverse``: the same depth-first walk as
  ``traverse_node_recursively``, with each node class's ``isinstance`` answers (``Node`` is an
  ABC: every check went through ``abc.__instancecheck__``) and its processor in the traverser's
  ``_processing_map`` looked up once per class; ``OverlappingPathsValidator.traverse``: checked
  once at the root, moto's walk only when the root fails (to raise moto's own error); and
  ``moto.dynamodb.parsing.validators.deepcopy``: a pickle round trip, which copies the same object
  graph (shared references and the parent cycles included) in C. Moto's update validator walks
  the tree ten times and copies it once per UpdateItem: together about 35 % of a replayed event.
- ``moto.core.serialize.BaseJSONSerializer._serialize_type_structure``: a DynamoDB
  ``AttributeValue`` made only of S, N, BOOL, NULL, SS, NS, M and L is written as the JSON moto's
  generic serializer makes of it (the same dict: one member, strings as strings) without walking
  its ten members through the attribute picker; anything else (B, BS, an unexpected shape) goes
  to moto's own code. The walk cost ~0.4 ms an item of a Query: FindEnis reads 20,000 at 5,000 ALBs.
- ``moto.core.parse.BaseJSONParser._parse_structure``: the same for requests - a plain DynamoDB
  AttributeValue is the dict moto's parser would build of it; and ``dynamo_to_dict`` as named in
  ``moto.dynamodb.responses``: an answer's items converted by the branch each exact type takes in
  moto's function, without its checks (binary values go to moto's).
- ``moto.dynamodb.models.table.Table.query`` (with ``_generate_attr_to_sort_by`` and
  ``_get_last_evaluated_key``): each page's items sorted by their converted key values and its start
  found by bisection, instead of sorting ``DynamoType`` objects and walking every earlier page item
  by item (``dynamodb_fast_query.py``; the plain shapes only, anything else goes to moto).
- ``moto.dynamodb.models.dynamo_type.Item.project``: for a ProjectionExpression of distinct
  top-level names, the item is turned into plain JSON once instead of once per name (moto's
  ``find_nested_key`` and ``merge_dicts`` still pick the attributes); nested paths go to moto.
- ``moto.dynamodb.models.dynamo_type.DynamoType.size``: the same byte counts by the same rules
  (numbers by their text, strings and binaries by their bytes, booleans and nulls 1, sets, lists
  and maps summed with their keys), without the type tests and the copy of each map member.
- ``moto.dynamodb.models.dynamo_type.Item.__init__``: the same attributes and the same 405,000
  byte check, as a running total instead of moto's re-summing of the whole item at each attribute.
- ``moto.stepfunctions.parser.backend.execution.BaseExecutionWorkerCommunication.terminated``:
  wrapped to signal :class:`ExecutionEnds` once moto has recorded an execution's end.
- ``boto_client_for`` as named in the ``moto.stepfunctions`` modules that import it (the Lambda,
  SNS, ... integrations; the Athena one here): one client per region and service while the hooks
  are in place, instead of a new boto3 client for every task (twice per Athena ``.sync`` task);
  for ``lambda``, the in-process client above.
- ``parse`` as named in ``moto.stepfunctions.parser.asl.utils.json_path`` and ``...common.path.
  result_path``: memoised per path. jsonpath_ng builds a new PLY parser for every parse, and moto
  parses a state's paths again at every visit; a parsed path is only read afterwards.
- ``moto.kms.models.generate_private_key``: a key's private key is made when Sign, Verify or
  GetPublicKey first uses it, not when the key is created (moto makes an RSA-2048 key even for a
  symmetric key; DynamoDB's default encryption creates one: 10-100 ms of every run).
- ``moto.s3.models.S3Backend.put_object``: objects written to the stack's own buckets (the day's
  ENI table) are mirrored to files, so the embedded Athena reads what the Lambdas wrote.
- ``moto.s3.models.S3Backend.list_objects_v2 / get_object``: the data directory's buckets
  (``<data>/s3/<bucket>/``) answer S3 calls too - the listed page and the object asked for are
  loaded from the files on demand - so the Lambdas see the same objects as the embedded Athena.
  (Continuation tokens over such a bucket are not supported: one page per call.)
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import json
import os
import pickle
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar
from unittest import mock

import botocore.loaders
import botocore.session
from moto.athena.responses import AthenaResponse
from moto.core import loaders as moto_loaders
from moto.core import utils as moto_core_utils
from moto.core.exceptions import ServiceException
from moto.core.parse import BaseJSONParser
from moto.core.responses import ActionResult, BaseResponse
from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import dynamo_type
from moto.dynamodb.models import table as dynamodb_table
from moto.dynamodb.models.utilities import bytesize, find_nested_key
from moto.dynamodb.parsing import validators as dynamodb_validators
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node
from moto.dynamodb.parsing.expressions import UpdateExpressionParser
from moto.dynamodb.parsing.validators import ActionCountValidator, OverlappingPathsValidator
from moto.kms import models as kms_models
from moto.s3.models import S3Backend
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
    CustomErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_callback,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
    ResourceCondition,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

from . import dynamodb_fast_query as fast_query
from . import dynamodb_fast_update as fast_update
from . import iam
from .athena import AthenaEngine, AthenaError
from .lambdas import FunctionError, LocalFunction


class LocalServiceError(ServiceException):
    """An AWS error raised here; moto serialises it in the called service's protocol.

    (Defined outside the ``moto`` package so moto does not look for a moto service named after
    the module.)
    """


@dataclass
class Fault:
    service: str  # boto3 service name: "athena", "sns", "dynamodb", "lambda", ...
    action: str  # API action: "StartQueryExecution", "Publish", "Query", "Invoke", ...
    code: str
    message: str
    on_calls: set[int]  # 1-based call numbers of that action that fail


@dataclass
class FaultInjector:
    """Make chosen calls of a service action fail with an AWS error, e.g. the 1st and 2nd Publish."""

    faults: list[Fault] = field(default_factory=list)
    calls: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    injected: list[tuple[str, str, int, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(
        self,
        service: str,
        action: str,
        code: str,
        message: str = "injected fault",
        on_calls: Iterator[int] | int = 1,
    ) -> None:
        calls = {on_calls} if isinstance(on_calls, int) else set(on_calls)
        self.faults.append(Fault(service, action, code, message, calls))

    def check(self, service: str, action: str) -> Fault | None:
        with self._lock:
            self.calls[(service, action)] += 1
            number = self.calls[(service, action)]
            for fault in self.faults:
                if fault.service == service and fault.action == action and number in fault.on_calls:
                    self.injected.append((service, action, number, fault.code))
                    return fault
        return None


class StateTaskServiceAthena(state_task_service_callback.StateTaskServiceCallback):
    """Step Functions' optimised Athena integration, as AWS documents it.

    ``startQueryExecution`` request-response returns ``{"QueryExecutionId"}``; ``.sync`` waits
    for the query and returns GetQueryExecution's output (``{"QueryExecution": {...}}``); a
    query that ends FAILED/CANCELLED fails the task with ``States.TaskFailed`` and the
    execution as cause. Client errors fail the task as ``Athena.<ErrorCode>``.
    """

    # per action, as the Step Functions Athena integration documents them
    _PARAMETERS: ClassVar[dict[str, set[str]]] = {
        "startqueryexecution": {
            "QueryString",
            "ClientRequestToken",
            "QueryExecutionContext",
            "ResultConfiguration",
            "WorkGroup",
            "ExecutionParameters",
            "ResultReuseConfiguration",
        },
        "getqueryexecution": {"QueryExecutionId"},
        "getqueryresults": {"QueryExecutionId", "NextToken", "MaxResults"},
        "stopqueryexecution": {"QueryExecutionId"},
    }

    def __init__(self) -> None:
        super().__init__(supported_integration_patterns={ResourceCondition.Sync})

    def _eval_integration_pattern(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        """The base class's .sync loop without its task-token listener: moto 5.2.5 dereferences that
        listener's endpoint even when the integration has none (``None.interrupt_all()``)."""
        task_output = env.stack.pop()
        self.timeout.eval(env=env)
        env.stack.pop()  # the state's TimeoutSeconds: the execution's own timeout still applies
        env.stack.append(task_output)
        resolve = self._build_sync_resolver(
            env, resource_runtime_part, normalised_parameters, state_credentials
        )
        while env.is_running():
            outcome = resolve()
            if outcome is not None:
                env.stack.append(outcome)
                return
            time.sleep(0.05)

    def _get_supported_parameters(self) -> set[str] | None:
        return self._PARAMETERS.get(self.resource.api_action.lower())

    def _client(self, resource_runtime_part, state_credentials):
        return _integration_client(
            region=resource_runtime_part.region, service="athena", state_credentials=state_credentials
        )

    def _from_error(self, env, ex: Exception) -> FailureEvent:
        from botocore.exceptions import ClientError

        if isinstance(ex, ClientError):
            code = ex.response["Error"]["Code"]
            error_name = f"Athena.{code}"
            cause = (
                f"{ex.response['Error'].get('Message', '')} (Service: AmazonAthena; "
                f"Status Code: {ex.response['ResponseMetadata'].get('HTTPStatusCode')}; Error Code: {code})"
            )
            return FailureEvent(
                env=env,
                error_name=CustomErrorName(error_name),
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(
                    taskFailedEventDetails=TaskFailedEventDetails(
                        error=error_name,
                        cause=cause,
                        resource=self._get_sfn_resource(),
                        resourceType=self._get_sfn_resource_type(),
                    )
                ),
            )
        return super()._from_error(env=env, ex=ex)

    def _eval_service_task(
        self, env, resource_runtime_part, normalised_parameters, state_credentials
    ) -> None:
        action = self._get_boto_service_action()
        client = self._client(resource_runtime_part, state_credentials)
        response = getattr(client, action)(**normalised_parameters)
        response.pop("ResponseMetadata", None)
        env.stack.append(json.loads(to_json_str(response)))

    def _build_sync_resolver(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        started = env.stack.pop()
        client = self._client(resource_runtime_part, state_credentials)
        query_id = started["QueryExecutionId"]

        def resolve() -> Any | None:
            execution = client.get_query_execution(QueryExecutionId=query_id)
            execution.pop("ResponseMetadata", None)
            state = execution["QueryExecution"]["Status"]["State"]
            if state in ("QUEUED", "RUNNING"):
                return None
            output = json.loads(to_json_str(execution))
            if state == "SUCCEEDED":
                return output
            raise FailureEventException(
                FailureEvent(
                    env=env,
                    error_name=StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed),
                    event_type=HistoryEventType.TaskFailed,
                    event_details=EventDetails(
                        taskFailedEventDetails=TaskFailedEventDetails(
                            resource=self._get_sfn_resource(),
                            resourceType=self._get_sfn_resource_type(),
                            error=StatesErrorNameType.StatesTaskFailed.to_name(),
                            cause=to_json_str(output),
                        )
                    ),
                )
            )

        return resolve


@dataclass
class RetryClock:
    """Stands in for ``time`` in moto's retrier: records each back-off, sleeps ``scale`` of it."""

    scale: float = 1.0
    timeout_scale: float = 1.0  # TimeoutSeconds of states and executions, scaled (tests: e.g. 0.001)
    # Wait states. Locally 0: a data directory does not change while the night waits for it.
    wait_scale: float = 1.0
    requested: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)  # the seconds each Wait state asked for
    on_wait: Callable[[float], None] | None = None  # tests: what changes "while" the state waits

    def sleep(self, seconds: float) -> None:
        self.requested.append(seconds)
        time.sleep(seconds * self.scale)

    def wait_interval(self, function: WaitFunction, env: Any, wait_seconds: int) -> None:
        """moto's Wait: interruptible by the execution's stop, for ``wait_scale`` of the time asked."""
        self.waits.append(wait_seconds)
        if self.on_wait is not None:
            self.on_wait(wait_seconds)
        if wait_seconds * self.wait_scale > 0:
            env.program_state_event.wait(wait_seconds * self.wait_scale)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


_ORIGINAL_PARSE = AmazonStateLanguageParser.parse


_shared_loader = functools.lru_cache(maxsize=8)(botocore.loaders.create_loader)
_shared_moto_loader = functools.cache(moto_loaders.create_loader)
_ORIGINAL_UPDATE_PARSE = UpdateExpressionParser.make.__func__


@functools.lru_cache(maxsize=256)
def _parsed_update_expression(expression: str):
    # Read-only afterwards: moto's validator works on a deep copy of the tree it is given.
    return fast_update.remember_text(_ORIGINAL_UPDATE_PARSE(UpdateExpressionParser, expression), expression)


def _action_counts_of_the_whole_expression(validator: ActionCountValidator, node):
    """At most one SET, REMOVE and ADD clause: counted once over the whole tree. moto counts again
    at every nested UpdateExpression node (quadratic in the number of actions); a subtree never
    holds more clauses than the whole, so the root's check decides alone, with the same error."""
    return validator.verify_action_counts(node)


_IS_NODE: dict[type, bool] = {}
_PROCESSOR: dict[tuple[type, type], Any] = {}  # (traverser class, node class) -> processing key
_NOT_PROCESSED = object()


def _depth_first(traverser: DepthFirstTraverser, root):
    """moto's ``traverse_node_recursively`` over the whole tree. A traverser class's
    ``_processing_map`` keys (and so which of them ``process`` picks for a node class) and
    ``isinstance(node, Node)`` are the same for every node of a class: looked up once per class."""
    traverser_class = type(traverser)
    processing_map = traverser._processing_map()
    own_process = traverser_class.process is not DepthFirstTraverser.process
    base = DepthFirstTraverser
    pre_processing = traverser_class.pre_processing_of_child is not base.pre_processing_of_child

    def processor_key(cls: type):
        key = (traverser_class, cls)
        if key not in _PROCESSOR:  # moto's `process`: the first class in the map's order that matches
            matching = [k for k in processing_map if issubclass(cls, k)]
            _PROCESSOR[key] = matching[0] if matching else _NOT_PROCESSED
        return _PROCESSOR[key]

    def walk(node, child_id: int = -1):
        cls = type(node)
        if cls not in _IS_NODE:
            _IS_NODE[cls] = isinstance(node, Node)
        if _IS_NODE[cls]:
            parent_node = node.parent
            children = node.children
            if children is not None:
                for i, child_node in enumerate(children):
                    if pre_processing:
                        traverser.pre_processing_of_child(node, i)
                    walk(child_node, i)
            key = processor_key(cls)
            if key is not _NOT_PROCESSED:
                node = traverser.process(node) if own_process else processing_map[key](node)
                node.parent = parent_node
                if parent_node:
                    parent_node.children[child_id] = node
        return node

    return walk(root)


def _overlapping_paths_checked_at_the_root(validator: OverlappingPathsValidator, root):
    """moto checks every nested UpdateExpression node (quadratic in the actions). A subtree's
    actions are a subset of the root's, so when the root passes every subtree passes; when it
    does not, moto's own bottom-up walk runs, to raise exactly the error moto raises."""
    try:
        return validator.check_for_overlapping_paths(root)
    except Exception:
        return _depth_first(validator, root)


def _copy_by_pickle(value: Any) -> Any:
    """``copy.deepcopy``'s result for the plain objects of moto's expression trees, in C."""
    try:
        return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))  # noqa: S301 - our own bytes
    except (pickle.PicklingError, TypeError, AttributeError):
        return copy.deepcopy(value)


_SCALAR_ATTRIBUTE_TYPES = {"S": str, "N": str, "BOOL": bool, "NULL": bool}
_ORIGINAL_JSON_STRUCTURE = BaseJSONSerializer._serialize_type_structure


def _plain_attribute_value(value: Any) -> dict | None:
    """What moto's JSON serializer writes for a DynamoDB AttributeValue; None: let moto decide."""
    if type(value) is not dict or len(value) != 1:
        return None
    ((kind, inner),) = value.items()
    if kind in _SCALAR_ATTRIBUTE_TYPES:
        return {kind: inner} if type(inner) is _SCALAR_ATTRIBUTE_TYPES[kind] else None
    if kind in ("SS", "NS"):
        return {kind: list(inner)} if type(inner) is list and all(type(v) is str for v in inner) else None
    if kind == "M" and type(inner) is dict:
        members = {name: _plain_attribute_value(member) for name, member in inner.items()}
        return None if any(m is None for m in members.values()) else {"M": members}
    if kind == "L" and type(inner) is list:
        elements = [_plain_attribute_value(element) for element in inner]
        return None if any(e is None for e in elements) else {"L": elements}
    return None


def _json_structure(serializer: BaseJSONSerializer, serialized, value, shape, key: str) -> None:
    if (
        key
        and shape.name == "AttributeValue"
        and serializer.operation_model.service_model.service_name == "dynamodb"
    ):
        plain = _plain_attribute_value(value)
        if plain is not None:
            serializer._default_serialize(serialized, plain, shape, key)
            return
    _ORIGINAL_JSON_STRUCTURE(serializer, serialized, value, shape, key)


_ORIGINAL_JSON_REQUEST_STRUCTURE = BaseJSONParser._parse_structure


def _json_request_structure(parser: BaseJSONParser, shape, value):
    """moto's request parser on a DynamoDB AttributeValue: for the plain types it answers the same
    dict (one member, strings and booleans as sent) after trying each of the ten members."""
    if shape.name == "AttributeValue" and parser.operation_model.service_model.service_name == "dynamodb":
        plain = _plain_attribute_value(value)
        if plain is not None:
            return plain
    return _ORIGINAL_JSON_REQUEST_STRUCTURE(parser, shape, value)


_ORIGINAL_DYNAMO_TO_DICT = dynamodb_responses.dynamo_to_dict


def _dynamo_to_dict(value: Any) -> Any:
    """moto's ``dynamo_to_dict`` (an answer's items as plain dicts) taking the branch each exact type
    reaches in it without its checks; binary values and anything else go to moto's own."""
    kind = type(value)
    if kind is str or kind is bool:
        return value
    if kind is dynamo_type.DynamoType and value.type not in ("B", "BS"):
        return {value.type: _dynamo_to_dict(value.value)}
    if kind is dict or kind is dynamo_type.LimitedSizeDict:  # an item's attributes: a dict to moto
        return {key: _dynamo_to_dict(member) for key, member in value.items()}
    if kind is list:
        return [_dynamo_to_dict(member) for member in value]
    return _ORIGINAL_DYNAMO_TO_DICT(value)


def _value_size(value: dynamo_type.DynamoType) -> int:
    """moto's ``DynamoType.size`` (an attribute's bytes, counted for the item and page limits) by
    the same rules, without its five type tests and a copy of every map member on each call."""
    kind, inner = value.type, value.value
    if kind == "N":
        return len(str(inner))
    if kind == "NS":
        return sum(len(str(member)) for member in inner)
    if kind in ("SS", "BS"):
        return sum(1 if isinstance(member, bool) else bytesize(member) for member in inner)
    if kind == "L":
        return sum(_value_size(v) if type(v) is dynamo_type.DynamoType else v.size() for v in inner)
    if kind == "M":
        return sum(
            bytesize(k)
            + (_value_size(v) if type(v) is dynamo_type.DynamoType else dynamo_type.DynamoType(v).size())
            for k, v in inner.items()
        )
    if isinstance(inner, bool):
        return 1
    return bytesize(inner)


_ORIGINAL_PROJECT = dynamo_type.Item.project
_ITEM_SIZE_LIMIT = 405000  # moto's LimitedSizeDict: "between 409 and 410KB" measured on AWS


def _new_item(item: dynamo_type.Item, hash_key, range_key, attrs: dict[str, Any]) -> None:
    """moto's ``Item.__init__``. Its LimitedSizeDict sums every key and value again at each
    insertion (quadratic in the attributes); into a new dict, with distinct keys, a running total
    is that same sum at every step, so the same insertion raises the same ItemSizeTooLarge."""
    item.hash_key = hash_key
    item.range_key = range_key
    item.attrs = dynamo_type.LimitedSizeDict()
    total = 0
    for key, value in attrs.items():
        typed = dynamo_type.DynamoType(value)
        total += bytesize(key) + typed.size()
        if total > _ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(item.attrs, key, typed)


def _round_trips(value: dynamo_type.DynamoType) -> bool:
    """A value moto's projection (to plain JSON and back) answers unchanged: a string, a boolean, a
    null. (Numbers come back respelt, ``1e2`` as ``1E+2``; sets reordered.)"""
    kind, inner = value.type, value.value
    return (
        (kind == "S" and type(inner) is str)
        or (kind == "BOOL" and type(inner) is bool)
        or (kind == "NULL" and inner is True)
    )


def _project(item: dynamo_type.Item, projection_expressions: list[list[str]]) -> dynamo_type.Item:
    names = [path[0] for path in projection_expressions if len(path) == 1 and "[" not in path[0]]
    if len(names) != len(projection_expressions) or len(set(names)) != len(names):
        return _ORIGINAL_PROJECT(item, projection_expressions)
    picked = [(name, item.attrs[name]) for name in names if name in item.attrs]
    if all(_round_trips(value) for _, value in picked):  # what moto's plain-JSON round trip keeps
        return dynamo_type.Item(
            hash_key=item.hash_key,
            range_key=item.range_key,
            attrs={name: {value.type: value.value} for name, value in picked},
        )
    plain = item.to_regular_json()
    result: dict[str, Any] = {}
    for path in projection_expressions:
        result.update(find_nested_key(path, plain))  # distinct top-level names: nothing to merge
    return dynamo_type.Item(
        hash_key=item.hash_key, range_key=item.range_key, attrs=dynamo_type.serializer.serialize(result)["M"]
    )


class ExecutionEnds:
    """Set when moto's worker reflects an execution's end (its status, output, error) - so a local
    run waits for that instead of polling DescribeExecution, whose answers (the whole input and
    output, through moto's serializer) took the GIL from the execution itself."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ended: dict[str, threading.Event] = {}

    def _event(self, execution_arn: str) -> threading.Event:
        with self._lock:
            return self._ended.setdefault(execution_arn, threading.Event())

    def ended(self, execution_arn: str) -> None:
        self._event(execution_arn).set()

    def wait(self, execution_arn: str, timeout: float) -> bool:
        return self._event(execution_arn).wait(timeout)


# The parsed program holds instances of this module's classes (the Athena task service): a cached
# program is only valid for this very module.
_THIS_MODULE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _parse_cache_file(definition: str) -> Path:
    """The user's own cache (never the data directory, which may come from anyone: it is a pickle),
    keyed by the definition, this module, moto's version and Python's."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "albrecon"
    key = hashlib.sha256(f"{definition}|{_THIS_MODULE}|{version('moto')}|{sys.version}".encode()).hexdigest()
    return root / f"asl-{key[:32]}.pickle"


@functools.lru_cache(maxsize=16)
def _parsed_definition(definition: str):
    """moto's ANTLR parse (~0.2 s, pure Python) once per machine per definition: the parsed
    program is kept on disk; moto uses only the program, never the parse tree, for ours."""
    cache = _parse_cache_file(definition)
    try:
        return pickle.loads(cache.read_bytes()), None  # noqa: S301 - written by the code below, in the user's cache
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError):
        pass
    program, tree = _ORIGINAL_PARSE(definition)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(pickle.dumps(program, protocol=pickle.HIGHEST_PROTOCOL))
        partial.replace(cache)  # atomic: a concurrent run reads the old file or the whole new one
    except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
        pass  # no cache: parsed again next time
    return program, tree


def _error_name(error_name: str) -> CustomErrorName | StatesErrorName:
    """States.* names stay states errors when they leave a Parallel branch or Map iteration."""
    if isinstance(error_name, str) and error_name.startswith("States."):
        return StatesErrorName.from_name(error_name)
    return CustomErrorName(error_name=error_name)


_ORIGINAL_CLIENT_FOR = boto_client_for


class InProcessLambda:
    """The Lambda client Step Functions' Lambda integrations call: ``invoke`` runs the template's
    function in this process, one invocation at a time (functions share ``os.environ``)."""

    def __init__(self, functions: Callable[[], dict[str, LocalFunction]], faults: FaultInjector) -> None:
        self._functions = functions
        self._faults = faults
        self._lock = threading.Lock()

    def invoke(self, FunctionName: str, Payload: bytes | str | None = None, **options: Any) -> dict:
        fault = self._faults.check("lambda", "Invoke")
        if fault is not None:
            raise _lambda_client_error(fault.code, fault.message)
        try:
            iam.check_call("lambda", "Invoke", {"FunctionName": FunctionName}, "")
        except iam.AccessDenied as denied:
            raise _lambda_client_error("AccessDeniedException", str(denied)) from None
        function = self._function(FunctionName, options.get("Qualifier"))
        if function is None:
            raise _lambda_client_error("ResourceNotFoundException", f"Function not found: {FunctionName}")
        event = json.loads(Payload) if Payload else {}
        response: dict[str, Any] = {"StatusCode": 200}
        with self._lock:
            try:
                result = function.invoke(event)
            except FunctionError as error:
                response["FunctionError"] = "Unhandled"
                body = json.dumps(error.payload()).encode()
            else:
                body = json.dumps(result).encode()
        response["Payload"] = io.BytesIO(body)
        return response

    def _function(self, identifier: str, qualifier: str | None) -> LocalFunction | None:
        """By name, ARN or partial ARN (``account:function:name``), with no qualifier or ``$LATEST``
        (the local stack has no versions or aliases), as Lambda's Invoke accepts it."""
        parts = identifier.split(":")
        if "function" in parts[:-1]:
            at = parts.index("function")
            prefix, name, rest = ":".join(parts[:at]), parts[at + 1], parts[at + 2 :]
        else:
            prefix, name, rest = "", parts[0], parts[1:]
        qualifiers = {q for q in (qualifier, rest[0] if rest else None) if q is not None}
        if len(rest) > 1 or qualifiers - {"$LATEST"}:
            return None
        for function in self._functions().values():
            if function.name != name:
                continue
            if (
                not prefix
                or function.arn == f"{prefix}:function:{name}"
                or function.arn.split(":")[4] == prefix
            ):
                return function
        return None


@dataclass
class _Integrations:
    """One installed() block's integration clients: made while its mock is on, dropped with it."""

    in_process_lambda: InProcessLambda
    clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_INSTALLED: list[_Integrations] = []  # the installed() blocks open now, innermost last


def _lambda_client_error(code: str, message: str):
    """The ClientError botocore raises for a Lambda error answer: the status code is the one
    Lambda's service model gives the error (ServiceException 500, ResourceNotFoundException 404...),
    400 for an error it does not model."""
    from botocore.exceptions import ClientError

    shape = botocore.session.get_session().get_service_model("lambda").shape_for_error_code(code)
    status = (shape.metadata.get("error") or {}).get("httpStatusCode", 400) if shape is not None else 400
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"RequestId": str(uuid.uuid4()), "HTTPStatusCode": status, "HTTPHeaders": {}},
        },
        "Invoke",
    )


def _integration_client(region: str, service: str, state_credentials: Any = None):
    """moto's ``boto_client_for``, one client per region and service while the hooks are in place:
    moto builds a new boto3 client for every task it runs (twice per Athena ``.sync`` task), and
    botocore clients are safe to share between threads. moto's function makes the same client
    whatever the task's credentials (the execution role, or a ``Credentials`` field): it ignores them.
    A task still running after its block closed (a test's timed-out execution) gets moto's own
    client, never one kept for a later block: a client made while no mock is on points at moto's
    server (localhost:5000), and kept, it would have answered the next block's tasks."""
    if not _INSTALLED:
        return _ORIGINAL_CLIENT_FOR(region=region, service=service, state_credentials=state_credentials)
    integrations = _INSTALLED[-1]
    role = getattr(state_credentials, "role_arn", None)  # the execution's role: its calls are made as it
    if service == "lambda":
        return iam.ActingClient(integrations.in_process_lambda, role)
    key = (region, service)
    with integrations.lock:
        if key not in integrations.clients:
            integrations.clients[key] = _ORIGINAL_CLIENT_FOR(region=region, service=service)
        return iam.ActingClient(integrations.clients[key], role)


def _modules_naming(value: Any, name: str, package: str) -> list:
    """The loaded modules of ``package`` whose global ``name`` is ``value`` (imported by name)."""
    return [
        module
        for module_name, module in list(sys.modules.items())
        if module_name.startswith(package) and vars(module).get(name) is value
    ]


_ORIGINAL_PRIVATE_KEY = kms_models.generate_private_key
# jsonpath_ng builds a new PLY parser (its LALR tables included) for every parse; moto parses each
# state's paths again at every visit. A parsed path is only read by find/update_or_create.
_parsed_json_path = functools.lru_cache(maxsize=1024)(json_path.parse)
_parsed_result_path = functools.lru_cache(maxsize=1024)(result_path.parse)


class _PrivateKeyOnFirstUse:
    """moto's KMS makes an RSA-2048 private key for every key it creates, symmetric ones included
    (10-100 ms each): DynamoDB's default encryption creates one per account and region. Only
    Sign, Verify and GetPublicKey use it; it is made on their first use, with the same spec."""

    def __init__(self, key_spec: str) -> None:
        self._key_spec = key_spec
        self._key = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_key_spec", "_key", "_lock"):
            raise AttributeError(name)
        with self._lock:
            if self._key is None:
                self._key = _ORIGINAL_PRIVATE_KEY(self._key_spec)
        return getattr(self._key, name)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(type(value).__name__)


@dataclass(frozen=True)
class Patch:
    """One replacement of moto's (or botocore's) code, and why it is there."""

    target: Any  # the class or module
    attribute: str
    replacement: Any
    # gap: what moto lacks (Athena, Docker-free Lambda, the data directory); clock: time scaled in
    # tests; fault: injected errors; speed: the same answer sooner (switchable off)
    kind: str
    reason: str


PATCH_KINDS = ("gap", "clock", "fault", "speed")
# "off": moto's own code instead of every speed patch - the answers must not change (CI checks)
SPEED_PATCHES_VARIABLE = "ALBRECON_LOCAL_SPEED_PATCHES"


def speed_patches_on() -> bool:
    return os.environ.get(SPEED_PATCHES_VARIABLE, "on").lower() != "off"


def patches(  # noqa: C901 - the table itself (its closures' branches count): one entry per patch, read top to bottom
    engine: AthenaEngine,
    functions: Callable[[], dict[str, LocalFunction]],
    faults: FaultInjector,
    retry_clock: RetryClock,
    execution_ends: ExecutionEnds | None = None,
) -> list[Patch]:
    """Every patch the local runtime installs, in order: one table a person (and a test) can read."""
    original_call_action = BaseResponse.call_action

    def call_action(self: BaseResponse):
        fault = faults.check(self.boto3_service_name, self._get_action())
        if fault is not None:
            status, headers, body = self.serialized(
                ActionResult(LocalServiceError(fault.code, fault.message))
            )
            headers["status"] = status
            headers, body = self._enrich_response(headers, body)  # a request id, as on moto's own errors
            return status, headers, body
        return original_call_action(self)

    def athena_answer(method: str) -> Callable:
        def answer(self: AthenaResponse) -> str:
            params = json.loads(self.body) if self.body else {}
            if method == "start_query_execution":
                workgroup = params.get("WorkGroup") or "primary"
                if workgroup != "primary" and not self.athena_backend.get_work_group(workgroup):
                    raise LocalServiceError("InvalidRequestException", f"WorkGroup {workgroup} is not found.")
            try:
                if method == "stop_query_execution":
                    return "{}"  # queries finish synchronously here
                return json.dumps(getattr(engine, method)(**params), default=_json_default)
            except AthenaError as error:
                code = (
                    "AccessDeniedException"
                    if error.kind == "AccessDeniedException"
                    else "InvalidRequestException"
                )
                raise LocalServiceError(code, str(error)) from None

        return answer

    original_factory = state_task_factory.state_task_service_for

    def state_task_service_for(service_name: str):
        return StateTaskServiceAthena() if service_name == "athena" else original_factory(service_name)

    original_seconds = TimeoutSeconds._eval_seconds

    def scaled_seconds(self: TimeoutSeconds, env) -> float:
        seconds = original_seconds(self, env)
        return seconds if self.is_default_value() else seconds * retry_clock.timeout_scale

    original_put_object = S3Backend.put_object

    def put_object(self, bucket_name: str, key_name: str, value: bytes, *args, **kwargs):
        stored = original_put_object(self, bucket_name, key_name, value, *args, **kwargs)
        if bucket_name in engine.stack_buckets:
            path = engine.local_path(f"s3://{bucket_name}/{key_name}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(bytes(value))
        return stored

    original_list = S3Backend.list_objects_v2
    original_get = S3Backend.get_object

    def from_disk(backend, bucket_name: str, keys: list[str]) -> None:
        root = engine.data_dir / "s3" / bucket_name
        for key in keys:  # always from the file: the data directory may change between runs
            original_put_object(backend, bucket_name, key, (root / key).read_bytes())

    def list_objects_v2(self, bucket, prefix, delimiter, continuation_token, start_after, max_keys, *a, **k):
        if bucket.name not in engine.stack_buckets:
            keys = engine.data_keys(bucket.name, prefix or "")
            keys = [key for key in keys if not start_after or key > start_after]
            from_disk(self, bucket.name, keys[: max_keys + 1])
        return original_list(
            self, bucket, prefix, delimiter, continuation_token, start_after, max_keys, *a, **k
        )

    def get_object(self, bucket_name: str, key_name: str, *args, **kwargs):
        if (
            bucket_name not in engine.stack_buckets
            and (engine.data_dir / "s3" / bucket_name / key_name).is_file()
        ):
            from_disk(self, bucket_name, [key_name])
        return original_get(self, bucket_name, key_name, *args, **kwargs)

    table = [
        Patch(
            BaseResponse,
            "call_action",
            call_action,
            "fault",
            "the Nth call of an action answers an AWS error",
        ),
        *(
            Patch(
                AthenaResponse, method, athena_answer(method), "gap", "Athena is the embedded DuckDB engine"
            )
            for method in (
                "start_query_execution",
                "get_query_execution",
                "get_query_results",
                "stop_query_execution",
            )
        ),
        Patch(
            state_task_factory,
            "state_task_service_for",
            state_task_service_for,
            "gap",
            "moto's interpreter has no Athena optimised integration (.sync)",
        ),
        *(
            Patch(
                module,
                "CustomErrorName",
                _error_name,
                "gap",
                "moto refuses States.* names re-raised by branches",
            )
            for module in (branches_decl, iteration_worker)
        ),
        Patch(retrier_decl, "time", retry_clock, "clock", "Retry back-off recorded and scaled in tests"),
        Patch(
            WaitFunction,
            "_wait_interval",
            lambda function, env, wait_seconds: retry_clock.wait_interval(function, env, wait_seconds),
            "clock",
            "Wait states wait a scaled share of their time",
        ),
        Patch(TimeoutSeconds, "_eval_seconds", scaled_seconds, "clock", "TimeoutSeconds scaled in tests"),
        Patch(
            S3Backend,
            "put_object",
            put_object,
            "gap",
            "the stack's buckets are written to the data directory",
        ),
        Patch(
            S3Backend,
            "list_objects_v2",
            list_objects_v2,
            "gap",
            "the data buckets are read from the data directory",
        ),
        Patch(
            S3Backend, "get_object", get_object, "gap", "the data buckets are read from the data directory"
        ),
        Patch(
            AmazonStateLanguageParser,
            "parse",
            staticmethod(_parsed_definition),
            "speed",
            "one ANTLR parse of a definition serves every execution",
        ),
        Patch(botocore.session, "create_loader", _shared_loader, "speed", "service models loaded once"),
        Patch(moto_core_utils, "create_loader", _shared_moto_loader, "speed", "moto's models loaded once"),
        Patch(
            UpdateExpressionParser,
            "make",
            classmethod(lambda cls, expression: _parsed_update_expression(expression)),
            "speed",
            "an update expression parsed once",
        ),
        Patch(
            ActionCountValidator,
            "traverse",
            _action_counts_of_the_whole_expression,
            "speed",
            "one pass instead of one per node",
        ),
        Patch(DepthFirstTraverser, "traverse", _depth_first, "speed", "an iterative traversal"),
        Patch(
            OverlappingPathsValidator,
            "traverse",
            _overlapping_paths_checked_at_the_root,
            "speed",
            "checked once at the root",
        ),
        Patch(dynamodb_validators, "deepcopy", _copy_by_pickle, "speed", "copies by pickle"),
        Patch(
            dynamodb_models,
            "UpdateExpressionValidator",
            fast_update.FastUpdateValidator,
            "speed",
            "plain SET / if_not_exists / REMOVE expressions decided without moto's ten walks",
        ),
        Patch(
            dynamodb_models,
            "UpdateExpressionExecutor",
            fast_update.FastUpdateExecutor,
            "speed",
            "... and applied as moto's executor applies them",
        ),
        Patch(BaseJSONSerializer, "_serialize_type_structure", _json_structure, "speed", "plain values fast"),
        Patch(BaseJSONParser, "_parse_structure", _json_request_structure, "speed", "plain values parsed"),
        Patch(dynamodb_responses, "dynamo_to_dict", _dynamo_to_dict, "speed", "items converted"),
        Patch(
            dynamodb_table.Table,
            "query",
            fast_query.query,
            "speed",
            "a Query's page found by converted keys and bisection, not object comparisons",
        ),
        Patch(dynamo_type.Item, "project", _project, "speed", "projection without re-conversion"),
        Patch(dynamo_type.DynamoType, "size", _value_size, "speed", "sizes by the same rules, fewer calls"),
        Patch(dynamo_type.Item, "__init__", _new_item, "speed", "an item built without re-summing its size"),
        Patch(json_path, "parse", _parsed_json_path, "speed", "a JSONPath parsed once"),
        Patch(result_path, "parse", _parsed_result_path, "speed", "a ResultPath parsed once"),
        Patch(
            kms_models, "generate_private_key", _PrivateKeyOnFirstUse, "speed", "an RSA key made only if used"
        ),
        *(
            Patch(
                module, "boto_client_for", _integration_client, "gap", "in-process Lambda, as the role (IAM)"
            )
            for module in _modules_naming(_ORIGINAL_CLIENT_FOR, "boto_client_for", "moto.stepfunctions.")
        ),
    ]
    if execution_ends is not None:
        original_terminated = BaseExecutionWorkerCommunication.terminated

        def terminated(communication: BaseExecutionWorkerCommunication) -> None:
            original_terminated(communication)
            execution_ends.ended(communication.execution.exec_arn)

        table.append(
            Patch(
                BaseExecutionWorkerCommunication,
                "terminated",
                terminated,
                "gap",
                "an execution's end is told",
            )
        )
    return table


@contextmanager
def installed(
    engine: AthenaEngine,
    functions: Callable[[], dict[str, LocalFunction]],
    faults: FaultInjector,
    retry_clock: RetryClock,
    execution_ends: ExecutionEnds | None = None,
) -> Iterator[None]:
    """Installs every patch of the table (the speed ones unless switched off) for the block."""
    speed = speed_patches_on()
    with ExitStack() as stack:
        integrations = _Integrations(InProcessLambda(functions, faults))
        _INSTALLED.append(integrations)
        stack.callback(_INSTALLED.remove, integrations)
        for patch in patches(engine, functions, faults, retry_clock, execution_ends):
            if patch.kind == "speed" and not speed:
                continue
            stack.enter_context(mock.patch.object(patch.target, patch.attribute, patch.replacement))
        yield
