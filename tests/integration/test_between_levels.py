"""Between levels: the city 信访局 registers a matter and 交办/转送 it down to a county
(信访工作条例第二十二条第二项、第三项); the county's bureau transfers it on; the county's isolation,
its clocks and 首办责任制 follow the case; the city keeps seeing and supervising it. A county
reports a 重大紧急 matter up to the city (第二十五条).

Runs on SQLite and, with PETITION_FLOW_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from helpers import at
from sqlalchemy import select

from petition_flow.devtools.demo import APPEAL6
from petition_flow.domain.spec import LOCAL_SUFFIX
from petition_flow.errors import (
    NotFoundError,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
)
from petition_flow.models import AuditEntry, InboxItem, Region, User
from petition_flow.services.actions import units_in_scope
from petition_flow.services.actor import can_act, can_view
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.clocks import open_clock
from petition_flow.services.disclosure import REFUSED, UNMASKED, decide
from petition_flow.services.escalation import levels_view, report_up
from petition_flow.services.notify import NotifyConfig
from petition_flow.services.petitions import available_triggers, fire_transition, get_case
from petition_flow.services.queries import CaseFilters, list_cases
from petition_flow.services.supervision import issue_supervision_order

QUIET = NotifyConfig()


def _city_case(cases, world, when=None):
    """A petition registered by the city's own bureau, and classified there."""
    case = cases.register("baoji", when or at("2027-03-01", 9))
    return fire_transition(cases.session, world.actor("reception", "baoji"), at("2027-03-02"),
                           case.id, "classify", dict(APPEAL6))


def _listed(session, actor, case_id, day: date) -> bool:
    return case_id in {r.id for r in list_cases(session, actor, CaseFilters(), day).rows}


def _sees(session, actor, case) -> bool:
    try:
        get_case(session, actor, case.id)
    except NotFoundError:
        return False
    return True


