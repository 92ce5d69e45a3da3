"""A speed patch for moto's DynamoDB UpdateItem: the plainest update expressions applied directly.

moto validates an UpdateExpression by ten walks over a deep copy of its parse tree - twice for a new
item (once empty, once with its key) - which is most of the time of every event the recorder
replays. For an expression of only top-level ``SET name = :value``,
``SET name = if_not_exists(name, :value)`` and ``REMOVE name`` actions, the outcome is known
without the walks when none of moto's checks can refuse it: every name and value defined, no
reserved word as a bare name, no path twice, no key attribute, no index attribute given a value of
another type or an empty string, and the item kept under moto's size limit whatever the order.
Then the actions are applied as moto's executor would (a value copied from ``if_not_exists``'s
attribute, removals of absent attributes ignored). Anything else - or any check that could refuse
it - goes to moto's own validator and executor, which then answer (or refuse) exactly as moto does.
``tests/local/test_dynamodb_hooks.py`` compares both on every case the checks name."""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.models import dynamo_type
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.parsing.executors import UpdateExpressionExecutor
from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords
from moto.dynamodb.parsing.validators import UpdateExpressionValidator

_ITEM_SIZE_LIMIT = 405000  # moto's LimitedSizeDict

_PATH = r"(?:#[A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_]*)"
_VALUE = r":[A-Za-z0-9_]+"
_OPERAND = rf"(?:{_VALUE}|if_not_exists\(\s*{_PATH}\s*,\s*{_VALUE}\s*\))"
_ASSIGNMENT = re.compile(rf"\s*({_PATH})\s*=\s*({_OPERAND})\s*")
_IF_NOT_EXISTS = re.compile(rf"if_not_exists\(\s*({_PATH})\s*,\s*({_VALUE})\s*\)")
_CLAUSES = re.compile(
    r"^\s*SET\s+(?P<set>.+?)(?:\s+REMOVE\s+(?P<remove>[^=()]+?))?\s*$", re.IGNORECASE | re.DOTALL
)

_TEXT = "_albrecon_expression_text"  # set on the parse memo's trees: the text they were parsed from


def remember_text(tree: Any, expression: str) -> Any:
    setattr(tree, _TEXT, expression)
    return tree


@dataclass(frozen=True)
class _Plan:
    sets: tuple[tuple[str, str, str | None], ...]  # (target path, value placeholder, if_not_exists path)
    removes: tuple[str, ...]


@functools.lru_cache(maxsize=256)
def _plan_of(expression: str) -> _Plan | None:
    """The expression's actions when it is of the plain shape; None otherwise."""
    clauses = _CLAUSES.match(expression)
    if clauses is None:
        return None
    sets = []
    for assignment in _split_top_level(clauses["set"]):
        match = _ASSIGNMENT.fullmatch(assignment)
        if match is None:
            return None
        target, operand = match.groups()
        if operand.startswith(":"):
            sets.append((target, operand, None))
        else:
            source, value = _IF_NOT_EXISTS.fullmatch(operand).groups()  # type: ignore[union-attr]
            sets.append((target, value, source))
    removes = [r.strip() for r in clauses["remove"].split(",")] if clauses["remove"] else []
    if not all(re.fullmatch(_PATH, r) for r in removes):
        return None
    return _Plan(tuple(sets), tuple(removes))


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, character in enumerate(text):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


@functools.cache
def _reserved() -> frozenset[str]:
    return frozenset(ReservedKeywords.get_reserved_keywords())


@dataclass
class _Applied:
    """What the fast validator hands moto's update_item in place of a validated tree."""

    values: dict[str, Any]  # attribute name -> DynamoType to set
    removes: list[str]

    def normalize(self) -> None:  # moto calls it on the validated tree
        return None


def _applied(validator: FastUpdateValidator) -> _Applied | None:
    expression = getattr(validator.expression, _TEXT, None)
    if expression is None:
        return None
    plan = _plan_of(expression)
    if plan is None:
        return None
    names = validator.expression_attribute_names or {}
    values = validator.expression_attribute_values or {}
    table, item = validator.table, validator.item

    def name_of(path: str) -> str | None:
        if path.startswith("#"):
            return names.get(path)
        return None if path.upper() in _reserved() else path

    targets = [name_of(t) for t, _, _ in plan.sets] + [name_of(r) for r in plan.removes]
    sources = [name_of(s) for _, _, s in plan.sets if s is not None]
    if None in targets or None in sources or len(set(targets)) != len(targets):
        return None
    if any(p in table.table_key_attrs for p in targets + sources):
        return None  # moto refuses a key attribute in an update expression
    if any(placeholder not in values for _, placeholder, _ in plan.sets):
        return None
    types = {d["AttributeName"]: d["AttributeType"] for d in table.attr}
    index_keys = set(table.attribute_keys)  # a property that builds its list at each call
    new: dict[str, Any] = {}
    for (_, placeholder, source), target in zip(plan.sets, targets, strict=False):
        existing = item.attrs.get(name_of(source)) if source is not None else None  # type: ignore[arg-type]
        if existing is not None:  # if_not_exists keeps the attribute (moto: a deep copy of it)
            value = copy.deepcopy(existing)
        else:
            value = dynamo_type.DynamoType(values[placeholder])
        if target in types and types[target] != value.type:
            return None
        if target in index_keys and value.type in ("S", "B") and not value.value:
            return None
        new[target] = value  # type: ignore[index]
    # moto's size check at each assignment counts the item as it is plus the new attribute: never
    # more than the item now plus every new attribute
    bound = sum(bytesize(k) + v.size() for k, v in item.attrs.items())
    bound += sum(bytesize(k) + v.size() for k, v in new.items())
    if bound > _ITEM_SIZE_LIMIT:
        return None
    return _Applied(new, targets[len(plan.sets) :])  # type: ignore[arg-type]


class FastUpdateValidator(UpdateExpressionValidator):
    def __init__(self, expression, expression_attribute_names, expression_attribute_values, item, table):
        # no deep copy of the tree yet: only moto's own validation needs one
        self.expression = expression
        self.expression_attribute_names = expression_attribute_names
        self.expression_attribute_values = expression_attribute_values
        self.item = item
        self.table = table

    def validate(self):  # type: ignore[override]
        applied = _applied(self)
        if applied is not None:
            return applied
        return UpdateExpressionValidator(
            self.expression,
            expression_attribute_names=self.expression_attribute_names,
            expression_attribute_values=self.expression_attribute_values,
            item=self.item,
            table=self.table,
        ).validate()


class FastUpdateExecutor(UpdateExpressionExecutor):
    def execute(self, node=None) -> None:  # type: ignore[override]
        if not isinstance(self.update_ast, _Applied):
            return super().execute(node)
        attrs = self.item.attrs
        for name, value in self.update_ast.values.items():
            dict.__setitem__(attrs, name, value)  # the size was bounded before
        for name in self.update_ast.removes:
            attrs.pop(name, None)
        return None
