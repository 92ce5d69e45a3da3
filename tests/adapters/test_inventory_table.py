"""The DynamoDB inventory adapter against moto, on the table exactly as template.yaml declares it."""

from datetime import date

import pytest

from alb_egress.inventory import EniCreated, EniDeleted
from aws_adapters.inventory_table import ORPHAN_TTL_SECONDS, InventoryTable

ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef"


def created(eni, at="2026-11-20T10:00:00Z", source="event", name="web", arn=ARN, lb_type="app"):
    return EniCreated(eni, name, arn, lb_type, at, "vpc-01234567", "subnet-01234567", "us-east-1a", source)


@pytest.fixture
def table(local_aws):
    return InventoryTable(local_aws.ref("EniInventoryTable"), local_aws.client("dynamodb"))


def items_by_id(table):
    return {item["eni_id"]: item for item in table.all_records()}


def test_delete_before_create_is_completed_by_the_create(table):
    table.record_deleted(EniDeleted("eni-00000001", "2026-11-21T08:00:00Z"), now=1_000)
    placeholder = items_by_id(table)["eni-00000001"]
    assert placeholder["expires_at"] == 1_000 + ORPHAN_TTL_SECONDS
    assert "load_balancer_type" not in placeholder

    table.record_created(created("eni-00000001"))
    item = items_by_id(table)["eni-00000001"]
    assert "expires_at" not in item
    assert (item["created_at"], item["deleted_at"], item["active_until"]) == (
        "2026-11-20T10:00:00Z",
        "2026-11-21T08:00:00Z",
        "2026-11-21T08:00:00Z",
    )


def test_duplicates_are_idempotent(table):
    for _ in range(3):
        table.record_created(created("eni-00000002"))
        table.record_deleted(EniDeleted("eni-00000002", "2026-11-22T00:00:00Z"))
    item = items_by_id(table)["eni-00000002"]
    assert item["deleted_at"] == item["active_until"] == "2026-11-22T00:00:00Z"
    assert "expires_at" not in item


def test_orphan_deletes_are_invisible_to_the_day_query(table):
    table.record_deleted(EniDeleted("eni-0000000f", "2026-11-20T12:00:00Z"))
    assert table.records_alive_on(date(2026, 11, 20)) == []


def test_discovery_never_overwrites_event_data(table):
    table.record_created(created("eni-00000003", at="2026-11-20T10:00:00Z"))
    assert (
        table.record_discovered(created("eni-00000003", at="2026-01-01T00:00:00Z", source="discovery"))
        is False
    )
    assert items_by_id(table)["eni-00000003"]["created_at"] == "2026-11-20T10:00:00Z"

    assert table.record_discovered(created("eni-00000004", at=None, source="discovery")) is True
    assert table.record_discovered(created("eni-00000004", at=None, source="discovery")) is True  # re-run
    item = items_by_id(table)["eni-00000004"]
    assert item["source"] == "discovery" and item["created_at_known"] is False and "created_at" not in item

    # a later create event replaces discovery data
    table.record_created(created("eni-00000004", at="2026-11-19T00:00:00Z"))
    assert items_by_id(table)["eni-00000004"]["source"] == "event"


def test_discovery_completes_a_delete_placeholder_keeping_the_deletion(table):
    table.record_deleted(EniDeleted("eni-00000005", "2026-11-21T00:00:00Z"))
    assert table.record_discovered(created("eni-00000005", at="2026-11-01T00:00:00Z", source="discovery"))
    item = items_by_id(table)["eni-00000005"]
    assert item["deleted_at"] == item["active_until"] == "2026-11-21T00:00:00Z"
    assert "expires_at" not in item


def test_day_query_applies_the_membership_rule(table):
    table.record_created(created("eni-0000000a", at="2026-11-01T00:00:00Z"))  # alive
    table.record_created(created("eni-0000000b", at="2026-11-01T00:00:00Z"))
    table.record_deleted(EniDeleted("eni-0000000b", "2026-11-19T23:59:59Z"))  # gone before D
    table.record_created(created("eni-0000000c", at="2026-11-21T00:00:00Z"))  # born after D
    table.record_created(created("eni-0000000d", at="2026-11-20T06:00:00Z"))
    table.record_deleted(EniDeleted("eni-0000000d", "2026-11-20T07:00:00Z"))  # mid-day
    table.record_discovered(created("eni-0000000e", at=None, source="discovery"))  # unknown birth
    table.record_created(created("eni-00000011", lb_type="net", name="nlb"))  # NLB: not asked for
    found = sorted(r.eni_id for r in table.records_alive_on(date(2026, 11, 20)))
    assert found == ["eni-0000000a", "eni-0000000d", "eni-0000000e"]


def test_day_query_reads_every_page(table, local_aws):
    for i in range(40):
        table.record_created(created(f"eni-{i:08x}", at="2026-11-01T00:00:00Z"))
    calls = []
    dynamodb = local_aws.client("dynamodb")
    dynamodb.meta.events.register("before-call.dynamodb.Query", lambda **kw: calls.append(kw["params"]))
    small_pages = InventoryTable(table.table_name, dynamodb)
    found = small_pages.records_alive_on(date(2026, 11, 20), page_size=7)
    assert len(found) == 40
    assert len(calls) >= 6  # 40 items in pages of 7
