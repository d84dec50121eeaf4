"""While the bureau decides a unit's Art. 23 ¶3 objection, the unit's acceptance-notice clock is
suspended (domain.md §8): it is the bureau's turn, so it cannot go red under Art. 44."""

from __future__ import annotations

from datetime import date

from helpers import at
from sqlalchemy import select

from petition_flow.models import AccountabilityRecord, Alert
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.clocks import open_clock
from petition_flow.services.notify import NotifyConfig

QUIET = NotifyConfig()


def test_an_objection_pauses_the_acceptance_clock_and_its_days_are_added_back(cases, session):
    case = cases.walk(["classify", "transfer"], county="jintai", start=at("2028-02-28", 9))
    acceptance = open_clock(case, "acceptance_notice")
    assert (acceptance.trigger_date, acceptance.due_date) == (date(2028, 3, 1), date(2028, 3, 16))
    case = cases.fire(case, "object", {"reason": "不属于本单位职权"}, role="handler",
                      county="jintai", when=at("2028-03-03"))
    assert case.state == "objected" and acceptance.status == "paused"
    # The bureau takes until after the original due date: nothing goes red meanwhile.
    result = sweep_deadlines(session, at("2028-03-20", 9), config=QUIET)
    assert [a for a in result.alerts if a.subject == "受理告知期限"] == []
    case = cases.fire(case, "reject_objection", {"reason": "属于贵单位职权范围"},
                      county="jintai", when=at("2028-03-21"))
    assert case.state == "transferred" and acceptance.status == "running"
    # 3-03..3-21 (19 days) are the bureau's: 3-01 + 15 + 19 = 4-04, a Tuesday (清明 is 4-04!).
    assert acceptance.excluded_days == 19
    assert acceptance.due_date == date(2028, 4, 5)
    assert "异议待决19日不计入期限" in acceptance.explanation
    assert "适逢清明节" in acceptance.explanation and acceptance.provisional
    alerts = session.execute(select(Alert).where(Alert.case_id == case.id)).scalars().all()
    assert not [a for a in alerts if a.subject == "受理告知期限" and a.level == "red"]
    assert session.execute(select(AccountabilityRecord)).first() is None
