"""One input contract for both channels: the registration page and POST /petitions refuse
the same inputs (NUL and control characters, too long, too many petitioners, impossible or
unexplained received dates) — refused, never cut — and accept a late one with its reason."""

from __future__ import annotations

from datetime import date

import pytest
from helpers import id_number, petition
from sqlalchemy import func, select

from petition_flow.domain.engine import validate_inputs
from petition_flow.domain.spec import InputSpec, TriggerSpec
from petition_flow.errors import ValidationError
from petition_flow.models import AuditEntry, Case
from tests.web.conftest import Browser, text


@pytest.fixture
def page(app):
    b = Browser(app.test_client())
    assert b.login("reception.meixian").status_code == 302
    return b


def _page_form(body: dict) -> dict:
    form = {k: v for k, v in body.items() if k != "petitioners" and v is not None}
    for i, p in enumerate(body.get("petitioners", [])):
        for key, value in p.items():
            form[f"petitioners-{i}-{key}"] = value
    form["received_at"] = body["received_at"][:16]
    return form


def _count(Session) -> int:
    with Session() as s:
        return s.execute(select(func.count()).select_from(Case)).scalar_one()


def _person(n: int, **over) -> dict:
    return {"name": f"信访人{n}", "id_number": id_number(n), "phone": "13812345678", **over}


CASES = {
    "nul in the summary": dict(summary="拖欠\x00工资"),
    "a control character in a name": dict(petitioners=[_person(1, name="王\x07五")]),
    "a line break in the summary": dict(summary="第一行\n第二行"),
    "a 5,000-character address": dict(petitioners=[_person(1, address="某" * 5000)]),
    "a 201-character summary": dict(summary="长" * 201),
    "31 petitioners": dict(petitioners=[_person(n) for n in range(31)]),
    "received in 1900": dict(received_at="1900-01-01T09:00:00+08:00"),
    "received in the future": dict(received_at="2026-03-03T09:00:00+08:00"),
    "received 40 days ago without a reason": dict(received_at="2026-01-21T09:00:00+08:00"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_page_and_the_api_refuse_the_same_input(name, api, page, Session):
    body = petition(**CASES[name])
    answer = api.post("/petitions", as_="reception", json=body)
    assert answer.status in (400, 422), (name, answer.status)
    response = page.post("/reception/petitions/new", _page_form(body))
    assert response.status_code == 400, (name, response.status_code)
    assert "errors" in text(response) or "空字符" in text(response)
    assert _count(Session) == 0  # nothing stored, nothing cut


def test_both_say_the_petitioner_limit_in_the_same_words_on_the_page(page):
    body = petition(petitioners=[_person(n) for n in range(40)])
    response = page.post("/reception/petitions/new", _page_form(body))
    assert response.status_code == 400 and "一次登记最多30名信访人（现为40名）" in text(response)


def test_a_late_registration_with_its_reason_is_kept_on_the_case_and_in_the_audit(api, page,
                                                                                 Session):
    late = "2026-01-21T09:00:00+08:00"
    answer = api.post("/petitions", as_="reception",
                      json=petition(received_at=late, late_reason="来信在邮路滞留，今日补登"))
    assert answer.status == 201, answer.json
    response = page.post("/reception/petitions/new", _page_form(
        petition(2, received_at=late, late_reason="窗口积压，补登记")))
    assert response.status_code == 302, text(response)
    with Session() as s:
        entries = list(s.execute(select(AuditEntry).where(
            AuditEntry.action == "case_registered").order_by(AuditEntry.seq)).scalars())
        reasons = [e.details["late_reason"] for e in entries]
        case_id = entries[0].case_id
    assert reasons == ["来信在邮路滞留，今日补登", "窗口积压，补登记"]
    handler_page = text(page.get(f"/cases/{case_id}"))
    assert "延迟登记理由" in handler_page and "来信在邮路滞留，今日补登" in handler_page


def test_a_recent_registration_needs_no_reason(api):
    assert api.post("/petitions", as_="reception",
                    json=petition(received_at="2026-02-01T09:00:00+08:00")).status == 201


def test_trigger_text_inputs_refuse_control_characters_but_keep_line_breaks():
    trigger = TriggerSpec("reply", "答复", frozenset({"handler"}),
                          (InputSpec("opinion", "处理意见", "text", required=True),))
    assert validate_inputs(trigger, {"opinion": "第一段\n第二段"}, date(2026, 3, 2)) == \
        {"opinion": "第一段\n第二段"}
    for bad in ("含\x00空字符", "含\x1b转义"):
        with pytest.raises(ValidationError) as refused:
            validate_inputs(trigger, {"opinion": bad}, date(2026, 3, 2))
        assert "处理意见" in refused.value.fields["opinion"]
    with pytest.raises(ValidationError):
        validate_inputs(trigger, {"opinion": "长" * 4001}, date(2026, 3, 2))
