"""The sweeper: three colours, who is told, once only, and catch-up after downtime."""

from __future__ import annotations

from datetime import date, timedelta

from helpers import at
from sqlalchemy import func, select

from petition_flow.models import (
    AccountabilityRecord,
    Alert,
    AuditEntry,
    Clock,
    Delivery,
    InboxItem,
    User,
    UserContact,
)
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.audit import verify_chain
from petition_flow.services.calendars import current_calendar
from petition_flow.services.digest import send_digests
from petition_flow.services.inbox import acknowledge, list_inbox, unread_count
from petition_flow.services.notify import NotifyConfig

QUIET = NotifyConfig()  # no email, no webhook: only the inbox
# The generic sweeper tests run in a county with the statutory periods only; Meixian's stricter
# 限时办结 limit runs a second clock of its own (tested in test_local_limits.py).
COUNTY = "jintai"


LOCAL = "handling@local"  # Meixian's 30-day 限时办结 clock beside the statutory 60 days
LOCAL_SUBJECT = "办理期限（限时办结）"


def handling_clock(session, case, rule: str = "handling") -> Clock:
    return session.execute(
        select(Clock).where(Clock.case_id == case.id, Clock.rule == rule)
    ).scalar_one()


def alert_rows(session, case, clock: Clock | None = None) -> list[tuple[str, list[str]]]:
    stmt = select(Alert).where(Alert.case_id == case.id)
    if clock is not None:
        stmt = stmt.where(Alert.clock_id == clock.id)
    rows = session.execute(stmt.order_by(Alert.id))
    return [(a.level, a.recipients) for a in rows.scalars()]


def local_only(alerts):
    return [a for a in alerts if a.subject == LOCAL_SUBJECT]


def test_a_case_walked_through_blue_yellow_and_red_alerts_exactly_the_roles_named_for_each_level(
    cases, session
):
    case = cases.walk(["classify", "transfer", "accept"], county=COUNTY)
    clock = handling_clock(session, case)
    assert clock.next_level_on == clock.blue_on

    assert sweep_deadlines(session, at(clock.blue_on - timedelta(days=1), 23, 59),
                           config=QUIET).alerts == []
    blue = sweep_deadlines(session, at(clock.blue_on, 0, 1), config=QUIET)
    yellow = sweep_deadlines(session, at(clock.yellow_on, 0, 1), config=QUIET)
    red = sweep_deadlines(session, at(clock.red_on, 0, 1), config=QUIET)

    assert [(a.level, a.label) for a in blue.alerts + yellow.alerts + red.alerts] == [
        ("blue", "蓝色提示"), ("yellow", "黄色预警"), ("red", "红色超期")]
    assert alert_rows(session, case) == [
        ("blue", ["handler:handler.jintai"]),
        ("yellow", ["handler:handler.jintai", "unit_leader:unit_leader.jintai"]),
        ("red", ["handler:handler.jintai", "unit_leader:unit_leader.jintai",
                 "county_supervisor:county_supervisor.jintai",
                 "city_supervisor:city_supervisor.baoji"]),
    ]
    inbox = dict(session.execute(
        select(User.username, func.count()).join(InboxItem, InboxItem.user_id == User.id)
        .group_by(User.username)).all())
    assert inbox == {"handler.jintai": 3, "unit_leader.jintai": 2,
                     "county_supervisor.jintai": 1, "city_supervisor.baoji": 1}
    assert red.alerts[0].reached_at == at(clock.red_on, 0)
    assert red.alerts[0].days_late == 0
    assert all(a.deadline_version == 1 for a in session.execute(select(Alert)).scalars())
    assert verify_chain(session).ok


def test_a_second_sweep_on_the_same_day_raises_nothing(cases, session):
    case = cases.walk(["classify", "transfer", "accept"], county=COUNTY)
    clock = handling_clock(session, case)
    first = sweep_deadlines(session, at(clock.yellow_on, 9), config=QUIET)
    again = sweep_deadlines(session, at(clock.yellow_on, 17), config=QUIET)
    assert [a.level for a in first.alerts] == ["yellow"]
    assert again.alerts == [] and again.examined == 0


def test_the_unique_constraint_stops_a_repeat_even_when_the_sweep_bookkeeping_is_lost(
    cases, session
):
    case = cases.walk(["classify", "transfer", "accept"], county=COUNTY)
    clock = handling_clock(session, case)
    sweep_deadlines(session, at(clock.red_on, 9), config=QUIET)
    clock.next_level_on = clock.blue_on  # as if the clock's progress had not been saved
    session.commit()
    retry = sweep_deadlines(session, at(clock.red_on, 9, 5), config=QUIET)
    assert retry.examined == 1 and retry.alerts == []
    assert [level for level, _ in alert_rows(session, case)] == ["red"]


def test_a_petitioners_window_never_raises_an_alert(cases, session):
    case = cases.walk(["classify", "transfer", "accept", "reply", "deliver"])
    window = session.execute(
        select(Clock).where(Clock.case_id == case.id, Clock.rule == "review_request")
    ).scalar_one()
    assert window.status == "running" and window.next_level_on is None
    result = sweep_deadlines(session, at(window.due_date + timedelta(days=90)), config=QUIET)
    assert result.alerts == []


