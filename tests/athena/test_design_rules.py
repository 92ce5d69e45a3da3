"""One test per docs/DESIGN.md §3 rule: the shipped SQL gives the ground truth, and the same SQL with
that one rule removed does not. So each rule is both exercised by the data and enforced."""

import pytest

from alb_egress import sql_render, statements

# rule -> (text in the shipped template, replacement that drops the rule but keeps its placeholders)
FLOW_RULES = {
    "counted traffic paths only": (
        "f.traffic_path IN ({{traffic_paths}})",
        "(f.traffic_path IN ({{traffic_paths}}) OR TRUE)",
    ),
    "ACCEPT only": ("f.action = 'ACCEPT'", "TRUE"),
    "record start on or after D 00:00": (
        'f."start" >= {{start_epoch}}',
        '(f."start" >= {{start_epoch}} OR TRUE)',
    ),
    "record start before D+1 00:00": ('f."start" < {{end_epoch}}', '(f."start" < {{end_epoch}} OR TRUE)'),
    "the D+1 folder is read": ("{{day}}, {{next_day}}", "{{day}}) AND ({{next_day}} IS NOT NULL"),
}
# rules of the egress query itself (the others are in each table's records, flow_log_records.sql)
EGRESS_RULES = {"only the ALB's ENIs": ("ON p.interface_id = e.interface_id", "ON TRUE")}
# Not listed, because AWS-documented data cannot tell them apart from another rule: the egress
# direction (traffic-path is only ever set on egress records), log-status OK (NODATA/SKIPDATA
# records carry no bytes, direction or path) and the AWSELB product code (the ALB ARN filter
# already excludes other products' rows). They stay in the SQL as defence in depth.
CUR_RULES = {
    "line item type Usage only": ("line_item_line_item_type = 'Usage'", "TRUE"),
    "DataTransfer-Out-Bytes usage types only": (
        "regexp_like(line_item_usage_type, '^([A-Z]{2,4}[0-9]?-)?(([A-Z]{3}[0-9]|Outposts)-)?DataTransfer-Out-Bytes$')",
        "regexp_like(line_item_usage_type, 'Bytes$')",
    ),
    "ALBs only (not NLBs)": ("loadbalancer/app/%", "loadbalancer/%"),
    "usage start on or after D": (
        "line_item_usage_start_date >= {{day_start}}",
        "(line_item_usage_start_date >= {{day_start}} OR TRUE)",
    ),
    "usage start before D+1": (
        "line_item_usage_start_date < {{day_end}}",
        "(line_item_usage_start_date < {{day_end}} OR TRUE)",
    ),
}


@pytest.fixture
def mutate(monkeypatch):
    def apply(template: str, old: str, new: str) -> None:
        original = sql_render.template_text(template)
        assert old in original, f"rule text not found in {template}.sql: {old}"
        mutated = original.replace(old, new)
        monkeypatch.setattr(
            sql_render,
            "template_text",
            lambda name, _orig=sql_render.template_text: mutated if name == template else _orig(name),
        )

    return apply


def per_alb_egress(dataset, rows: dict) -> dict[str, int]:
    return {lb["name"]: rows.get(arn, (0, 0))[0] for arn, lb in dataset.truth["load_balancers"].items()}


def test_shipped_flow_sql_gives_the_truth(dataset):
    assert per_alb_egress(dataset, dataset.egress()) == {
        lb["name"]: lb["flow_log_bytes"] for lb in dataset.truth["load_balancers"].values()
    }


@pytest.mark.parametrize("rule", [*FLOW_RULES, *EGRESS_RULES])
def test_flow_rule_is_enforced(dataset, mutate, rule):
    if rule in EGRESS_RULES:
        mutate("flow_log_egress", *EGRESS_RULES[rule])
    else:
        mutate("flow_log_records", *FLOW_RULES[rule])
    rows = dataset.egress()
    truth = {lb["name"]: lb["flow_log_bytes"] for lb in dataset.truth["load_balancers"].values()}
    assert per_alb_egress(dataset, rows) != truth


@pytest.mark.parametrize("rule", CUR_RULES)
def test_cur_rule_is_enforced(dataset, mutate, rule):
    shipped = dataset.cur()
    mutate("cur_usage", *CUR_RULES[rule])
    assert dataset.cur() != shipped


def test_skipdata_is_counted_per_eni(dataset):
    rows = dataset.egress()
    assert (
        sum(r[1] for r in rows.values())
        == sum(lb["skipdata_records"] for lb in dataset.truth["load_balancers"].values())
        > 0
    )


def test_flow_gb_uses_binary_gigabytes():
    from alb_egress.reconcile import BYTES_PER_GB

    assert BYTES_PER_GB == 2**30


def test_eni_membership_rule_in_the_generator_matches_the_domain(dataset):
    # ENIs deleted before D (the dataset has one) are not among any ALB's ENIs of D.
    gone = [
        e for e, info in dataset.truth["enis"].items() if info["load_balancer"] and not info["belongs_on_day"]
    ]
    assert gone and not set(gone) & set(dataset.alb_enis)
    assert statements  # the membership rule itself is pinned in tests/unit/test_inventory.py
