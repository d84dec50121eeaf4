"""The petitioner's side as services: query by code, throttling, evaluation, 复查 requests,
online submission and SMS text (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from helpers import at, days_after
from sqlalchemy import select

from petition_flow.devtools.demo import APPEAL6
from petition_flow.errors import (
    NotFoundError,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
)
from petition_flow.models import AuditEntry, Case, InboxItem, PetitionerRequest, User
from petition_flow.services import feedback, online, portal, sms
from petition_flow.services.throttle import DatabaseThrottle

ID_LIKE = re.compile(r"\d{6}[\d*]{8,}[\dX]{0,4}|\*{4,}")
DELIVERED = ["classify", "transfer", "accept", "reply", "deliver"]


@pytest.fixture
def throttle():
    return DatabaseThrottle()


def _delivered(cases, classification=None):
    case = cases.walk(DELIVERED, classification=classification)
    return case, portal.delivered_on(case)


def _actions(session, action):
    return session.execute(select(AuditEntry).where(AuditEntry.action == action)
                           .order_by(AuditEntry.seq)).scalars().all()


def test_a_wrong_code_and_an_unknown_case_number_get_the_same_answer(session, cases, throttle):
    case = cases.register()
    when = days_after(case.created_at, 1)
    with pytest.raises(NotFoundError) as wrong:
        portal.open_case(session, throttle, when, case.case_no, "AAAAAAAA", "10.0.0.1")
    unknown_no = case.case_no[:-6] + "999999"
    with pytest.raises(NotFoundError) as unknown:
        portal.open_case(session, throttle, when, unknown_no, case.query_code, "10.0.0.1")
    assert wrong.value.message == unknown.value.message == portal.WRONG
    failed = _actions(session, "public_query_failed")
    assert [e.details["case_no"] for e in failed] == [case.case_no, unknown_no]
    assert all(e.case_id is None for e in failed)  # the log does not tell either


def test_the_right_code_opens_the_case_in_any_letter_case_and_is_audited(session, cases,
                                                                         throttle):
    case = cases.register()
    opened = portal.open_case(session, throttle, days_after(case.created_at, 1),
                              f" {case.case_no} ", case.query_code.lower(), "10.0.0.1")
    assert opened.id == case.id
    assert _actions(session, "public_query_opened")[0].case_id == case.id


def test_twenty_wrong_codes_from_one_address_are_throttled_but_not_the_petitioner(
        session, cases, throttle):
    case = cases.register()
    when = days_after(case.created_at, 1)
    answers = []
    for i in range(20):
        try:
            portal.open_case(session, throttle, when + timedelta(seconds=i), case.case_no,
                             f"WRONG{i:03d}", "127.0.0.2")
        except portal.Throttled:
            answers.append("throttled")
        except NotFoundError:
            answers.append("wrong")
    assert answers[:5] == ["wrong"] * 5 and answers[-1] == "throttled"
    assert portal.open_case(session, throttle, when + timedelta(seconds=21), case.case_no,
                            case.query_code, "127.0.0.3").id == case.id


def test_delays_grow_and_are_shared_through_the_database(Session, cases):
    case = cases.register()
    when = days_after(case.created_at, 1)
    waits = []
    for _ in range(9):
        with Session() as other:  # a fresh session and throttle each time, as another process
            with pytest.raises(NotFoundError):
                portal.open_case(other, DatabaseThrottle(), when, case.case_no, "X", "10.9.9.9")
        with Session() as other:
            wait = DatabaseThrottle().wait(other, [("query-address", "10.9.9.9")], when)
            if wait:
                with pytest.raises(portal.Throttled):
                    portal.open_case(other, DatabaseThrottle(), when, case.case_no,
                                     case.query_code, "10.9.9.9")
        waits.append(wait)
        when += timedelta(seconds=wait)  # the next try comes when the delay is over
    assert waits[:5] == [0] * 5
    assert waits[5:] == [31, 61, 121, 241]


def test_the_petitioner_view_shows_no_identity_staff_note_or_accused_unit(session, cases, world):
    case = cases.register(summary="举报眉县某局干部张三违规收费", request="请求查处张三",
                          facts_and_reasons="张三在眉县某局多次违规收费。")
    case = cases.fire(case, "classify", APPEAL6)
    case = cases.fire(case, "transfer")
    case = cases.fire(case, "object", {"reason": "内部意见：本单位认为不属职权"})
    case = cases.fire(case, "reject_objection", {"reason": "内部答复：属于你单位职权"})
    for step in ["accept", "reply", "deliver"]:
        case = cases.fire(case, step)
    file = portal.petitioner_file(session, case, days_after(case.updated_at, 1), 30)
    text = repr(file)
    staff = session.execute(select(User.username, User.display_name)).all()
    assert not [name for row in staff for name in row if name in text]
    assert "内部意见" not in text and "内部答复" not in text
    assert "张三" not in text and "某局" not in text
    assert not ID_LIKE.search(text), ID_LIKE.search(text)
    party = case.parties[0]
    assert party.id_number not in text and party.phone not in text and party.name not in text
    assert [e.text for e in file.events][:2] == ["登记", "转送眉县人力资源和社会保障局办理"]
    assert "异议函" not in [n.title for n in file.notices]
    assert file.handling_unit == "眉县人力资源和社会保障局"


def test_evaluation_within_its_window_opens_a_follow_up_task_and_keeps_the_state(
        session, cases, world):
    case, delivered = _delivered(cases)
    state = case.state
    when = at(delivered + timedelta(days=30), 20)
    row = feedback.evaluate(session, when, case, {"unit_rating": "dissatisfied",
                                                  "bureau_rating": "satisfied",
                                                  "comment": "答复没有解决问题"},
                            window_days=30)
    session.expire_all()
    assert session.get(Case, case.id).state == state  # never a legal step by itself
    supervisor = world.actor("county_supervisor")
    items = session.execute(select(InboxItem).where(InboxItem.case_id == case.id)).scalars()
    assert {(i.user_id, i.kind) for i in items} == {(supervisor.user_id, "followup")}
    assert _actions(session, "petitioner_evaluated")[0].details["unit_rating"] == "dissatisfied"
    assert feedback.staff_feedback(session, case).evaluation.id == row.id
    with pytest.raises(TransitionNotAllowed):  # once only
        feedback.evaluate(session, when, case, {"unit_rating": "satisfied",
                                                "bureau_rating": "satisfied"}, window_days=30)


def test_evaluation_outside_its_window_or_before_delivery_is_refused(session, cases):
    case, delivered = _delivered(cases)
    good = {"unit_rating": "satisfied", "bureau_rating": "basically_satisfied"}
    with pytest.raises(TransitionNotAllowed, match="评价期限已于"):
        feedback.evaluate(session, at(delivered + timedelta(days=31)), case, good,
                          window_days=30)
    early = cases.walk(["classify", "transfer", "accept"])
    with pytest.raises(TransitionNotAllowed, match="尚未送达"):
        feedback.evaluate(session, days_after(early.updated_at, 1), early, good, window_days=30)
    with pytest.raises(ValidationError) as missing:
        feedback.evaluate(session, at(delivered), case, {}, window_days=30)
    assert set(missing.value.fields) == {"unit_rating", "bureau_rating"}


def test_review_is_offered_only_on_a_handling_opinion_inside_its_window(session, cases):
    case, delivered = _delivered(cases)
    inside, outside = at(delivered + timedelta(days=30)), at(delivered + timedelta(days=31))
    assert [o.trigger for o in portal.request_options(session, case, inside.date())] == \
        ["request_review"]
    assert portal.request_options(session, case, outside.date()) == []
    suggestion = cases.walk(DELIVERED, classification={"category": "suggestion"})
    on = portal.delivered_on(suggestion) + timedelta(days=1)
    assert portal.request_options(session, suggestion, on) == []  # 第三十五条: no 复查 here
    early = cases.walk(["classify", "transfer", "accept"])
    assert portal.request_options(session, early, early.updated_at.date()) == []


def test_an_online_review_request_arrives_with_its_received_date_for_staff(session, cases,
                                                                           world):
    case, delivered = _delivered(cases)
    when = at(delivered + timedelta(days=10), 21)
    row = feedback.request_review(session, when, case, "request_review", "不服处理意见，请求复查")
    assert row.received_at == when and row.status == "pending"
    reception = world.actor("reception")
    titles = session.execute(select(InboxItem.title).where(
        InboxItem.user_id == reception.user_id)).scalars().all()
    assert titles == [f"网上申请复查请求，请登记：{case.case_no}"]
    with pytest.raises(TransitionNotAllowed):
        feedback.request_review(session, when, case, "request_review", "再次提交")
    with pytest.raises(TransitionNotAllowed):
        feedback.request_review(session, when, case, "decide_review", "不是申请")
    requests = feedback.staff_feedback(session, case).requests
    assert [(r.label, r.recorded) for r in requests] == [("申请复查", False)]
    # Staff record it the next day with the day it was received online (第三十五条).
    cases.fire(case, "request_review", {"reason": "信访人网上请求复查",
                                        "received_on": when.date().isoformat()},
               when=when + timedelta(days=1))
    requests = feedback.staff_feedback(session, case).requests
    assert [r.recorded for r in requests] == [True]


def test_a_reissued_query_code_ends_the_old_one(session, cases, world, throttle):
    case = cases.register()
    old = case.query_code
    when = days_after(case.created_at, 1)
    digest = portal.code_digest(old)
    new = portal.reissue_query_code(session, world.actor("reception"), when, case.id)
    assert new != old
    with pytest.raises(NotFoundError):
        portal.open_case(session, throttle, when, case.case_no, old, "10.0.0.5")
    with pytest.raises(NotFoundError):
        portal.authorised_case(session, case.id, digest)
    assert portal.open_case(session, throttle, when, case.case_no, new, "10.0.0.5").id == case.id
    entry = _actions(session, "query_code_reissued")[0]
    assert entry.actor_username == "reception.meixian" and old not in str(entry.details)
    with pytest.raises(PermissionDenied):
        portal.reissue_query_code(session, world.actor("handler"), when, case.id)


def _online_form(cases, **overrides):
    form = cases.form(**overrides)
    form.pop("channel")
    return form


def test_an_online_petition_enters_the_county_queue_as_web_and_keeps_repeats_for_staff(
        session, cases, world, throttle):
    first = cases.register()
    form = cases.form()
    form.pop("channel")
    form["petitioners"] = [
        {"name": p.name, "id_number": p.id_number, "phone": p.phone, "address": p.address}
        for p in first.parties]
    form["summary"], form["request"] = first.summary, first.request
    form["facts_and_reasons"] = first.facts_and_reasons
    when = days_after(first.created_at, 2)
    case = online.submit_online(session, throttle, when, form, county="meixian", consent=True,
                                address="10.1.1.1")
    assert (case.channel, case.state, case.region_id) == ("web", "registered", first.region_id)
    assert case.repeat_of_id is None
    assert [m["case_no"] for m in case.data["online"]["repeat_candidates"]] == [first.case_no]
    assert _actions(session, "case_registered")[-1].actor_role == portal.public_role()


def test_an_online_petition_uses_the_registration_contract_and_needs_consent(session, cases,
                                                                            throttle):
    form = _online_form(cases, summary="", petitioners=[{"name": "李四",
                                                          "id_number": "610326199001011234"}])
    with pytest.raises(ValidationError) as bad:
        online.submit_online(session, throttle, at("2026-03-02"), form, county="nowhere",
                             consent=False, address="10.1.1.2")
    assert {"summary", "petitioners-0-id_number", "county", "consent"} <= set(bad.value.fields)
    assert session.execute(select(Case.id)).first() is None


def test_online_submissions_are_limited_per_address(session, cases, throttle):
    when = at("2026-03-02")
    refused = 0
    for i in range(8):
        try:
            online.submit_online(session, throttle, when + timedelta(minutes=i),
                                 _online_form(cases), county="meixian", consent=True,
                                 address="10.1.1.3")
        except portal.Throttled:
            refused += 1
    assert refused == 3
    online.submit_online(session, throttle, when, _online_form(cases), county="meixian",
                         consent=True, address="10.1.1.4")


def test_sms_is_off_by_default_and_says_no_more_than_the_query_page(session, cases):
    case, delivered = _delivered(cases)
    when = at(delivered)
    assert sms.notify_petitioner(session, case, when, {}) == 0
    settings = {"PETITION_FLOW_SMS_WEBHOOK_URL": "http://127.0.0.1:9/sms"}
    assert sms.notify_petitioner(session, case, when, settings) == 1
    from petition_flow.models import Delivery
    row = session.execute(select(Delivery)).scalar_one()
    assert row.channel == "webhook" and row.payload["phone"] == case.parties[0].phone
    file = portal.petitioner_file(session, case, when, 30)
    assert file.case_no in row.body and file.state_label in row.body
    assert case.query_code not in row.body and case.parties[0].name not in row.body
    assert case.summary not in row.body
    assert session.execute(select(PetitionerRequest)).first() is None


def test_an_online_petition_queues_its_sms_in_the_same_commit(session, cases, throttle):
    from petition_flow.models import Delivery

    settings = {"PETITION_FLOW_SMS_WEBHOOK_URL": "http://127.0.0.1:9/sms",
                "PETITION_FLOW_SMS_SIGN": "眉县信访局"}
    case = online.submit_online(session, throttle, at("2026-03-02"), _online_form(cases),
                                county="meixian", consent=True, address="10.1.1.5",
                                settings=settings)
    row = session.execute(select(Delivery)).scalar_one()
    assert row.payload == {"phone": case.parties[0].phone, "sign": "眉县信访局",
                           "content": row.body}
    assert case.case_no in row.body and "已登记" in row.body
    assert case.query_code not in row.body
