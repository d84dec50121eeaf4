"""信访工作条例第三十条第三款: a 检举控告 is never shown to, nor sent to, those it accuses.

The accusation of the issue: staff of 眉县人社局 (meixian.hrss, where handler.meixian and
unit_leader.meixian work) are accused; for them the case must not exist anywhere."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from helpers import days_after
from sqlalchemy import select

from petition_flow import clock
from petition_flow.errors import ValidationError
from petition_flow.models import AuditEntry, Notice, User
from petition_flow.services.actor import SYSTEM
from petition_flow.services.digest import warning_figures
from petition_flow.services.exclusions import record_accused
from petition_flow.services.inbox import unread_count
from petition_flow.services.queries import CaseFilters, list_cases
from petition_flow.services.supervision import issue_supervision_order
from petition_flow.services.tokens import create_token
from tests.web.conftest import text
from tests.web.oversight_helpers import QUIET, inbox_items
from tests.web.oversight_helpers import today as page_today

ACCUSATION = {"category": "accusation"}
ACCUSED_STAFF = ["handler.meixian", "unit_leader.meixian"]


def _classified(cases):
    case = cases.register(summary="检举眉县人社局工作人员违规发放补贴")
    return cases.fire(case, "classify", dict(ACCUSATION))


def _record(world, case, **lists):
    return record_accused(world.session, world.actor("reception"),
                          days_after(case.updated_at, 1), case.id, **lists)


@pytest.fixture
def accused_case(cases, world, session):
    """An accusation against 眉县人社局, recorded at triage and transferred to 眉县住建局."""
    case = _classified(cases)
    case = _record(world, case, unit_ids=[world.unit("meixian.hrss")])
    case = cases.fire(case, "transfer", {"unit": world.unit("meixian.housing")})
    notice_id = session.execute(select(Notice.id).where(Notice.case_id == case.id)
                                .order_by(Notice.id.desc())).scalars().first()
    facts = case.id, case.case_no, case.parties[0].name, notice_id
    session.commit()
    return facts


def _plain(response) -> str:
    """The page without its CSRF token (signed with the time, so it differs by the second)."""
    return re.sub(r'name="csrf_token"[^>]*>', "", text(response))


def _bearer(session, username: str) -> dict:
    token = create_token(session, SYSTEM, clock.now(), username, "test").token
    session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("username", ACCUSED_STAFF)
def test_an_accused_units_staff_get_404_on_the_case_page_its_notices_and_the_api(
        as_user, app, session, accused_case, username):
    case_id, case_no, accuser, notice_id = accused_case
    b = as_user(username)
    for url in (f"/cases/{case_id}", f"/cases/{case_id}/notices/{notice_id}"):
        response = b.get(url)
        assert response.status_code == 404, url
        assert case_no not in text(response) and accuser not in text(response)
    missing = b.get("/cases/999999")
    assert _plain(b.get(f"/cases/{case_id}")) == _plain(missing)  # exactly as a missing case
    for url in (f"/cases/{case_id}/reveal", f"/cases/{case_id}/actions/accept",
                f"/cases/{case_id}/recusal"):
        assert b.post(url, {"reason": "x"}).status_code == 404, url
    api = app.test_client()
    response = api.get(f"/api/v1/petitions/{case_id}", headers=_bearer(session, username))
    assert response.status_code == 404
    assert case_no not in response.get_data(as_text=True)


def test_the_case_is_absent_from_the_accused_handlers_lists_and_counts(
        as_user, app, session, world, accused_case):
    case_id, case_no, accuser, _ = accused_case
    b = as_user("handler.meixian")
    for url in ("/cases", "/cases?state=transferred", "/cases?category=accusation"):
        assert case_no not in text(b.get(url)), url
    api = app.test_client()
    listed = api.get("/api/v1/petitions", headers=_bearer(session, "handler.meixian")).get_json()
    assert case_no not in str(listed)
    handler = world.actor("handler")
    page = list_cases(session, handler, CaseFilters(), clock.local_date(clock.now()))
    assert case_id not in [r.id for r in page.rows] and page.total == 0
    # Everyone else who may see it still does: the housing bureau's county, and the city.
    for role in ("reception", "county_supervisor", "city_supervisor"):
        rows = list_cases(session, world.actor(role), CaseFilters(), clock.local_date(clock.now()))
        assert case_id in [r.id for r in rows.rows], role


def test_staff_of_the_accused_unit_lose_the_case_from_their_inbox_orders_and_counts(
        as_user, cases, session, world):
    """Handled by 人社局 first, then handed over; its staff had a supervision order in the
    inbox. Once 人社局 is recorded as accused, the case is gone from everything they see."""
    case = cases.walk(["classify", "transfer", "accept"], classification=ACCUSATION)
    order = issue_supervision_order(
        session, world.actor("county_supervisor"), clock.now(), case.id,
        requirements="请查明有关情况并书面回复。", due_date=page_today() + timedelta(days=10),
        config=QUIET)
    case = cases.fire(case, "hand_over", {"unit": world.unit("meixian.housing"),
                                          "reason": "该事项由住建部门主管"})
    session.commit()
    handler = world.actor("handler")
    assert unread_count(session, handler) == 1
    before = warning_figures(session, handler, clock.now())
    assert before.open_orders == 1
    b = as_user("handler.meixian")
    assert case.case_no in text(b.get("/inbox/")) and case.case_no in text(b.get("/cases"))
    # The open order followed the case to 住建局 at the hand-over; 人社局 answers it no more.
    assert b.get(f"/orders/{order.id}").status_code == 404

    _record(world, case, unit_ids=[world.unit("meixian.hrss")])
    session.commit()
    assert unread_count(session, handler) == 0
    assert warning_figures(session, handler, clock.now()).open_orders == 0
    for url in ("/inbox/", "/cases", "/orders/"):
        page = text(b.get(url))
        assert case.case_no not in page, url
    item = inbox_items(session, "handler.meixian")[0]
    assert b.post(f"/inbox/{item.id}/acknowledge").status_code == 404
    assert b.get(f"/orders/{order.id}").status_code == 404
    assert _plain(b.get(f"/orders/{order.id}")) == _plain(b.get("/orders/999999"))
    assert b.post(f"/orders/{order.id}/reply", {"reply": "已查明"}).status_code == 404
    # The county supervisor still sees its order and the case.
    assert case.case_no in text(as_user("county_supervisor.meixian").get("/orders/"))


def test_an_accused_user_of_another_unit_cannot_see_the_case_but_colleagues_can(
        as_user, cases, world, session):
    case = _classified(cases)
    reception2 = User(username="reception2", display_name="接访员乙", password_hash="x",
                      unit_id=world.unit("meixian.bureau"), role="reception", active=True,
                      failed_logins=0, created_at=case.created_at)
    session.add(reception2)
    session.commit()
    case = _record(world, case, user_ids=[reception2.id], names=["张某"])
    session.commit()
    from petition_flow.services.actor import Actor, can_view

    assert not can_view(Actor.of(reception2), case)
    assert can_view(world.actor("county_supervisor"), case)  # same unit, not accused
    page = list_cases(session, Actor.of(reception2), CaseFilters(), clock.local_date(clock.now()))
    assert case.id not in [r.id for r in page.rows]
    assert case.case_no in text(as_user("county_supervisor.meixian").get("/cases"))


@pytest.mark.parametrize("trigger", ["transfer", "assign"])
def test_transfer_or_assignment_to_the_accused_unit_is_refused_citing_article_30(
        cases, world, trigger):
    case = _classified(cases)
    case = _record(world, case, unit_ids=[world.unit("meixian.hrss")])
    inputs = {"unit": world.unit("meixian.hrss")}
    if trigger == "assign":
        inputs["assigned_due"] = (clock.local_date(case.updated_at) + timedelta(days=20)
                                  ).isoformat()
    with pytest.raises(ValidationError) as refused:
        cases.fire(case, trigger, inputs)
    assert "第三十条" in refused.value.fields["unit"]
    world.session.rollback()
    assert world.session.get(type(case), case.id).state == "triaged"


def test_the_transfer_form_refuses_the_accused_unit_and_does_not_offer_it(
        as_user, cases, world, session):
    case = _classified(cases)
    case = _record(world, case, unit_ids=[world.unit("meixian.hrss")])
    session.commit()
    b = as_user("reception.meixian")
    page = text(b.get(f"/cases/{case.id}"))
    transfer = re.search(r'<select id="transfer-unit".*?</select>', page, re.S).group(0)
    assert "人力资源和社会保障局" not in transfer and "住房和城乡建设局" in transfer
    response = b.post(f"/cases/{case.id}/actions/transfer",
                      {"transfer-unit": str(world.unit("meixian.hrss")),
                       "transfer-version_id": str(case.version_id)})
    assert response.status_code == 400
    assert "信访工作条例第三十条第三款" in text(response)


def test_the_accused_unit_cannot_receive_a_hand_over(cases, world, session):
    case = cases.walk(["classify", "transfer", "accept"], classification=ACCUSATION)
    case = _record(world, case, unit_ids=[world.unit("meixian.housing")])
    with pytest.raises(ValidationError) as refused:
        cases.fire(case, "hand_over", {"unit": world.unit("meixian.housing"), "reason": "移交"})
    assert "第三十条" in refused.value.message


def test_staff_record_the_accused_on_the_triage_page_and_the_change_is_audited(
        as_user, cases, session, world):
    case = _classified(cases)
    session.commit()
    b = as_user("reception.meixian")
    page = text(b.get(f"/cases/{case.id}"))
    assert "登记被检举控告对象" in page and 'name="accused-units"' in page and 'name="accused-users"' in page
    hrss, housing = world.unit("meixian.hrss"), world.unit("meixian.housing")
    response = b.post(f"/cases/{case.id}/accused", {"accused-units": [str(hrss)],
                                                   "accused-names": "李某、王某",
                                                   "accused-version_id": str(case.version_id)})
    assert response.status_code == 302
    page = text(b.get(f"/cases/{case.id}"))
    assert "眉县人力资源和社会保障局" in page and "李某、王某" in page
    session.commit()  # end the test's read: the page wrote through its own session
    session.expire_all()
    version = session.get(type(case), case.id).version_id
    # Changing it needs a reason, and keeps what was typed.
    refused = b.post(f"/cases/{case.id}/accused", {"accused-units": [str(hrss), str(housing)],
                                                  "accused-version_id": str(version)})
    assert refused.status_code == 400 and "须填写理由" in text(refused)
    assert re.search(rf'<input checked[^>]*value="{housing}"', text(refused))
    assert 'class="field has-error' in text(refused)
    changed = b.post(f"/cases/{case.id}/accused", {
        "accused-units": [str(housing)], "accused-names": "李某",
        "accused-reason": "经核实，被检举控告的是住建局工作人员", "accused-version_id": str(version)})
    assert changed.status_code == 302
    session.commit()
    session.expire_all()
    entries = list(session.execute(
        select(AuditEntry).where(AuditEntry.case_id == case.id,
                                 AuditEntry.action.in_(("accused_recorded", "accused_changed")))
        .order_by(AuditEntry.seq)).scalars())
    assert [e.action for e in entries] == ["accused_recorded", "accused_changed"]
    assert entries[0].actor_username == "reception.meixian"
    assert [u["id"] for u in entries[0].details["after"]["units"]] == [hrss]
    last = entries[1].details
    assert [u["id"] for u in last["before"]["units"]] == [hrss]
    assert last["before"]["names"] == ["李某", "王某"]
    assert [u["id"] for u in last["after"]["units"]] == [housing] and last["after"]["names"] == ["李某"]
    assert last["reason"] == "经核实，被检举控告的是住建局工作人员"
    assert "变更被检举控告对象" in text(b.get(f"/cases/{case.id}"))  # on the timeline too
    # 人社局 is no longer accused, but the case was never its own: as if it did not exist.
    assert as_user("handler.meixian").get(f"/cases/{case.id}").status_code == 404


def test_only_accusations_take_an_accused_list_and_never_the_recorders_own_unit(
        cases, world):
    appeal = cases.walk(["classify"])
    with pytest.raises(ValidationError, match="检举控告类"):
        _record(world, appeal, unit_ids=[world.unit("meixian.hrss")])
    world.session.rollback()
    case = _classified(cases)
    with pytest.raises(ValidationError, match="本人所在单位"):
        _record(world, case, unit_ids=[world.unit("meixian.bureau")])
    world.session.rollback()
    reception = world.actor("reception")
    with pytest.raises(ValidationError, match="不能登记本人"):
        _record(world, case, user_ids=[reception.user_id])
    world.session.rollback()
    with pytest.raises(ValidationError, match="本县（区）"):
        _record(world, case, user_ids=[world.actor("handler", "jintai").user_id])


def test_the_unit_now_handling_the_matter_cannot_be_recorded_as_accused(cases, world):
    case = cases.walk(["classify", "transfer"], classification=ACCUSATION)
    with pytest.raises(ValidationError, match="当前的承办单位"):
        _record(world, case, unit_ids=[world.unit("meixian.hrss")])


def test_a_handler_cannot_record_the_accused_list(cases, world):
    from petition_flow.errors import PermissionDenied

    case = cases.walk(["classify", "transfer", "accept"], classification=ACCUSATION)
    with pytest.raises(PermissionDenied, match="研判分类"):
        record_accused(world.session, world.actor("handler"), days_after(case.updated_at, 1),
                       case.id, unit_ids=[world.unit("meixian.housing")])


def test_an_accused_form_opened_before_another_change_is_refused_and_changes_nothing(
        as_user, cases, session, world):
    case = _classified(cases)
    stale = case.version_id
    case = _record(world, case, unit_ids=[world.unit("meixian.housing")])
    session.commit()
    response = as_user("reception.meixian").post(f"/cases/{case.id}/accused", {
        "accused-units": [str(world.unit("meixian.hrss"))], "accused-reason": "更正",
        "accused-version_id": str(stale)})
    assert response.status_code == 409 and "已被他人修改" in text(response)
    session.expire_all()
    assert [a.unit_id for a in session.get(type(case), case.id).accused] == [
        world.unit("meixian.housing")]