def test_a_city_case_assigned_to_a_county_bureau_and_transferred_on_is_handled_in_that_county(
        cases, world, session):
    city = world.actor("reception", "baoji")
    case = _city_case(cases, world)
    city_region = session.execute(select(Region).where(Region.code == "baoji")).scalar_one()
    assert case.region_id == city_region.id and case.case_no.startswith("610300-")
    meixian_staff = [world.actor(r) for r in ("reception", "county_supervisor", "handler")]
    assert not any(_sees(session, a, case) for a in meixian_staff)  # not yet the county's

    # 1. the city assigns it to 眉县信访局 with a report date (Art. 22(3))
    case = fire_transition(session, city, at("2027-03-03"), case.id, "assign",
                           {"unit": world.unit("meixian.bureau"), "assigned_due": "2027-04-20"})
    meixian = session.execute(select(Region).where(Region.code == "meixian")).scalar_one()
    assert (case.state, case.region_id) == ("transferred", meixian.id)
    assert case.upper_region_id == city_region.id
    assert case.responsible_unit_id == world.unit("meixian.bureau")
    report = open_clock(case, "assigned_report")
    assert report.due_date == date(2027, 4, 20) and report.status == "running"
    assert open_clock(case, "acceptance_notice") is not None
    sent = session.execute(select(AuditEntry).where(
        AuditEntry.case_id == case.id, AuditEntry.action == "case_sent_down")).scalar_one()
    assert sent.details["to_region_id"] == meixian.id and sent.details["trigger"] == "assign"

    # who sees it now: Meixian's bureau and supervisors, the city; never another county
    day = date(2027, 3, 4)
    for actor in (world.actor("reception"), world.actor("county_supervisor"), city,
                  world.actor("city_supervisor")):
        assert _sees(session, actor, case) and _listed(session, actor, case.id, day), actor
    for actor in (world.actor("reception", "jintai"), world.actor("county_supervisor", "jintai"),
                  world.actor("handler", "jintai")):
        assert not _sees(session, actor, case) and not _listed(session, actor, case.id, day)
    assert not _sees(session, world.actor("handler"), case)  # 人社局 has not got it yet
    # the city bureau now only watches; the county bureau routes it on
    assert not can_act(city, case) and available_triggers(session, city, case, at(day)) == []
    with pytest.raises(PermissionDenied, match="下级"):
        fire_transition(session, city, at(day), case.id, "transfer",
                        {"unit": world.unit("meixian.hrss")})
    bureau = world.actor("reception")
    assert "transfer" in {t.name for t in available_triggers(session, bureau, case, at(day))}

    # 2. 眉县信访局 transfers it on to 眉县人社局, within its county only
    with pytest.raises(ValidationError, match="本县"):
        fire_transition(session, bureau, at(day), case.id, "transfer",
                        {"unit": world.unit("jintai.hrss")})
    case = fire_transition(session, bureau, at(day), case.id, "transfer",
                           {"unit": world.unit("meixian.hrss")})
    assert (case.state, case.responsible_unit_id) == ("transferred", world.unit("meixian.hrss"))
    assert open_clock(case, "acceptance_notice").trigger_date == day  # from the unit's receipt
    assert open_clock(case, "assigned_report").due_date == date(2027, 4, 20)  # the city's date
    assert _sees(session, world.actor("handler"), case)
    with pytest.raises(TransitionNotAllowed, match="信访局"):  # a unit is not a bureau
        fire_transition(session, bureau, at("2027-03-05"), case.id, "transfer",
                        {"unit": world.unit("meixian.housing")})

    # 3. the unit accepts and handles: it is the first handler (首办责任制), under Meixian's clocks
    handler = world.actor("handler")
    case = fire_transition(session, handler, at("2027-03-05"), case.id, "accept", {})
    assert case.first_handler_unit_id == world.unit("meixian.hrss")
    assert case.first_handler_user_id == handler.user_id
    assert open_clock(case, "handling") is not None
    assert open_clock(case, "handling" + LOCAL_SUFFIX) is not None  # 眉县限时办结制 applies in Meixian
    case = fire_transition(session, handler, at("2027-03-20"), case.id, "reply", {
        "outcome": "support", "opinion": "责成用人单位结清工资。", "legal_basis": "劳动合同法第三十条"})
    assert case.state == "replied"
    for actor in (city, world.actor("city_supervisor"), world.actor("county_supervisor")):
        assert _sees(session, actor, case)
    assert not _sees(session, world.actor("county_supervisor", "jintai"), case)
    assert decide(city, case, "reveal") == REFUSED  # the sender no longer needs to know
    assert decide(world.actor("reception"), case, "reveal") == UNMASKED
    view = levels_view(session, city, case)
    assert view.sent_down_from == "宝鸡市" and not view.may_report_up


def test_the_city_transfers_straight_to_a_county_unit_and_keeps_supervising_it(
        cases, world, session):
    city = world.actor("reception", "baoji")
    case = _city_case(cases, world)
    choices = {u.id for u in units_in_scope(session, case)}
    assert {world.unit("meixian.hrss"), world.unit("jintai.hrss"),
            world.unit("baoji.hrss")} <= choices
    case = fire_transition(session, city, at("2027-03-03"), case.id, "transfer",
                           {"unit": world.unit("jintai.hrss")})
    jintai = session.execute(select(Region).where(Region.code == "jintai")).scalar_one()
    assert case.region_id == jintai.id and case.responsible_unit_id == world.unit("jintai.hrss")
    assert _sees(session, world.actor("handler", "jintai"), case)
    assert not _sees(session, world.actor("reception"), case)  # Meixian is another county
    order = issue_supervision_order(session, world.actor("city_supervisor"), at("2027-03-04"),
                                    case.id, requirements="请按期受理并告知信访人。",
                                    due_date=date(2027, 3, 15), config=QUIET)
    assert order.target_unit_id == world.unit("jintai.hrss")
    # the county's own 交办/转送 stays within the county: a county unit cannot be sent up or over
    county_case = cases.walk(["classify"], county="jintai", start=at("2027-03-01", 9))
    assert {u.region_id for u in units_in_scope(session, county_case)} == {jintai.id}


