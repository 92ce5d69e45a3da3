"""Runs the template's Lambda functions in-process, as declared: Handler, CodeUri, Environment."""

from __future__ import annotations

import copy
import importlib
import io
import json
import os
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import iam
from .template import Resolver, Template


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that Powertools and handlers read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"
    function_version: str = "$LATEST"

    def __post_init__(self) -> None:
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class FunctionError(RuntimeError):
    """A handler raised: Lambda's "Unhandled" function error, with the error type and message."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message

    def payload(self) -> dict:
        return {"errorType": self.error_type, "errorMessage": self.message}


@dataclass
class LocalFunction:
    logical_id: str
    name: str
    arn: str
    handler: str
    code_dir: Path
    environment: dict[str, str]
    memory: int
    timeout: int
    stdout: list[str] = field(default_factory=list)  # what the handler printed: EMF metrics, prints
    role_arn: str | None = None  # the execution role its AWS calls are made as (iam.py)
    log_group_arn: str = ""  # where Lambda writes what the function logs, as its role
    tracing: bool = False  # Tracing: Active - Lambda sends X-Ray segments as its role

    def telemetry_needs(self) -> list[tuple[str, str]]:
        """What Lambda does with the execution role at each invocation besides the handler's calls
        (AWSLambdaBasicExecutionRole's and AWSXrayWriteOnlyAccess's reason to be)."""
        needs = [
            ("logs:CreateLogStream", f"{self.log_group_arn}:log-stream:local"),
            ("logs:PutLogEvents", f"{self.log_group_arn}:log-stream:local"),
        ]
        if self.tracing:
            needs += [("xray:PutTraceSegments", "*"), ("xray:PutTelemetryRecords", "*")]
        return needs

    def metrics(self) -> list[dict]:
        """The CloudWatch embedded-metric-format documents the function printed."""
        return [json.loads(line) for line in self.stdout if line.startswith('{"_aws"')]

    def invoke(self, event: Any) -> Any:
        module_name, function_name = self.handler.rsplit(".", 1)
        context = LambdaContext(self.name, self.arn, self.memory, self.timeout)
        # Lambda passes JSON: a deep copy through JSON keeps handlers from sharing objects with callers.
        payload = json.loads(json.dumps(event))
        printed = io.StringIO()
        with _environment(self.environment), _on_path(self.code_dir), iam.acting_as(self.role_arn):
            handler = getattr(importlib.import_module(module_name), function_name)
            try:
                with _stdout_of_this_thread(printed):
                    result = handler(payload, context)
            except Exception as error:
                raise FunctionError(type(error).__name__, str(error)) from error
            finally:
                self.stdout.extend(printed.getvalue().splitlines())
                iam.deliver_telemetry(self.telemetry_needs())
        return json.loads(json.dumps(result, default=str)) if result is not None else None


class _ThreadStdout(io.TextIOBase):
    """``sys.stdout`` while a handler runs: what its thread prints is the function's output; what
    other threads print - the CLI following an execution from the main thread - goes where it went
    before. (``contextlib.redirect_stdout`` swaps stdout for every thread, so progress lines the
    CLI printed while a state's Lambda ran were lost in that function's output.) An object that
    kept this stream beyond the invocation - a logger made on import - writes to the function's
    buffer, as it did before."""

    def __init__(self, previous, buffer: io.StringIO) -> None:
        self._previous = previous
        self._buffer = buffer
        self._thread = threading.get_ident()
        self.active = True

    def _target(self):
        if self.active and threading.get_ident() != self._thread:
            return self._previous
        return self._buffer

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()


@contextmanager
def _stdout_of_this_thread(buffer: io.StringIO):
    previous = sys.stdout
    stream = _ThreadStdout(previous, buffer)
    sys.stdout = stream
    try:
        yield
    finally:
        stream.active = False
        sys.stdout = previous


def functions_from_template(template: Template, resolver: Resolver) -> dict[str, LocalFunction]:
    defaults = template.function_globals()
    functions = {}
    for logical_id, resource in template.of_type("AWS::Serverless::Function").items():
        props = {**copy.deepcopy(defaults), **resource.get("Properties", {})}
        env = dict(resolver.resolve(defaults.get("Environment", {}).get("Variables", {})))
        env.update(
            resolver.resolve(resource.get("Properties", {}).get("Environment", {}).get("Variables", {}))
        )
        name = resolver.refs.get(logical_id, logical_id)
        log_group = resolver.resolve(props.get("LoggingConfig", {}).get("LogGroup") or f"/aws/lambda/{name}")
        functions[logical_id] = LocalFunction(
            logical_id=logical_id,
            name=name,
            arn=resolver.attributes.get((logical_id, "Arn"), name),
            handler=props["Handler"],
            code_dir=(template.path.parent / props["CodeUri"]).resolve(),
            environment={k: str(v) for k, v in env.items()},
            memory=int(props.get("MemorySize", 128)),
            timeout=int(props.get("Timeout", 3)),
            log_group_arn=f"arn:aws:logs:{resolver.region}:{resolver.account}:log-group:{log_group}",
            tracing=props.get("Tracing") == "Active",
        )
    return functions


@contextmanager
def _environment(values: dict[str, str]):
    """The function's variables, set for its invocation and left set: the local stack sets every
    function variable once before anything runs (LocalAws), so an invocation only changes values.
    Adding or removing a key while another thread iterates ``os.environ`` - botocore does, for its
    proxy settings, whenever a client is made - raises KeyError or RuntimeError in that thread."""
    for key, value in values.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
    yield


@contextmanager
def _on_path(directory: Path):
    entry = str(directory)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added:
            sys.path.remove(entry)
