"""Alerts that say what they mean: late only after real downtime, superseded when their
deadline changes, acknowledged all at once, and sent to one responsible unit."""

from __future__ import annotations

from datetime import timedelta

from helpers import at
from sqlalchemy import select

from petition_flow.models import AccountabilityRecord, Alert, AuditEntry, Clock, InboxItem
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.audit import verify_chain
from petition_flow.services.inbox import acknowledge_all, list_inbox, unread_count
from petition_flow.services.notify import NotifyConfig
from petition_flow.services.oversight import issue_context
from petition_flow.services.supervision import issue_supervision_order

QUIET = NotifyConfig()
COUNTY = "jintai"  # one handling clock (no 限时办结 beside it)
REVIEW = ["classify", "transfer", "accept", "reply", "deliver", "request_review"]


def handling_clock(session, case) -> Clock:
    return session.execute(select(Clock).where(Clock.case_id == case.id,
                                               Clock.rule == "handling")).scalar_one()


def bodies(session) -> list[str]:
    return list(session.execute(select(InboxItem.body)).scalars())


def test_an_alert_on_the_first_sweep_of_an_installation_does_not_claim_downtime(cases, session):
    case = cases.walk(["classify", "transfer", "accept"], county=COUNTY)
    clock = handling_clock(session, case)
    result = sweep_deadlines(session, at(clock.red_on + timedelta(days=10), 9), config=QUIET)
    assert [a.level for a in result.alerts] == ["red"]
    assert result.alerts[0].days_late == 10 and not result.alerts[0].caught_up
    assert bodies(session) and not any("停机" in b or "补发" in b for b in bodies(session))


def test_an_alert_reached_while_the_sweep_did_not_run_says_it_is_sent_late(cases, session):
    case = cases.walk(["classify", "transfer", "accept"], county=COUNTY)
    clock = handling_clock(session, case)
    sweep_deadlines(session, at(clock.blue_on, 9), config=QUIET)  # the system was running
    late = sweep_deadlines(session, at(clock.red_on + timedelta(days=3), 9), config=QUIET)
    assert [(a.level, a.caught_up) for a in late.alerts] == [("red", True)]
    red = session.execute(select(InboxItem.body).where(InboxItem.level == "red")).scalars()
    assert all("系统停机期间达到该级别，恢复后补发（迟3日）" in b for b in red)


def test_a_deadline_counted_from_a_day_long_past_is_not_a_catch_up(cases, session):
    """A sweep ran yesterday; a case registered today, received 40 days ago, is already late
    for routing: its first alert is on time, whatever day its colour began."""
    sweep_deadlines(session, at("2026-10-08", 9), config=QUIET)
    case = cases.register(COUNTY, when=at("2026-10-09", 9), received_at=at("2026-08-31", 9),
                          late_reason="信件在乡镇滞留，今日转来。")
    result = sweep_deadlines(session, at("2026-10-09", 10), config=QUIET)
    mine = [a for a in result.alerts if a.case_id == case.id]
    assert mine and not any(a.caught_up for a in mine)


def test_an_approved_extension_supersedes_the_old_alert_which_is_kept_and_marked(
        cases, session, world):
    case = cases.walk(["classify", "transfer", "accept"], county=COUNTY)
    clock = handling_clock(session, case)
    blue = clock.blue_on
    sweep_deadlines(session, at(blue, 9), config=QUIET)
    old_due = clock.due_date
    handler = world.actor("handler", COUNTY)
    assert unread_count(session, handler) == 1
    cases.fire(case, "request_extension", {"days": 20, "reason": "需要补充调查"},
               county=COUNTY, when=at(blue, 10))
    cases.fire(case, "approve_extension", {}, county=COUNTY, when=at(blue, 11))
    session.refresh(clock)
    assert clock.due_date > old_due and clock.blue_on > blue
    old = session.execute(select(Alert).where(Alert.deadline_version == 1)).scalar_one()
    assert old.superseded_at == at(blue, 11) and old.due_date == old_due
    assert unread_count(session, handler) == 0  # the old one no longer asks for attention
    assert [i.alert_id for i in list_inbox(session, handler)] == [old.id]  # but is kept
    entry = session.execute(select(AuditEntry).where(
        AuditEntry.action == "alert_superseded")).scalar_one()
    assert entry.details["old_due_date"] == old_due.isoformat()
    assert entry.details["due_date"] == clock.due_date.isoformat()

    assert sweep_deadlines(session, at(blue, 12), config=QUIET).alerts == []
    fresh = sweep_deadlines(session, at(clock.blue_on, 9), config=QUIET)
    assert [(a.level, a.due_date) for a in fresh.alerts] == [("blue", clock.due_date)]
    assert unread_count(session, handler) == 1
    assert verify_chain(session).ok


def test_acknowledging_all_marks_every_unread_alert_read_and_audits_each(
        cases, session, world):
    for _ in range(3):
        case = cases.walk(["classify", "transfer", "accept"], county=COUNTY)
    clock = handling_clock(session, case)
    sweep_deadlines(session, at(clock.yellow_on, 9), config=QUIET)
    handler, leader = world.actor("handler", COUNTY), world.actor("unit_leader", COUNTY)
    assert unread_count(session, handler) == 3 and unread_count(session, leader) == 3
    assert acknowledge_all(session, handler, at(clock.yellow_on, 10)) == 3
    assert unread_count(session, handler) == 0
    assert unread_count(session, leader) == 3  # only one's own messages
    acks = session.execute(select(AuditEntry).where(
        AuditEntry.action == "alert_acknowledged")).scalars().all()
    assert len(acks) == 3 and {e.actor_username for e in acks} == {handler.username}
    assert acknowledge_all(session, handler, at(clock.yellow_on, 11)) == 0


def test_a_review_alert_its_accountability_record_and_its_order_name_the_same_unit(
        cases, session, world):
    case = cases.walk(REVIEW)
    clock = session.execute(select(Clock).where(Clock.case_id == case.id,
                                                Clock.rule == "review_decision")).scalar_one()
    sweep_deadlines(session, at(clock.red_on, 9), config=QUIET)
    alert = session.execute(select(Alert).where(Alert.clock_id == clock.id)).scalar_one()
    record = session.execute(select(AccountabilityRecord).where(
        AccountabilityRecord.alert_id == alert.id)).scalar_one()
    supervisor = world.actor("city_supervisor")
    context = issue_context(session, supervisor, case.id, alert.id)
    order = issue_supervision_order(session, supervisor, at(clock.red_on, 10), case.id,
                                    requirements="请于七日内作出复查意见。",
                                    due_date=clock.red_on + timedelta(days=7), alert_id=alert.id)
    assert alert.unit_id == record.unit_id == order.target_unit_id
    assert alert.unit_id != case.responsible_unit_id  # the county's bureau decides 复查
    assert context.target_unit == "眉县信访局"
