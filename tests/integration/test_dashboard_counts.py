"""The dashboard's on-time count is made by the database (not a loop over every handled case)
and keeps Beijing days: a clock stopped late on its due day is on time, just after is late."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from petition_flow.models import Clock
from petition_flow.services.queries import county_figures

STEPS = ["classify", "transfer", "accept", "reply", "deliver", "evaluate", "close"]


@pytest.mark.parametrize(("stopped_utc", "on_time"), [
    (datetime(2026, 5, 10, 15, 59, tzinfo=UTC), 1),  # 23:59 Beijing time on the due day
    (datetime(2026, 5, 10, 16, 0, tzinfo=UTC), 0),  # 00:00 the next day
])
def test_a_handling_clock_stopped_late_on_its_due_day_in_beijing_counts_as_on_time(
    cases, world, session, stopped_utc, on_time
):
    case = cases.walk(STEPS)
    session.execute(update(Clock).where(Clock.case_id == case.id, Clock.rule == "handling")
                    .values(due_date=date(2026, 5, 10), stopped_at=stopped_utc))
    session.commit()
    figures = {f.region_code: f for f in county_figures(session, world.actor("city_supervisor"),
                                                        date(2026, 6, 1))}
    assert figures["meixian"].handled == 1
    assert figures["meixian"].handled_on_time == on_time
