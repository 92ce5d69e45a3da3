"""Reads `template.yaml` and resolves the intrinsic functions the local runtime needs.

Only what the template uses is supported: Ref, GetAtt, Sub, Join, Split, Select and If (with
the template's Conditions: Equals, Not, And, Or) of parameters, pseudo parameters and the local
stand-ins of its resources.
An unsupported construct raises, so the local run never silently diverges from AWS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from cfn_tools.yaml_loader import CfnYamlLoader

# The stack's files (template, definition, SQL, handlers) as package data: links into the source
# checkout, copies in an installed wheel.
STACK_ROOT = Path(str(resources.files("albrecon") / "stack"))
TEMPLATE_PATH = STACK_ROOT / "template.yaml"

LOCAL_ACCOUNT = "123456789012"
LOCAL_REGION = "us-east-1"
LOCAL_STACK_NAME = "alb-egress-reconciliation-local"


class _CfnCLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """cfn-flip's loader (short-form intrinsics like ``!Ref``) on libyaml's parser: 10x faster."""


_CfnCLoader.yaml_constructors = {**_CfnCLoader.yaml_constructors, **CfnYamlLoader.yaml_constructors}
_CfnCLoader.yaml_multi_constructors = {
    **_CfnCLoader.yaml_multi_constructors,
    **CfnYamlLoader.yaml_multi_constructors,
}


def load_yaml(text: str) -> Any:
    return yaml.load(text, _CfnCLoader)  # noqa: S506 - a safe loader plus cfn-flip's tag constructors


class TemplateError(ValueError):
    """The template uses something the local runtime cannot stand in for."""


@dataclass
class Template:
    body: dict
    path: Path = TEMPLATE_PATH

    @classmethod
    def load(cls, path: Path = TEMPLATE_PATH) -> Template:
        return cls(body=_plain(load_yaml(path.read_text())), path=path)

    @property
    def resources(self) -> dict[str, dict]:
        return self.body.get("Resources", {})

    @property
    def parameters(self) -> dict[str, dict]:
        return self.body.get("Parameters", {})

    def of_type(self, resource_type: str) -> dict[str, dict]:
        return {name: res for name, res in self.resources.items() if res.get("Type") == resource_type}

    def function_globals(self) -> dict:
        return self.body.get("Globals", {}).get("Function", {})

    @property
    def conditions(self) -> dict[str, Any]:
        return self.body.get("Conditions", {})


def _plain(value: Any) -> Any:
    """cfn-flip's OrderedDicts and tagged values -> plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass
class Resolver:
    """Resolves intrinsic functions against parameter values and local resource attributes.

    ``refs[logical_id]`` is what ``!Ref`` gives; ``attributes[(logical_id, attr)]`` what ``!GetAtt`` gives.
    """

    parameters: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    account: str = LOCAL_ACCOUNT
    region: str = LOCAL_REGION
    conditions: dict[str, Any] = field(default_factory=dict)  # the template's Conditions section

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": LOCAL_STACK_NAME,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{LOCAL_STACK_NAME}/"
                "00000000-0000-4000-8000-000000000000"
            ),
            "AWS::NoValue": "",
        }

    def ref(self, name: str) -> str:
        for table in (self.parameters, self.pseudo(), self.refs):
            if name in table:
                return table[name]
        raise TemplateError(f"!Ref {name}: no local value")

    def get_att(self, name: str, attribute: str) -> str:
        try:
            return self.attributes[(name, attribute)]
        except KeyError:
            raise TemplateError(f"!GetAtt {name}.{attribute}: no local value") from None

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                name, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.get_att(name, attribute)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                separator, items = arg
                return separator.join(str(v) for v in self.resolve(items))
            if key == "Fn::Split":
                separator, text = arg
                return str(self.resolve(text)).split(separator)
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self.resolve(when_true if self.condition(name) else when_false)
            if key.startswith("Fn::") or key == "Condition":
                raise TemplateError(f"{key} is not supported by the local runtime")
        return {k: self.resolve(v) for k, v in value.items()}

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise TemplateError(f"condition {name} is not defined")
        return self._evaluate(self.conditions[name])

    def _evaluate(self, expression: Any) -> bool:
        if isinstance(expression, dict) and len(expression) == 1:
            ((key, arg),) = expression.items()
            if key == "Fn::Equals":
                left, right = (self.resolve(v) for v in arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self._evaluate(arg[0])
            if key == "Fn::And":
                return all(self._evaluate(v) for v in arg)
            if key == "Fn::Or":
                return any(self._evaluate(v) for v in arg)
            if key == "Condition":
                return self.condition(arg)
        raise TemplateError(f"unsupported condition {expression!r}")

    def _sub(self, arg: Any) -> str:
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match) -> str:
            bang, name = match.groups()
            if bang:  # ${!Literal} is the text ${Literal} (CloudFormation's escape)
                return "${" + name + "}"
            if name in extra:
                return str(extra[name])
            if "." in name and name not in self.parameters:
                resource, attribute = name.split(".", 1)
                return self.get_att(resource, attribute)
            return self.ref(name)

        return re.sub(r"\$\{(!?)([^}]+)\}", replace, text)
