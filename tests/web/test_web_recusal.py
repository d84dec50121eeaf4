"""信访工作条例第二十八条第三款 (回避): staff with a conflict of interest step aside.

handler.meixian and unit_leader.meixian both work at 眉县人社局, which handles the case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import at, days_after
from sqlalchemy import select

from petition_flow import clock
from petition_flow.errors import PermissionDenied, ValidationError
from petition_flow.models import AuditEntry, User
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.exclusions import declare_recusal
from petition_flow.services.petitions import available_triggers
from petition_flow.services.supervision import issue_supervision_order
from tests.web.conftest import text
from tests.web.oversight_helpers import QUIET, handling_clock, inbox_items
from tests.web.oversight_helpers import today as page_today


@pytest.fixture
def handled(cases, session):
    case = cases.walk(["classify", "transfer", "accept"])
    session.commit()
    return case


def _audits(session, case_id):
    session.commit()
    session.expire_all()
    return list(session.execute(select(AuditEntry).where(
        AuditEntry.case_id == case_id, AuditEntry.action == "recusal_declared")
        .order_by(AuditEntry.seq)).scalars())


def test_a_recused_handler_cannot_act_on_the_case(as_user, handled, session, cases):
    b = as_user("handler.meixian")
    page = text(b.get(f"/cases/{handled.id}"))
    assert "申请回避" in page and "出具处理意见书" in page
    response = b.post(f"/cases/{handled.id}/recusal", {"recusal-reason": "信访人系本人表兄"})
    assert response.status_code == 302
    page = text(b.get(f"/cases/{handled.id}"))
    assert "您已对该信访事项登记回避" in page and "信访人系本人表兄" in page
    assert f'action="/cases/{handled.id}/actions/reply"' not in page
    refused = b.post(f"/cases/{handled.id}/actions/reply", {
        "reply-outcome": "explain", "reply-opinion": "意见", "reply-legal_basis": "依据",
        "reply-version_id": str(handled.version_id + 1)})
    assert refused.status_code == 403 and "第二十八条" in text(refused)
    session.commit()
    session.expire_all()  # the pages wrote through their own sessions
    with pytest.raises(PermissionDenied, match="第二十八条"):
        cases.fire(handled, "reply", role="handler")
    session.rollback()
    [entry] = _audits(session, handled.id)
    assert entry.actor_username == "handler.meixian"
    assert entry.details["reason"] == "信访人系本人表兄" and entry.details["by_leader"] is False
    # The unit leader, not recused, still acts; the handler still reads the case.
    leader = cases.world.actor("unit_leader")
    assert "reply" in [t.name for t in available_triggers(session, leader, handled, clock.now())]
    assert b.get(f"/cases/{handled.id}").status_code == 200


def test_a_recusal_needs_a_reason(as_user, handled):
    b = as_user("handler.meixian")
    response = b.post(f"/cases/{handled.id}/recusal", {"recusal-reason": "  "})
    assert response.status_code == 400 and "请填写回避理由" in text(response)
    assert "您已对该信访事项登记回避" not in text(b.get(f"/cases/{handled.id}"))


def test_a_unit_leader_records_a_members_recusal(as_user, handled, session, world, cases):
    handler = world.actor("handler")
    b = as_user("unit_leader.meixian")
    page = text(b.get(f"/cases/{handled.id}"))
    assert "申请或登记回避" in page and f'value="{handler.user_id}"' in page
    response = b.post(f"/cases/{handled.id}/recusal", {
        "recusal-member": str(handler.user_id), "recusal-reason": "与被反映单位负责人有利害关系"})
    assert response.status_code == 302
    [entry] = _audits(session, handled.id)  # (expires the test's copy of the case)
    assert entry.actor_username == "unit_leader.meixian" and entry.details["by_leader"] is True
    assert entry.details["user_id"] == handler.user_id
    with pytest.raises(PermissionDenied, match="回避"):
        cases.fire(handled, "reply", role="handler")
    session.rollback()
    shown = text(as_user("handler.meixian").get(f"/cases/{handled.id}"))
    assert "您已对该信访事项登记回避" in shown and "由unit_leader.meixian登记" in shown


def test_only_a_unit_leader_records_a_recusal_for_someone_else(handled, world, session):
    leader = world.actor("unit_leader")
    with pytest.raises(PermissionDenied, match="单位负责人"):
        declare_recusal(session, world.actor("handler"), clock.now(), handled.id, "理由",
                        user_id=leader.user_id)
    other = session.execute(select(User).where(User.username == "handler.jintai")).scalar_one()
    with pytest.raises(ValidationError, match="本单位"):
        declare_recusal(session, leader, clock.now(), handled.id, "理由", user_id=other.id)
    with pytest.raises(PermissionDenied):
        declare_recusal(session, world.actor("reception"), clock.now(), handled.id, "理由")


def test_a_recused_handler_is_not_told_of_the_cases_alerts_or_orders(
        handled, world, session, cases):
    declare_recusal(session, world.actor("handler"), days_after(handled.updated_at, 1),
                    handled.id, "信访人系本人近亲属")
    red_on = handling_clock(session, handled.id).red_on
    sweep_deadlines(session, at(red_on + timedelta(days=1)), config=QUIET)
    issue_supervision_order(session, world.actor("county_supervisor"), clock.now(), handled.id,
                            requirements="请书面回复。", due_date=page_today() + timedelta(days=5),
                            config=QUIET)
    session.commit()
    assert inbox_items(session, "handler.meixian") == []
    kinds = {i.kind for i in inbox_items(session, "unit_leader.meixian")}  # (Meixian's local
    assert kinds == {"alert", "supervision"}  # 30-day clock alerts too: one alert per clock)
