"""Art. 22(3) 交办: the report date the assigning bureau sets is a duty deadline like any other
(domain.md §8): warned, swept and accountable."""

from __future__ import annotations

from datetime import date

import pytest
from helpers import at
from sqlalchemy import select

from petition_flow.errors import ValidationError
from petition_flow.models import AccountabilityRecord
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.clocks import open_clock
from petition_flow.services.notify import NotifyConfig

QUIET = NotifyConfig()


def _assigned(cases, world, due: str, on: str = "2027-09-20"):
    case = cases.walk(["classify"], county="jintai", start=at("2027-09-17", 9))
    return cases.fire(case, "assign", {"unit": world.unit("jintai.hrss"), "assigned_due": due},
                      county="jintai", when=at(on))


def test_the_assigned_report_date_starts_a_clock_ending_on_that_date(cases, world):
    case = _assigned(cases, world, "2027-10-15")
    report = open_clock(case, "assigned_report")
    assert (report.trigger_date, report.due_date) == (date(2027, 9, 20), date(2027, 10, 15))
    assert report.duty and "第二十二条第三项" in report.explanation


def test_an_overdue_assigned_report_raises_an_alert_and_an_accountability_record(
        cases, world, session):
    case = _assigned(cases, world, "2027-10-15")
    case = cases.fire(case, "accept", role="handler", county="jintai", when=at("2027-09-22"))
    report = open_clock(case, "assigned_report")
    assert report.status == "running"  # the unit handles the matter; the report is still due
    result = sweep_deadlines(session, at("2027-10-18", 9), config=QUIET)
    reds = [a for a in result.alerts if a.subject == "办结报告期限"]
    assert [a.level for a in reds] == ["red"]
    assert reds[0].recipients and "handler.jintai" in " ".join(reds[0].recipients)
    record = session.execute(select(AccountabilityRecord).where(
        AccountabilityRecord.case_id == case.id)).scalar_one()
    assert record.article == "信访工作条例第二十二条第三项、第四十五条"
    assert record.unit_id == world.unit("jintai.hrss")


def test_a_report_date_not_after_the_assignment_is_refused(cases, world):
    with pytest.raises(ValidationError) as caught:
        _assigned(cases, world, "2027-09-20")
    assert "办结报告期限" in caught.value.fields["assigned_due"]


def test_the_report_clock_stops_once_the_reply_is_delivered(cases, world):
    case = _assigned(cases, world, "2027-11-30")
    for trigger, when in (("accept", "2027-09-22"), ("reply", "2027-10-08")):
        case = cases.fire(case, trigger, role="handler", county="jintai", when=at(when))
    case = cases.fire(case, "deliver", {"delivery_method": "in_person",
                                        "delivered_on": "2027-10-09", "receipt": "signed"},
                      role="handler", county="jintai", when=at("2027-10-09"))
    assert open_clock(case, "assigned_report") is None
