from datetime import date

import pytest

from alb_egress.identity import Scope
from alb_egress.inventory import EniRecord, enis_of_day

ARN_A = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/0123456789abcdef"
ARN_B = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/b/fedcba9876543210"
DAY = date(2026, 11, 20)


def record(eni, created, deleted=None, arn=ARN_A):
    return EniRecord(eni, arn.rsplit("/", 2)[1], arn, "app", created_at=created, deleted_at=deleted)


@pytest.mark.parametrize(
    "created,deleted,belongs",
    [
        ("2026-11-19T08:00:00Z", None, True),
        ("2026-11-20T23:59:59Z", None, True),  # created during D
        ("2026-11-21T00:00:00Z", None, False),  # created at D+1 00:00
        ("2026-11-10T00:00:00Z", "2026-11-20T00:00:00Z", True),  # deleted at D 00:00: D is [start, end)
        ("2026-11-10T00:00:00Z", "2026-11-19T23:59:59Z", False),  # deleted before D
        ("2026-11-20T10:00:00Z", "2026-11-20T11:00:00Z", True),  # created and deleted mid-day
        (None, None, True),  # discovery without an attachment time
        (None, "2026-11-19T12:00:00Z", False),
    ],
)
def test_membership_on_a_day(created, deleted, belongs):
    assert record("eni-00000001", created, deleted).belongs_on(DAY) is belongs


def test_enis_of_the_day_in_scope_sorted_with_account_and_region():
    records = [
        record("eni-000000b2", "2026-11-01T00:00:00Z", arn=ARN_B),
        record("eni-000000a2", "2026-11-01T00:00:00Z"),
        record("eni-000000a1", "2026-11-01T00:00:00Z"),
        record("eni-000000a3", "2026-11-21T00:00:00Z"),
    ]
    scope = Scope.parse("*", "*", "*", own_account="123456789012", own_region="us-east-1")
    rows = enis_of_day(records, DAY, scope)
    assert [(e.load_balancer_arn, e.eni_id) for e in rows] == sorted(
        [(ARN_A, "eni-000000a1"), (ARN_A, "eni-000000a2"), (ARN_B, "eni-000000b2")]
    )
    assert all(e.account_id and e.region for e in rows)  # read from the ARN for items without them
