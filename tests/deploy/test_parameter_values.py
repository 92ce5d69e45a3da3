"""Parameter values that CloudFormation accepts must make a valid stack: the template's
AllowedPattern for the thresholds, the Lambdas' validation and the dashboard's JSON body agree."""

from __future__ import annotations

import json
import re

import pytest

from alb_egress.settings import InvalidSettings, Settings
from albrecon.local.template import Resolver

EDGE_VALUES = [".5", "1.", "1e3", "-1", "+1", "01", " 1", "0", "0.5", "1.0", "100", "12.345", "1000000"]


def _dashboard_body(source: dict, tolerance: str) -> str:
    resolver = Resolver(parameters={"TolerancePercent": tolerance})
    text = json.dumps(source["Resources"]["Dashboard"])
    for resource, attribute in re.findall(r"\$\{([A-Za-z0-9]+)\.([A-Za-z]+)\}", text):
        resolver.attributes[(resource, attribute)] = f"{resource}-{attribute}"
    for name in re.findall(r"\$\{([A-Za-z0-9]+)\}", text):
        if name in source["Parameters"]:
            resolver.parameters.setdefault(name, "1")
        else:
            resolver.refs.setdefault(name, f"ref-{name}")
    return resolver.resolve(source["Resources"]["Dashboard"]["Properties"]["DashboardBody"])


@pytest.mark.parametrize("name", ["TolerancePercent", "MinDeltaGB", "MinImpactUSD"])
@pytest.mark.parametrize("value", EDGE_VALUES)
def test_a_threshold_cloudformation_accepts_makes_a_valid_stack(source, name, value):
    pattern = source["Parameters"][name]["AllowedPattern"]
    accepted_by_cloudformation = re.fullmatch(pattern, value) is not None
    try:
        Settings.from_mapping(
            {
                "AccountId": "123456789012",
                "Region": "us-east-1",
                "FlowLogsBucket": "logs",
                "CurBucket": "cur",
                "CurReportName": "r",
                name: value,
            }
        )
        accepted_by_lambdas = True
    except InvalidSettings:
        accepted_by_lambdas = False
    assert accepted_by_cloudformation == accepted_by_lambdas or (
        name == "TolerancePercent" and not accepted_by_lambdas and float(value) > 100
    )
    if accepted_by_cloudformation and name == "TolerancePercent":
        json.loads(_dashboard_body(source, value))  # CloudWatch refuses a body that is not JSON


def test_the_edge_values_include_one_that_broke_the_dashboard(source):
    with pytest.raises(json.JSONDecodeError):  # what the pattern now keeps out
        json.loads(_dashboard_body(source, ".5"))


def test_sub_s_escape_is_literal_text_as_cloudformation_writes_it():
    """Fn::Sub: `${!Literal}` is written as `${Literal}` (the partition-projection template of the
    results table relies on it); other names resolve."""
    resolver = Resolver(refs={"AthenaResultsBucket": "results-bucket"})
    resolved = resolver.resolve({"Fn::Sub": "s3://${AthenaResultsBucket}/history/date=${!date}/"})
    assert resolved == "s3://results-bucket/history/date=${date}/"
