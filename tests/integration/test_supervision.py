"""Supervision orders (督办单) and accountability records (追责问责) as audited use cases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from helpers import at
from sqlalchemy import select

from petition_flow.errors import NotFoundError, PermissionDenied, ValidationError
from petition_flow.models import AccountabilityRecord, AuditEntry, Case, Clock, InboxItem, User
from petition_flow.services.accountability import decide_accountability, list_accountability
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.audit import verify_chain
from petition_flow.services.notify import NotifyConfig
from petition_flow.services.supervision import (
    close_supervision_order,
    issue_supervision_order,
    list_orders,
    reply_supervision_order,
    return_supervision_order,
)

QUIET = NotifyConfig()

ISSUED = at("2026-03-10", 9)


def inbox_titles(session, username: str) -> list[str]:
    return list(session.execute(
        select(InboxItem.title).join(User, User.id == InboxItem.user_id)
        .where(User.username == username).order_by(InboxItem.id)).scalars())


def actions(session) -> list[str]:
    return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars())


def issue(session, world, case, **kw):
    role = kw.pop("role", "county_supervisor")
    args = dict(requirements="请于期限内查明欠薪事实，督促用人单位支付，并书面回复。",
                due_date=date(2026, 3, 20), listed=True)
    args.update(kw)
    return issue_supervision_order(session, world.actor(role), ISSUED, case.id, config=QUIET,
                                   **args)


def test_a_listed_supervision_order_is_issued_replied_to_and_closed_with_a_full_trail(
    cases, session, world
):
    case = cases.walk(["classify", "transfer", "accept"])
    order = issue(session, world, case)
    assert order.target_unit_id == world.unit("meixian.hrss") and order.status == "open"
    assert session.get(Case, case.id).listed_supervision
    assert inbox_titles(session, "handler.meixian") == [f"【督办单】{case.case_no} 挂牌督办"]
    assert inbox_titles(session, "unit_leader.meixian") == [f"【督办单】{case.case_no} 挂牌督办"]

    with pytest.raises(NotFoundError):  # another county's order does not exist for it
        reply_supervision_order(session, world.actor("handler", "jintai"), ISSUED, order.id,
                                "不是本单位的督办单")
    with pytest.raises(ValidationError):
        close_supervision_order(session, world.actor("county_supervisor"), ISSUED, order.id, "好")
    reply_supervision_order(session, world.actor("handler"), at("2026-03-16", 15), order.id,
                            "已约谈用人单位，工资已于3月16日足额支付。", config=QUIET)
    assert order.status == "replied"
    assert inbox_titles(session, "county_supervisor.meixian") == [
        f"【督办回复】{case.case_no} 督办单第{order.id}号"]

    with pytest.raises(NotFoundError):
        close_supervision_order(session, world.actor("county_supervisor", "jintai"),
                                at("2026-03-17"), order.id, "同意办结")
    close_supervision_order(session, world.actor("county_supervisor"), at("2026-03-17"),
                            order.id, "回复属实，同意办结。")
    session.expire_all()
    assert order.status == "closed" and not session.get(Case, case.id).listed_supervision
    assert [a for a in actions(session) if a.startswith("supervision")] == [
        "supervision_order_issued", "supervision_order_replied", "supervision_order_closed"]
    assert verify_chain(session).ok


def test_only_supervisors_issue_orders_and_a_county_only_for_its_own_cases(cases, session, world):
    case = cases.walk(["classify", "transfer", "accept"])
    with pytest.raises(PermissionDenied):
        issue(session, world, case, role="handler")
    with pytest.raises(NotFoundError):
        issue_supervision_order(session, world.actor("county_supervisor", "jintai"), ISSUED,
                                case.id, requirements="越权督办", due_date=date(2026, 3, 20))
    with pytest.raises(ValidationError):
        issue(session, world, case, due_date=date(2026, 3, 10))
    with pytest.raises(ValidationError):
        issue(session, world, case, requirements="  ")
    order = issue_supervision_order(session, world.actor("city_supervisor"), ISSUED, case.id,
                                    requirements="市级督办：请说明办理进展。",
                                    due_date=date(2026, 3, 25), config=QUIET)
    assert order.issuer_role == "city_supervisor" and not order.listed
    assert [o.id for o in list_orders(session, world.actor("handler"))] == [order.id]
    assert list_orders(session, world.actor("handler", "jintai")) == []


def test_an_unanswered_order_has_its_own_warnings_that_reach_the_issuer_and_escalate_to_the_city(
    cases, session, world
):
    case = cases.walk(["classify", "transfer", "accept"])
    order = issue(session, world, case)
    yellow = sweep_deadlines(session, at(order.yellow_on, 9), config=QUIET)
    red = sweep_deadlines(session, at(order.red_on, 9), config=QUIET)
    assert [(a.order_id, a.level, a.recipients) for a in yellow.alerts + red.alerts] == [
        (order.id, "yellow", ["承办人 handler.meixian", "单位负责人 unit_leader.meixian",
                              "县级督办人员 county_supervisor.meixian"]),
        (order.id, "red", ["承办人 handler.meixian", "单位负责人 unit_leader.meixian",
                           "县级督办人员 county_supervisor.meixian",
                           "市级督办人员 city_supervisor.baoji"]),
    ]
    assert red.alerts[0].subject == f"督办单第{order.id}号"
    assert session.execute(select(AccountabilityRecord)).first() is None  # clocks only


def test_a_reply_stops_the_orders_warnings_and_a_returned_order_is_warned_again(
    cases, session, world
):
    case = cases.walk(["classify", "transfer", "accept"])
    order = issue(session, world, case)
    reply_supervision_order(session, world.actor("unit_leader"), at("2026-03-12"), order.id,
                            "正在核查。", config=QUIET)
    assert sweep_deadlines(session, at("2026-03-25"), config=QUIET).alerts == []
    return_supervision_order(session, world.actor("county_supervisor"), at("2026-03-13"),
                             order.id, "回复过于简单，请说明核查结果。", date(2026, 3, 27),
                             config=QUIET)
    assert (order.status, order.version) == ("open", 2)
    later = sweep_deadlines(session, at("2026-03-30"), config=QUIET)
    assert [(a.level, a.due_date) for a in later.alerts if a.order_id] == [
        ("red", date(2026, 3, 27))]
    assert f"【督办退回】{case.case_no} 督办单第{order.id}号" in inbox_titles(
        session, "handler.meixian")


def overdue_record(cases, session) -> AccountabilityRecord:
    case = cases.walk(["classify", "transfer", "accept"])
    # The statutory 办理期限 alone: Meixian's 限时办结 clock has its own tests.
    for local in case.clocks:
        if local.rule == "handling@local":
            local.status, local.next_level_on = "stopped", None
    clock = session.execute(select(Clock).where(Clock.case_id == case.id,
                                                Clock.rule == "handling")).scalar_one()
    sweep_deadlines(session, at(clock.red_on + timedelta(days=1)), config=QUIET)
    return session.execute(select(AccountabilityRecord)).scalar_one()


def test_a_supervisor_confirms_an_accountability_record_with_a_reason(cases, session, world):
    record = overdue_record(cases, session)
    supervisor = world.actor("county_supervisor")
    assert [r.id for r in list_accountability(session, supervisor, status="pending")] == [
        record.id]
    assert list_accountability(session, world.actor("county_supervisor", "jintai")) == []
    with pytest.raises(PermissionDenied):
        list_accountability(session, world.actor("handler"))
    with pytest.raises(ValidationError):
        decide_accountability(session, supervisor, at("2026-05-01"), record.id, "confirm", " ")
    decide_accountability(session, supervisor, at("2026-05-01"), record.id, "confirm",
                          "无正当理由超期，经核实属实，移送纪检监察机关。")
    assert (record.status, record.decided_by_user_id) == ("confirmed", supervisor.user_id)
    with pytest.raises(ValidationError):
        decide_accountability(session, supervisor, at("2026-05-02"), record.id, "dismiss", "改判")
    assert actions(session)[-1] == "accountability_confirmed"


def test_a_supervisor_dismisses_an_accountability_record_and_others_may_not_decide_it(
    cases, session, world
):
    record = overdue_record(cases, session)
    with pytest.raises(PermissionDenied):
        decide_accountability(session, world.actor("unit_leader"), at("2026-05-01"),
                              record.id, "dismiss", "本单位认为不应追责")
    with pytest.raises(NotFoundError):
        decide_accountability(session, world.actor("county_supervisor", "longxian"),
                              at("2026-05-01"), record.id, "dismiss", "跨县处理")
    decide_accountability(session, world.actor("city_supervisor"), at("2026-05-01"), record.id,
                          "dismiss", "超期系信访人要求暂缓办理所致，有书面材料为证。")
    session.expire_all()
    assert record.status == "dismissed"
    assert record.decision_reason.startswith("超期系信访人要求暂缓办理")
    assert actions(session)[-1] == "accountability_dismissed"
    assert verify_chain(session).ok
