"""Fails loudly when a moto upgrade moves an internal the local runtime hooks (albrecon/local/hooks.py)."""

import inspect
from importlib.metadata import version

import moto
from moto.athena.responses import AthenaResponse
from moto.core.responses import BaseResponse
from moto.sns.models import Topic
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory


def test_moto_is_the_pinned_version():
    assert version("moto") == "5.2.5", "re-check every hook in albrecon/local/hooks.py, then update the pin"
    assert moto.mock_aws


def test_response_dispatch_hooks_exist():
    assert list(inspect.signature(BaseResponse.call_action).parameters) == ["self"]
    assert list(inspect.signature(BaseResponse.serialized).parameters) == ["self", "action_result"]
    assert callable(BaseResponse._enrich_response)
    assert isinstance(BaseResponse.boto3_service_name, property)


def test_lambda_integration_calls_invoke_on_the_client_boto_client_for_gives():
    """hooks.InProcessLambda stands in for that client: moto reads the answer's FunctionError and
    Payload (a stream), and keeps InvocationResponse's fields as the task's result."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    source = inspect.getsource(lambda_eval_utils)
    assert source.count("boto_client_for(") == 2 and source.count("lambda_client.invoke(**parameters)") == 2
    assert "payload_streaming_body.read()" in inspect.getsource(lambda_eval_utils._from_payload)
    assert 'invocation_resp.get("FunctionError")' in source


def test_the_local_runtime_does_not_load_moto_lambda():
    import subprocess
    import sys

    probe = "import sys, albrecon.local.runtime\nassert 'moto.awslambda' not in sys.modules\n"
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_athena_response_methods_exist():
    for name in ("start_query_execution", "get_query_execution", "get_query_results", "stop_query_execution"):
        assert list(inspect.signature(getattr(AthenaResponse, name)).parameters) == ["self"]


def test_step_functions_interpreter_hooks_exist():
    assert list(inspect.signature(state_task_factory.state_task_service_for).parameters) == ["service_name"]
    assert branches_decl.CustomErrorName and iteration_worker.CustomErrorName


def test_retrier_sleeps_through_its_time_module():
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    assert "time.sleep(" in inspect.getsource(retrier_decl)


def test_sns_keeps_sent_notifications():
    assert "sent_notifications" in inspect.getsource(Topic.__init__)


def test_batch_service_is_deferred_and_still_builds_the_real_one():
    """albrecon/local/lazy_moto.py: moto.ec2 stays unloaded until a Batch task is built."""
    import importlib.util
    import subprocess
    import sys

    from albrecon.local.lazy_moto import BATCH_SERVICE_MODULE

    assert importlib.util.find_spec(BATCH_SERVICE_MODULE.rsplit(".", 1)[0]) is not None
    probe = (
        "import sys, albrecon.local.runtime\n"
        "from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import "
        "state_task_service_factory as f\n"
        "assert 'moto.ec2' not in sys.modules and 'moto.batch' not in sys.modules\n"
        "service = f.state_task_service_for('batch')\n"
        "assert type(service).__name__ == 'StateTaskServiceBatch' and 'moto.batch' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_botocore_sessions_build_their_loader_through_create_loader():
    import botocore.session

    assert "create_loader(self.get_config_variable('data_path'))" in inspect.getsource(
        botocore.session.Session
    )


def test_execution_end_is_reflected_through_the_worker_communication():
    """hooks.ExecutionEnds is signalled from BaseExecutionWorkerCommunication.terminated."""
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

    assert "_reflect_execution_status" in inspect.getsource(BaseExecutionWorkerCommunication.terminated)
    assert "exec_arn" in inspect.signature(Execution.__init__).parameters


def test_moto_loads_its_service_models_through_its_module_create_loader():
    """hooks: moto.core.utils.create_loader is shared (one loader, one listing of the services)."""
    from moto.core import utils

    assert "loader = create_loader()" in inspect.getsource(utils._load_service_model)


def test_dynamodb_internals_the_speed_hooks_replace():
    """hooks: the validator copies with the module's deepcopy, walks with traverse, sizes items
    in LimitedSizeDict, projects with find_nested_key; the JSON serializer has the method replaced."""
    from moto.core.serialize import BaseJSONSerializer
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.parsing import ast_nodes, validators

    assert "self.node_to_validate = deepcopy(expression)" in inspect.getsource(validators.Validator.__init__)
    assert "return self.traverse_node_recursively(node)" in inspect.getsource(
        ast_nodes.DepthFirstTraverser.traverse
    )
    assert "405000" in inspect.getsource(dynamo_type.LimitedSizeDict.__setitem__)
    assert "self.attrs = LimitedSizeDict()" in inspect.getsource(dynamo_type.Item.__init__)
    assert "find_nested_key(expr, self.to_regular_json())" in inspect.getsource(dynamo_type.Item.project)
    assert "_serialize_type_structure" in vars(BaseJSONSerializer)


def test_step_functions_internals_the_speed_hooks_replace():
    """hooks: moto parses JSONPaths with each module's `parse`, builds integration clients with
    each module's `boto_client_for`, and makes a KMS key's private key with its module's function."""
    from moto.kms import models as kms_models
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.utils import json_path

    assert "input_expr = parse(path)" in inspect.getsource(json_path.extract_json)
    assert "result_expr = parse(self.result_path_src)" in inspect.getsource(result_path.ResultPath._eval_body)
    assert "boto_client_for(" in inspect.getsource(lambda_eval_utils)
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

    body = inspect.getsource(boto_client_for).split(") -> BaseClient:", 1)[1]
    assert "state_credentials" not in body  # the client is the same whatever the task's credentials
    assert "self.private_key = generate_private_key(self.key_spec)" in inspect.getsource(
        kms_models.Key.__init__
    )
    uses = [line for line in inspect.getsource(kms_models).splitlines() if "private_key" in line]
    assert all("generate_private_key" in line or "key.private_key." in line for line in uses), uses


