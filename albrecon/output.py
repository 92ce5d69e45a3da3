"""The result table people read in a terminal (local runs, deployed runs, history)."""

from __future__ import annotations

from dataclasses import fields

from alb_egress.reconcile import AlbDay

# A result's fields are AlbDay's, in its order: a field added there is printed, put in the JSON and
# the CSV without being listed again. Kept in the stored result but not printed: the day (rows of
# `history` add it first) and the net cost with its basis (the rate and the impact fold them in).
_NOT_PRINTED = frozenset({"date", "cur_net_unblended_cost", "cost_basis"})
# printed right after the field they come from
_DERIVED_AFTER = {"estimated_impact_usd": ("over_billed_usd",)}  # billed - measured, in $

# The fields of a result that `albrecon local --json` prints (and the CSV of `history` starts with).
RESULT_FIELDS = tuple(
    name
    for field in fields(AlbDay)
    if field.name not in _NOT_PRINTED
    for name in (field.name, *_DERIVED_AFTER.get(field.name, ()))
)

COLUMNS = (
    ("date", "<10", "{}"),
    ("account_id", "<12", "{}"),
    ("region", "<14", "{}"),
    ("load_balancer", "<24", "{}"),
    ("eni_count", ">4", "{}"),
    ("flow_log_gb", ">12", "{:.4f}"),
    ("cur_gb", ">12", "{:.4f}"),
    ("delta_gb", ">11", "{:+.4f}"),
    ("delta_pct", ">9", "{:+.2f}"),
    ("cur_unblended_cost", ">10", "${:,.2f}"),
    ("over_billed_usd", ">13", "{}"),
    ("status", "", "{}"),
)
HEADINGS = {
    "load_balancer": "ALB",
    "account_id": "account",
    "eni_count": "ENIs",
    "flow_log_gb": "flow GB",
    "cur_gb": "CUR GB",
    "delta_gb": "delta GB",
    "delta_pct": "delta %",
    "cur_unblended_cost": "billed $",
    "over_billed_usd": "over-billed $",
}


def over_billed_usd(item: dict) -> float | None:
    """Billed minus measured, in dollars at the bill's own rate: positive when the bill charges
    more than the network sent (delta_gb is measured - billed, the engineers' sign). None where
    nothing was measured to compare with (MISSING_FLOW_LOGS: that is unmeasured, not a mismatch)
    or the bill has no rate."""
    impact = item.get("estimated_impact_usd")
    if impact is None or item.get("status") == "MISSING_FLOW_LOGS":
        return None
    return -impact


def signed_money(value: float) -> str:
    """+$0.01 / -$1,234.50, and never "$-0.00": less than a cent either way is "+<$0.01"."""
    if value == 0:
        return "$0.00"
    cents = round(abs(value) * 100)
    return f"{'+' if value > 0 else '-'}" + (f"${cents / 100:,.2f}" if cents else "<$0.01")


def results_table(items: list[dict], with_date: bool = True) -> str:
    """One line per result; account and region columns when the results span more than one."""
    places = {(i.get("account_id"), i.get("region")) for i in items}
    columns = [
        c
        for c in COLUMNS
        if (with_date or c[0] != "date") and (len(places) > 1 or c[0] not in ("account_id", "region"))
    ]
    header = "  ".join(f"{HEADINGS.get(name, name):{align}}" for name, align, _ in columns)
    lines = [header, "-" * len(header)]
    for item in items:
        cells = []
        for name, align, shape in columns:
            value = item.get(name) if name != "over_billed_usd" else over_billed_usd(item)
            text = signed_money(value) if name == "over_billed_usd" and value is not None else None
            cells.append(f"{text or ('-' if value is None else shape.format(value)):{align}}")
        lines.append("  ".join(cells))
    return "\n".join(lines)


def result_record(item: dict) -> dict:
    """One result in the one schema every verb prints (``--json``, ``history --csv``): the
    RESULT_FIELDS, with over_billed_usd derived."""
    return {k: (over_billed_usd(item) if k == "over_billed_usd" else item.get(k)) for k in RESULT_FIELDS}
