"""Statutory clocks on real cases: local limits, extension, hearing time, windows, and
recomputation when a year's holiday schedule is imported."""

from __future__ import annotations

from datetime import date

import pytest
from helpers import at, days_after
from sqlalchemy import select

from petition_flow.errors import TransitionNotAllowed, ValidationError
from petition_flow.models import AuditEntry, Clock, Notice
from petition_flow.services.actor import SYSTEM
from petition_flow.services.calendars import import_calendar
from petition_flow.services.clocks import clock_level, open_clock

BASE = ["classify", "transfer", "accept"]
CAL_2027 = """year: 2027
source: 测试用2027年节假日安排
holidays: [2027-01-01, 2027-02-05, 2027-02-06, 2027-02-07, 2027-02-08, 2027-02-09,
           2027-02-10, 2027-02-11, 2027-04-05, 2027-06-09, 2027-09-15, 2027-10-01]
workdays: [2027-02-13]
"""


def clock(case, rule):
    found = open_clock(case, rule)
    assert found is not None, f"no running {rule} clock"
    return found


def test_registration_starts_the_fifteen_day_routing_clock_from_the_day_of_receipt(cases):
    case = cases.register(when=at("2026-09-18", 9))
    routing = clock(case, "routing")
    # 2026-09-18 + 15 = 2026-10-03, inside the National Day holiday (10-01..10-07).
    assert routing.trigger_date == date(2026, 9, 18)
    assert routing.due_date == date(2026, 10, 8)
    assert "第二十二条" in routing.explanation and "顺延" in routing.explanation
    assert routing.duty and not routing.provisional


def test_meixian_concludes_in_thirty_days_under_its_local_rule_while_jintai_keeps_sixty(cases):
    meixian = cases.walk(BASE, start=at("2026-03-02", 9))
    jintai = cases.walk(BASE, county="jintai", start=at("2026-03-02", 9))
    mx, jt = clock(meixian, "handling@local"), clock(jintai, "handling")
    assert (mx.days, jt.days) == (30, 60)
    assert mx.trigger_date == jt.trigger_date == date(2026, 3, 5)
    assert mx.due_date == date(2026, 4, 7)  # 04-04 is a Saturday in Qingming → next workday 04-07
    assert jt.due_date == date(2026, 5, 6)  # 05-04 falls in Labour Day (05-01..05-05) → 05-06
    # The local limit names its own basis and does not read as if Art. 34 set 30 days.
    assert mx.explanation.startswith(
        "依据眉县限时办结制（严于信访工作条例第三十四条规定的60日），办理期限（限时办结）30日")
    # Meixian's statutory 60 days run beside it, as in Jintai.
    assert clock(meixian, "handling").due_date == jt.due_date


def test_the_objection_window_is_five_working_days_and_closes_after_it(cases):
    case = cases.walk(["classify", "transfer"], start=at("2026-09-28", 9))
    objection = clock(case, "objection")
    assert objection.unit == "workday"
    with pytest.raises(TransitionNotAllowed, match="异议期限"):
        cases.fire(case, "object", when=days_after(objection.due_date, 1))
    assert cases.fire(case, "object", when=at(objection.due_date)).state == "objected"


def test_an_approved_extension_moves_the_due_date_and_issues_an_extension_notice(
    cases, session
):
    case = cases.walk(BASE + ["request_extension"])
    before = clock(case, "handling").due_date
    case = cases.fire(case, "approve_extension")
    handling = clock(case, "handling")
    assert handling.extension_days == 15 and handling.due_date > before
    assert handling.version == 2 and "延长15日" in handling.explanation
    notice = session.execute(select(Notice).where(Notice.case_id == case.id,
                                                  Notice.kind == "extension")).scalar_one()
    assert "15" in notice.body and f"{handling.due_date.month}月" in notice.body


def test_a_second_extension_or_one_beyond_thirty_days_is_refused(cases):
    case = cases.walk(BASE)
    with pytest.raises(ValidationError) as err:
        cases.fire(case, "request_extension", {"days": 31, "reason": "复杂"})
    assert "不能大于30" in err.value.fields["days"]
    case = cases.walk(BASE + ["request_extension", "approve_extension"])
    with pytest.raises(TransitionNotAllowed, match="已经延长过"):
        cases.fire(case, "request_extension", {"days": 5, "reason": "仍需调查"})


