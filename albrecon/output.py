"""The result table people read in a terminal (local runs, deployed runs, history)."""

from __future__ import annotations

# The fields of a result that `albrecon local --json` prints (and the CSV of `history` starts with).
RESULT_FIELDS = (
    "load_balancer",
    "load_balancer_arn",
    "account_id",
    "region",
    "eni_count",
    "flow_log_bytes",
    "flow_log_gb",
    "cur_gb",
    "delta_gb",
    "delta_pct",
    "status",
    "cloudfront_gb",
    "aws_service_gb",
    "egress_split",
    "cur_inter_region_gb",
    "cur_same_region_gb",
    "damaged_records",
    "flow_logs_counted",
    "flow_logs_not_counted",
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
}


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
            value = item.get(name)
            cells.append(f"{'-' if value is None else shape.format(value):{align}}")
        lines.append("  ".join(cells))
    return "\n".join(lines)
