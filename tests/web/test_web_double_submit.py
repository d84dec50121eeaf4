"""A page form submitted twice (a double click, a browser retry) is one action: the form's
one-time token is committed with the action, and the second submit goes where the first went."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from petition_flow import clock
from petition_flow.models import AuditEntry, Case
from tests.web.conftest import text

ONCE = re.compile(r'name="form_once" value="([^"]+)"')


def test_submitting_one_action_form_twice_fires_the_transition_once(as_user, cases, session):
    case = cases.register()
    case_id = case.id
    session.commit()
    b = as_user("reception.meixian")
    page = text(b.get(f"/cases/{case_id}"))
    token = ONCE.search(page).group(1)
    version = re.search(r'name="classify-version_id"[^>]*value="(\d+)"', page)
    data = {"classify-category": "appeal", "classify-route": "6", "form_once": token,
            "confirmed": "1"}
    if version:
        data["classify-version_id"] = version.group(1)
    first = b.post(f"/cases/{case_id}/actions/classify", data)
    second = b.post(f"/cases/{case_id}/actions/classify", data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert "只执行了一次" in text(b.get(second.headers["Location"]))
    transitions = session.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.case_id == case_id, AuditEntry.action == "transition")).scalar_one()
    session.commit()
    assert transitions == 1


def test_submitting_the_registration_form_twice_registers_one_petition(as_user, session):
    b = as_user("reception.meixian")
    page = text(b.get("/reception/petitions/new"))
    token = ONCE.search(page).group(1)
    received = (clock.local_now() if hasattr(clock, "local_now") else
                clock.now().astimezone(clock.CHINA_TZ)) - timedelta(hours=1)
    data = {"form_once": token, "channel": "visit",
            "received_at": received.strftime("%Y-%m-%dT%H:%M"),
            "summary": "反映小区供暖不达标", "request": "请求督促供热公司整改",
            "facts_and_reasons": "今冬室温长期低于18度。", "petitioners-0-name": "李秀英",
            "petitioners-0-phone": "13812345678"}
    first = b.post("/reception/petitions/new", data)
    assert first.status_code == 302, text(first)[:2000]
    second = b.post("/reception/petitions/new", data)
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 1
    session.commit()