def test_a_city_assignment_report_overdue_in_the_county_warns_the_county_and_the_city(
        cases, world, session):
    case = _city_case(cases, world)
    fire_transition(session, world.actor("reception", "baoji"), at("2027-03-03"), case.id,
                    "assign", {"unit": world.unit("meixian.hrss"), "assigned_due": "2027-03-20"})
    fire_transition(session, world.actor("handler"), at("2027-03-05"), case.id, "accept", {})
    result = sweep_deadlines(session, at("2027-03-23", 9), config=QUIET)
    reds = [a for a in result.alerts if a.subject == "办结报告期限" and a.level == "red"]
    assert len(reds) == 1
    told = " ".join(reds[0].recipients)
    assert "handler.meixian" in told and "city_supervisor.baoji" in told
    assert "county_supervisor.meixian" in told and "jintai" not in told


def test_a_county_reports_a_major_urgent_matter_up_to_the_city_once(cases, world, session):
    case = cases.walk(["classify", "transfer"], county="jintai", start=at("2027-05-10", 9))
    reception, city = world.actor("reception", "jintai"), world.actor("reception", "baoji")
    assert levels_view(session, reception, case).may_report_up
    assert not _sees(session, city, case)  # a county's own matter, until it is reported up
    with pytest.raises(ValidationError) as caught:
        report_up(session, reception, at("2027-05-12"), case.id, "  ", config=QUIET)
    assert "reason" in caught.value.fields
    case = report_up(session, reception, at("2027-05-12"), case.id,
                     "二十余名务工人员准备集体到市上访。", config=QUIET)
    assert case.major_urgent and case.data["reported_up"]["unit"] == "金台区信访局"
    entry = session.execute(select(AuditEntry).where(
        AuditEntry.case_id == case.id, AuditEntry.action == "major_urgent_reported")).scalar_one()
    assert entry.details["article"] == "信访工作条例第二十五条"
    told = set(session.execute(select(User.username).join(InboxItem, InboxItem.user_id == User.id)
                               .where(InboxItem.case_id == case.id,
                                      InboxItem.kind == "report_up")).scalars())
    assert told == {"city_supervisor.baoji", "reception.baoji"}
    item = session.execute(select(InboxItem).where(InboxItem.kind == "report_up")).scalars().first()
    assert "重大紧急" in item.title and "第二十五条" in item.body
    assert can_view(world.actor("city_supervisor"), case)
    assert _sees(session, city, case) and not can_act(city, case)  # the city bureau follows it
    assert _listed(session, city, case.id, date(2027, 5, 12))
    assert not _sees(session, world.actor("reception"), case)  # other counties still do not
    with pytest.raises(ValidationError, match="已向市级报告"):
        report_up(session, reception, at("2027-05-13"), case.id, "再次上报", config=QUIET)
    assert not levels_view(session, reception, case).may_report_up


def test_only_the_county_holding_a_matter_may_report_it_up(cases, world, session):
    case = cases.walk(["classify"], county="jintai", start=at("2027-05-10", 9))
    with pytest.raises(NotFoundError):  # another county does not know the case
        report_up(session, world.actor("reception"), at("2027-05-11"), case.id, "x",
                  config=QUIET)
    with pytest.raises(PermissionDenied):  # a unit's handler has no such duty
        report_up(session, world.actor("handler", "jintai"), at("2027-05-11"), case.id, "x",
                  config=QUIET)
    city_case = _city_case(cases, world)
    with pytest.raises(PermissionDenied, match="县（区）"):  # the city reports up elsewhere
        report_up(session, world.actor("reception", "baoji"), at("2027-03-03"), city_case.id,
                  "x", config=QUIET)