def test_every_patch_says_its_purpose_and_its_target_exists():
    """One table (hooks.patches): each entry replaces an attribute moto (or botocore) has, says why,
    and is sorted by purpose, so a moto upgrade shows at once which patch lost its target."""
    from albrecon.local import hooks

    table = hooks.patches(
        engine=None,
        functions=dict,
        faults=hooks.FaultInjector(),
        retry_clock=hooks.RetryClock(scale=1.0, timeout_scale=1.0, wait_scale=1.0),
        execution_ends=hooks.ExecutionEnds(),
    )
    assert {p.kind for p in table} == set(hooks.PATCH_KINDS)
    for patch in table:
        assert hasattr(patch.target, patch.attribute), (patch.target, patch.attribute)
        assert patch.reason and patch.kind in hooks.PATCH_KINDS
    places = [(id(p.target), p.attribute) for p in table]
    assert len(places) == len(set(places))  # one patch per attribute


def test_the_speed_patches_can_be_switched_off(monkeypatch):
    """ALBRECON_LOCAL_SPEED_PATCHES=off runs moto's own code (make test runs the pipeline's e2e
    tests so as well: a speed patch must never change an answer)."""
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser

    from albrecon.local import hooks
    from albrecon.local.runtime import PLACEHOLDER_PARAMETERS, LocalAws

    own = DepthFirstTraverser.traverse
    monkeypatch.setenv(hooks.SPEED_PATCHES_VARIABLE, "off")
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS):
        assert DepthFirstTraverser.traverse is own
    monkeypatch.setenv(hooks.SPEED_PATCHES_VARIABLE, "on")
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS):
        assert DepthFirstTraverser.traverse is not own


def test_the_fast_query_keeps_to_what_moto_query_is_given_and_how_its_answer_is_read():
    """dynamodb_fast_query.py replaces Table.query with moto's signature and the helpers it names,
    and gives the table's own items uncopied: the one caller (the backend, for DynamoHandler.query)
    only reads them into the answer."""
    from pathlib import Path

    from moto.dynamodb import responses
    from moto.dynamodb.models import table

    assert list(inspect.signature(table.Table.query).parameters) == [
        "self", "hash_key", "range_comparison", "range_objs", "limit", "exclusive_start_key",
        "scan_index_forward", "projection_expressions", "index_name", "consistent_read",
        "filter_expression", "hash_key_conditions", "range_key_conditions", "filter_kwargs",
    ]  # fmt: skip
    assert callable(table.Table._generate_attr_to_sort_by) and callable(table.Table._get_last_evaluated_key)
    assert table.RESULT_SIZE_LIMIT == 1_000_000
    assert "results = copy.deepcopy(results)" in inspect.getsource(table.Table.query)
    package = Path(table.__file__).parent.parent
    callers = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        for line in path.read_text().splitlines()
        if "table.query(" in line
    ]
    assert callers == ["models/__init__.py"]
    reading = inspect.getsource(responses.DynamoHandler.query)
    assert 'result["Items"] = [item.attrs for item in items]' in reading and "DynamoResult(result)" in reading


def test_dynamodb_requests_are_parsed_and_answers_converted_where_the_hooks_replace():
    from moto.core.parse import BaseJSONParser, JSONParser
    from moto.dynamodb import responses
    from moto.dynamodb.models import utilities

    assert list(inspect.signature(BaseJSONParser._parse_structure).parameters) == ["self", "shape", "value"]
    assert JSONParser._parse_structure is BaseJSONParser._parse_structure
    assert responses.dynamo_to_dict is utilities.dynamo_to_dict
    assert "dynamo_to_dict(result)" in inspect.getsource(responses.DynamoResult.__init__)
