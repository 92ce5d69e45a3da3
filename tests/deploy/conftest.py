"""The stack as CloudFormation will receive it: template.yaml translated by samtranslator
(what `sam deploy` runs), with the code and definition locations `sam package` would write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfn_tools import load_yaml
from samtranslator.translator.transform import transform

REPO = Path(__file__).resolve().parents[2]


class _NoManagedPolicies:
    def load(self) -> dict:  # the template names managed policies by ARN only
        return {}


def _source_template() -> dict:
    return json.loads(json.dumps(load_yaml((REPO / "template.yaml").read_text())))


@pytest.fixture(scope="session")
def source() -> dict:
    return _source_template()


@pytest.fixture(scope="session")
def translated() -> dict:
    import os

    template = _source_template()
    template["Globals"]["Function"]["CodeUri"] = "s3://packaged/functions.zip"
    machine = template["Resources"]["ReconcileStateMachine"]["Properties"]
    machine["Definition"] = json.loads((REPO / machine.pop("DefinitionUri")).read_text())
    saved = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    try:
        return transform(template, {"AWS::Region": "us-east-1"}, _NoManagedPolicies())
    finally:
        if saved is None:
            os.environ.pop("AWS_DEFAULT_REGION")
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved


@pytest.fixture(scope="session")
def definition() -> dict:
    return json.loads((REPO / "statemachine" / "reconcile.asl.json").read_text())


def resources_of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def policy_statements(role: dict) -> list[dict]:
    """Every statement of the role's inline policies; a conditional policy (Fn::If) counts with
    both of its branches (AWS::NoValue adds nothing)."""
    policies = []
    for policy in role["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Fn::If" in policy:
            policies += [p for p in policy["Fn::If"][1:] if "PolicyDocument" in p]
        else:
            policies.append(policy)
    return [s for policy in policies for s in policy["PolicyDocument"]["Statement"]]


def all_states(states: dict) -> dict[str, dict]:
    """Every state, including those inside Parallel branches and Map iterators."""
    found = {}
    for name, state in states.items():
        found[name] = state
        for branch in state.get("Branches", []):
            found.update(all_states(branch["States"]))
        if "ItemProcessor" in state:
            found.update(all_states(state["ItemProcessor"]["States"]))
    return found