def test_an_approved_extension_is_a_new_deadline_version_that_is_warned_afresh(cases, session):
    case = cases.walk(["classify", "transfer", "accept"], county=COUNTY)
    clock = handling_clock(session, case)
    sweep_deadlines(session, at(clock.yellow_on, 9), config=QUIET)
    cases.fire(case, "request_extension", {"days": 10, "reason": "需要补充调查"},
               county=COUNTY, when=at(clock.yellow_on, 10))
    cases.fire(case, "approve_extension", {}, county=COUNTY, when=at(clock.yellow_on, 11))
    session.refresh(clock)
    assert clock.version == 2 and clock.next_level_on == clock.blue_on
    later = sweep_deadlines(session, at(clock.yellow_on, 9), config=QUIET)
    assert [(a.level, a.due_date) for a in later.alerts] == [("yellow", clock.due_date)]
    assert session.execute(
        select(func.count()).select_from(Alert).where(Alert.deadline_version == 2)
    ).scalar_one() == 1


def test_red_on_a_duty_clock_writes_an_accountability_record_naming_unit_person_and_article(
    cases, session, world
):
    case = cases.walk(["classify", "transfer", "accept"], county=COUNTY)
    clock = handling_clock(session, case)
    red = sweep_deadlines(session, at(clock.red_on, 9), config=QUIET)
    record = session.execute(select(AccountabilityRecord)).scalar_one()
    assert red.alerts[0].accountability_id == record.id
    assert record.unit_id == world.unit("jintai.hrss")
    assert record.user_id == world.actor("handler", COUNTY).user_id  # the first handler
    assert record.article == "信访工作条例第四十五条"
    assert record.status == "pending" and record.due_date == clock.due_date


def test_a_late_acceptance_notice_is_recorded_under_article_44_against_the_unit_leader(
    cases, session, world
):
    case = cases.walk(["classify", "transfer"])
    clock = session.execute(select(Clock).where(Clock.case_id == case.id,
                                                Clock.rule == "acceptance_notice")).scalar_one()
    sweep_deadlines(session, at(clock.red_on, 9), config=QUIET)
    record = session.execute(select(AccountabilityRecord)).scalar_one()
    assert record.article == "信访工作条例第四十四条"
    assert record.user_id == world.actor("unit_leader").user_id


def test_a_bureau_still_holding_a_matter_is_warned_through_its_reception_staff(cases, session):
    case = cases.register()
    clock = session.execute(select(Clock).where(Clock.case_id == case.id)).scalar_one()
    result = sweep_deadlines(session, at(clock.blue_on, 9), config=QUIET)
    assert [a.recipients for a in result.alerts] == [["接访员 reception.meixian"]]


def test_the_inbox_counts_unread_alerts_and_acknowledging_one_is_audited(cases, session, world):
    case = cases.walk(["classify", "transfer", "accept"], county=COUNTY)
    clock = handling_clock(session, case)
    sweep_deadlines(session, at(clock.blue_on, 9), config=QUIET)
    sweep_deadlines(session, at(clock.yellow_on, 9), config=QUIET)
    handler = world.actor("handler", COUNTY)
    assert unread_count(session, handler) == 2
    items = list_inbox(session, handler)
    assert items[0].title.startswith("【黄色预警】") and case.case_no in items[0].title
    acknowledge(session, handler, at(clock.yellow_on, 10), items[0].id)
    assert unread_count(session, handler) == 1
    assert unread_count(session, world.actor("unit_leader", COUNTY)) == 1
    acks = session.execute(select(AuditEntry).where(AuditEntry.action == "alert_acknowledged"))
    assert [e.actor_username for e in acks.scalars()] == ["handler.jintai"]


def test_after_a_holiday_week_outage_what_went_red_is_raised_once_with_the_real_time(
    cases, session
):
    # Accepted 31 Aug: Meixian's 30 days end on Wed 30 Sep, red from Thu 1 Oct (National Day).
    watched = cases.walk(["classify", "transfer", "accept"], start=at("2026-08-28", 9))
    # Accepted 6 Sep: due 6 Oct, a holiday, so 8 Oct; its 3 working days left start on 29 Sep.
    unseen = cases.walk(["classify", "transfer", "accept"], start=at("2026-09-03", 9))
    clock = handling_clock(session, watched, LOCAL)
    assert (clock.due_date, clock.red_on) == (date(2026, 9, 30), date(2026, 10, 1))

    before = sweep_deadlines(session, at("2026-09-30", 18), config=QUIET)
    assert [(a.case_no, a.level) for a in local_only(before.alerts)] == [
        (watched.case_no, "yellow"), (unseen.case_no, "yellow")]
    # The server is down from the evening of 30 Sep to the morning of Fri 9 Oct.
    back = sweep_deadlines(session, at("2026-10-09", 9), config=QUIET)
    restarted = sweep_deadlines(session, at("2026-10-09", 9, 1), config=QUIET)

    assert restarted.alerts == []
    back_local = local_only(back.alerts)
    assert [(a.case_no, a.level) for a in back_local] == [
        (watched.case_no, "red"), (unseen.case_no, "red")]
    red = back_local[0]
    assert red.reached_at == at("2026-10-01", 0) and red.raised_at == at("2026-10-09", 9)
    assert red.days_late == 8
    unseen_clock = handling_clock(session, unseen, LOCAL)
    assert back_local[1].reached_at == at(unseen_clock.red_on, 0)
    assert unseen_clock.due_date == date(2026, 10, 8)
    assert [level for level, _ in alert_rows(session, unseen, unseen_clock)] == ["yellow", "red"]
    assert session.execute(select(func.count()).select_from(Alert)
                           .where(Alert.subject == LOCAL_SUBJECT)).scalar_one() == 4


