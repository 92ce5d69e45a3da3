"""Any interleaving and duplication of create/delete events ends in exactly the model's inventory."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from albrecon.generator.cloudtrail_events import create_event, delete_event, failed_delete_event
from albrecon.local.runtime import PLACEHOLDER_PARAMETERS, LocalAws
from aws_adapters.inventory_table import InventoryTable

EXAMPLES = 60
LOAD_BALANCERS = [
    ("app", "Test751", "0123456789abcdef"),
    ("app", "Test7510", "fedcba9876543210"),
    ("net", "edge", "00112233445566ff"),
]
T0 = datetime(2026, 11, 20, tzinfo=UTC)
_run = itertools.count()


@pytest.fixture(scope="module")
def aws():
    with LocalAws(parameters=PLACEHOLDER_PARAMETERS, function_env={"POWERTOOLS_LOG_LEVEL": "ERROR"}) as local:
        yield local


def stamp(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


eni_lives = st.lists(
    st.tuples(
        st.integers(0, len(LOAD_BALANCERS) - 1),  # which load balancer
        st.integers(0, 5000),  # created at (minutes after T0)
        st.none() | st.integers(1, 5000),  # lives this long, or still alive
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lives=eni_lives, foreign_deletes=st.integers(0, 2), data=st.data())
def test_any_order_any_duplicates_same_inventory(aws, lives, foreign_deletes, data):
    run = next(_run)
    events, model, foreign = [], {}, []
    for n, (lb_index, born, lifetime) in enumerate(lives):
        lb_type, name, lb_id = LOAD_BALANCERS[lb_index]
        eni = f"eni-{run:08x}{n:08x}"
        events.append(
            create_event(eni_id=eni, description=f"ELB {lb_type}/{name}/{lb_id}", event_time=stamp(born))
        )
        died = None
        if lifetime is not None:
            died = stamp(born + lifetime)
            events.append(delete_event(eni_id=eni, event_time=died))
            events.append(failed_delete_event(eni_id=eni, event_time=stamp(born + lifetime + 1)))
        model[eni] = {
            "load_balancer_name": name,
            "load_balancer_type": lb_type,
            "created_at": stamp(born),
            "deleted_at": died,
            "active_until": died or "9999-12-31T23:59:59Z",
        }
    for n in range(foreign_deletes):  # ENIs of something else: delete events only
        eni = f"eni-{run:08x}f{n:07x}"
        foreign.append(eni)
        events.append(delete_event(eni_id=eni, event_time=stamp(n)))

    duplicated = events + data.draw(
        st.lists(st.sampled_from(events), max_size=len(events)), label="duplicates"
    )
    delivered = data.draw(st.permutations(duplicated), label="delivery order")
    for event in delivered:
        aws.invoke("EniRecorderFunction", event)

    table = InventoryTable(aws.ref("EniInventoryTable"), aws.client("dynamodb"))
    prefix = f"eni-{run:08x}"
    stored = {i["eni_id"]: i for i in table.all_records() if i["eni_id"].startswith(prefix)}
    assert set(stored) == set(model) | set(foreign)
    for eni, expected in model.items():
        got = {k: stored[eni].get(k) for k in expected}
        assert got == expected, eni
        assert "expires_at" not in stored[eni]
    for eni in foreign:  # placeholders: expiring, invisible to the day query's index
        assert "expires_at" in stored[eni] and "load_balancer_type" not in stored[eni]