def test_recheck_hearing_days_are_not_counted_in_the_recheck_period(cases):
    steps = BASE + ["reply", "deliver", "request_review", "decide_review", "request_recheck"]
    case = cases.walk(steps)
    recheck = clock(case, "recheck_decision")
    due_before = recheck.due_date
    start = days_after(case.updated_at, 2)
    case = cases.fire(case, "start_recheck_hearing", when=start)
    assert clock(case, "recheck_decision").status == "paused"
    assert clock_level(clock(case, "recheck_decision"), date(2099, 1, 1)) is None
    case = cases.fire(case, "end_recheck_hearing", when=days_after(start, 3))
    recheck = clock(case, "recheck_decision")
    assert recheck.status == "running" and recheck.excluded_days == 4
    assert recheck.due_date >= date.fromordinal(due_before.toordinal() + 4)
    assert "不计入" in recheck.explanation


def test_clocks_stop_when_the_case_leaves_their_states_and_windows_are_not_duties(cases):
    case = cases.walk(BASE + ["reply", "deliver"])
    assert open_clock(case, "handling") is None
    window = clock(case, "review_request")
    assert not window.duty and window.red_on is None
    assert window.trigger_date.isoformat() == case.data["deliver"]["delivered_on"]


def test_finalizing_before_the_review_window_expires_is_refused_and_allowed_after(cases):
    case = cases.walk(BASE + ["reply", "deliver", "evaluate", "close"])
    window = clock(case, "review_request")
    with pytest.raises(TransitionNotAllowed, match="尚未届满"):
        cases.fire(case, "finalize", when=at(window.due_date))
    with pytest.raises(TransitionNotAllowed, match="已超过申请复查期限"):
        cases.fire(case, "request_review", when=days_after(window.due_date, 1))
    assert cases.fire(case, "finalize", when=days_after(window.due_date, 1)).state == "final"


def test_a_deadline_in_a_year_without_an_official_calendar_is_provisional_until_imported(
    cases, session
):
    case = cases.walk(["classify", "transfer"], county="jintai", start=at("2026-12-08", 9))
    case = cases.fire(case, "accept", county="jintai", when=at("2026-12-10"))
    handling = clock(case, "handling")
    assert handling.provisional and "暂定" in handling.explanation
    # 12-10 + 60 = 2027-02-08, a Monday but 正月初三, fixed by the 放假办法: rolls to the 9th.
    assert handling.due_date == date(2027, 2, 9)
    assert "适逢春节，顺延至2027年2月9日" in handling.explanation
    override, changed = import_calendar(session, SYSTEM, at("2026-12-11"), CAL_2027, "2027.yaml")
    assert override.year == 2027 and changed >= 1
    session.expire_all()
    handling = session.get(Clock, handling.id)
    assert not handling.provisional and handling.version == 2
    assert handling.due_date == date(2027, 2, 12)  # the test schedule's holiday week
    assert "顺延" in handling.explanation
    recomputed = session.execute(select(AuditEntry).where(
        AuditEntry.action == "deadline_recomputed", AuditEntry.case_id == case.id)).scalars()
    assert [e.details["old_due_date"] for e in recomputed] == ["2027-02-09"]


def test_importing_a_calendar_needs_an_administrator(world, session):
    from petition_flow.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_calendar(session, world.actor("reception"), at("2026-12-11"), CAL_2027, "x.yaml")


def test_every_stored_deadline_keeps_its_inputs_and_explains_itself(cases):
    case = cases.walk(BASE, start=at("2026-03-02", 9))
    for c in case.clocks:
        assert c.article and c.calendar_version.startswith("chinesecalendar-")
        assert c.workflow_version == case.workflow_version
        assert c.explanation.startswith("依据") and c.explanation.endswith("。")


def test_warning_levels_turn_blue_then_yellow_then_red(cases):
    case = cases.walk(BASE, start=at("2026-03-02", 9))
    handling = clock(case, "handling")
    assert clock_level(handling, handling.trigger_date) is None
    assert clock_level(handling, handling.blue_on) == "blue"
    assert clock_level(handling, handling.yellow_on) == "yellow"
    assert clock_level(handling, handling.due_date) == "yellow"
    assert clock_level(handling, handling.red_on) == "red"
    assert handling.blue_on < handling.yellow_on < handling.red_on


def test_the_assign_step_needs_a_report_deadline(cases):
    case = cases.walk(["classify"])
    with pytest.raises(ValidationError) as err:
        cases.fire(case, "assign", {"unit": cases.world.unit("meixian.hrss")})
    assert "assigned_due" in err.value.fields
