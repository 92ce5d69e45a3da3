"""The one result schema is the result type's: RESULT_FIELDS comes from AlbDay, the README lists
exactly it in its order, and the store's queryable columns are fields of it."""

import re
from dataclasses import fields
from pathlib import Path

from alb_egress.reconcile import AlbDay
from albrecon.local import store
from albrecon.output import RESULT_FIELDS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_result_fields_are_the_result_types_own_plus_the_derived_over_billed():
    declared = [f.name for f in fields(AlbDay)]
    assert [f for f in RESULT_FIELDS if f != "over_billed_usd"] == [
        f for f in declared if f not in ("date", "cur_net_unblended_cost", "cost_basis")
    ]
    at = RESULT_FIELDS.index("over_billed_usd")
    assert RESULT_FIELDS[at - 1] == "estimated_impact_usd"


def test_the_readme_documents_exactly_the_result_fields_in_their_order():
    text = README.read_text()
    paragraph = text[text.index("**One result schema**") : text.index("`history --only-alerted`")]
    listed = paragraph[paragraph.index("RESULT_FIELDS`") + len("RESULT_FIELDS`") :]
    names = [n for n in re.findall(r"`([^`]+)`", listed) if re.fullmatch(r"[a-z][a-z0-9_]*", n)]
    assert names == list(RESULT_FIELDS)


def test_the_stores_queryable_columns_are_fields_of_the_result():
    declared = {f.name for f in fields(AlbDay)}
    assert set(store._RESULT_COLUMNS) <= declared
