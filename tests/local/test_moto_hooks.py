"""Fails loudly when a moto upgrade moves an internal the local runtime hooks (albrecon/local/hooks.py)."""

import inspect
from importlib.metadata import version

import moto
from moto.athena.responses import AthenaResponse
from moto.awslambda.models import LambdaBackend
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


def test_lambda_invoke_signature():
    params = list(inspect.signature(LambdaBackend.invoke).parameters)
    assert params == ["self", "function_name", "qualifier", "body", "headers", "response_headers"]


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