def test_the_supervisors_digest_goes_out_on_working_days_only(cases, session):
    cases.walk(["classify", "transfer", "accept"], start=at("2026-08-28", 9))
    calendar = current_calendar(session)
    holiday = send_digests(session, at("2026-10-05", 8, 30), config=QUIET)
    assert not holiday.working_day and holiday.sent_to == []
    sweep_deadlines(session, at("2026-10-09", 8), config=QUIET)
    friday = send_digests(session, at("2026-10-09", 8, 30), config=QUIET)
    assert friday.working_day
    assert sorted(friday.sent_to) == sorted(
        ["city_supervisor.baoji"] + [f"county_supervisor.{c}"
                                     for c in ("meixian", "jintai", "chencang", "longxian")])
    again = send_digests(session, at("2026-10-09", 9, 30), config=QUIET)
    assert again.sent_to == []
    body = session.execute(
        select(InboxItem.body).join(User, User.id == InboxItem.user_id)
        .where(User.username == "county_supervisor.meixian", InboxItem.kind == "digest")
    ).scalar_one()
    assert "红色超期 1 件" in body and "新发预警 1 条" in body
    emails = session.execute(select(Delivery.target).where(Delivery.channel == "email")).all()
    assert emails == []  # no SMTP configured: the inbox only
    saturday = date(2026, 10, 10)
    assert send_digests(session, at(saturday, 8, 30), config=QUIET).working_day == \
        calendar.is_workday(saturday)


def test_a_late_review_decision_warns_the_supervisors_who_must_decide_it_not_the_handler(
    cases, session, world
):
    case = cases.walk(["classify", "transfer", "accept", "reply", "deliver", "request_review"])
    clock = session.execute(select(Clock).where(Clock.case_id == case.id,
                                                Clock.rule == "review_decision")).scalar_one()
    yellow = sweep_deadlines(session, at(clock.yellow_on, 9), config=QUIET)
    red = sweep_deadlines(session, at(clock.red_on, 9), config=QUIET)
    assert [(a.subject, a.recipients) for a in yellow.alerts] == [
        ("复查办理期限", ["县级督办人员 county_supervisor.meixian"])]
    assert red.alerts[0].recipients == ["县级督办人员 county_supervisor.meixian",
                                        "市级督办人员 city_supervisor.baoji"]
    assert red.alerts[0].unit_name == "眉县信访局"
    record = session.execute(select(AccountabilityRecord)).scalar_one()
    assert (record.unit_id, record.article) == (world.unit("meixian.bureau"),
                                                "信访工作条例第四十五条")


def test_a_supervisor_with_an_address_gets_the_digest_by_email_too(cases, session):
    supervisor = session.execute(
        select(User).where(User.username == "county_supervisor.meixian")).scalar_one()
    session.add(UserContact(user_id=supervisor.id, email="dbr@meixian.example"))
    session.commit()
    config = NotifyConfig(smtp_host="127.0.0.1", smtp_port=1)
    send_digests(session, at("2026-10-09", 8, 30), config=config)
    rows = session.execute(select(Delivery.target, Delivery.subject, Delivery.status)).all()
    assert rows == [("dbr@meixian.example", "【督办日报】2026-10-09 眉县", "pending")]


def test_dashboard_counts_of_each_colour_follow_what_the_actor_may_see(cases, session, world):
    from petition_flow.services.digest import warning_figures

    cases.walk(["classify", "transfer", "accept"], start=at("2026-08-28", 9))  # red on 9 Oct
    cases.walk(["classify", "transfer", "accept"], county="jintai",
               start=at("2026-08-28", 9))  # 60 days in Jintai: yellow by late October
    now = at("2026-10-28", 9)
    sweep_deadlines(session, now, config=QUIET)

    def colours(role, county="meixian"):
        f = warning_figures(session, world.actor(role, county), now)
        return f.red, f.yellow, f.blue, f.new_alerts, f.pending_accountability

    # Meixian: red on its 30-day 限时办结 clock, and yellow on the statutory 60 days (30 Oct).
    assert colours("city_supervisor") == (1, 2, 0, 3, 1)
    assert colours("county_supervisor") == (1, 1, 0, 2, 1)
    assert colours("county_supervisor", "jintai") == (0, 1, 0, 1, 0)
    assert colours("handler", "jintai") == (0, 1, 0, 1, 0)
    assert colours("handler", "longxian") == (0, 0, 0, 0, 0)
