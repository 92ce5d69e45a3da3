"""The hours of D an interface lived, by arithmetic, are the hours any part of which it lived."""

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from alb_egress.flowlog_survey import alive_hours

DAY = date(2026, 11, 1)
START = datetime(2026, 11, 1, tzinfo=UTC)
# instants from two days before D to two days after, to the microsecond, often on an hour's edge
INSTANTS = st.one_of(
    st.none(),
    st.integers(-48, 72).map(lambda h: START + timedelta(hours=h)),
    st.integers(-2 * 86_400_000_000, 3 * 86_400_000_000).map(lambda us: START + timedelta(microseconds=us)),
)


def spelled(instant: datetime | None, zone: int) -> str | None:
    """As CloudTrail writes it (Z), or with an offset, or without a zone (read as UTC)."""
    if instant is None:
        return None
    if zone == 0:
        return instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if zone == 1:
        return instant.astimezone(UTC).replace(tzinfo=None).isoformat()
    return instant.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()


@given(INSTANTS, INSTANTS, st.integers(0, 2), st.integers(0, 2))
def test_alive_hours_are_the_hours_any_part_of_which_it_lived(created, deleted, zone_c, zone_d):
    expected = frozenset(
        h
        for h in range(24)
        if (created is None or created < START + timedelta(hours=h + 1))
        and (deleted is None or deleted > START + timedelta(hours=h))
    )
    assert alive_hours(spelled(created, zone_c), spelled(deleted, zone_d), DAY) == expected
