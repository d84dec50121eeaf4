"""办理: inbox by urgency, the case page, actions from the workflow, masking and reveal,
the concurrent-edit message, and a whole case walked through the pages."""

import re

from helpers import at, nothing_changes
from sqlalchemy import select

from petition_flow import clock
from petition_flow.clock import local_date
from petition_flow.devtools.demo import REPLY
from petition_flow.models import AuditEntry, Case
from petition_flow.services.audit import verify_chain
from tests.web.conftest import text


def version(session, case_id):
    v = session.execute(select(Case.version_id).where(Case.id == case_id)).scalar_one()
    session.commit()
    return str(v)


def fire(b, session, case_id, trigger, **inputs):
    data = {f"{trigger}-{k}": v for k, v in inputs.items()}
    data[f"{trigger}-version_id"] = version(session, case_id)
    data["confirmed"] = "1"  # past the confirmation page of an irreversible step
    return b.post(f"/cases/{case_id}/actions/{trigger}", data)


def test_the_inbox_puts_the_overdue_case_first_with_its_colour_and_days_over(
        as_user, cases, session):
    old = cases.walk(["classify", "transfer", "accept"], start=at("2026-01-05", 9))
    new = cases.walk(["classify", "transfer", "accept"], start=at("2026-11-20", 9),
                     gaps={"accept": 1})
    old_no, new_no = old.case_no, new.case_no
    session.commit()
    page = text(as_user("handler.meixian").get("/cases"))
    assert page.index(old_no) < page.index(new_no)
    assert "红色超期" in page and re.search(r"超期\d+天", page)


def test_the_inbox_filters_by_state_and_rejects_an_unknown_step_in_chinese(
        as_user, cases, session):
    a = cases.walk(["classify"])
    b_case = cases.register()
    a_no, b_no = a.case_no, b_case.case_no
    session.commit()
    b = as_user("reception.meixian")
    page = text(b.get("/cases?state=triaged"))
    assert a_no in page and b_no not in page
    response = b.get("/cases?step=99")
    assert response.status_code == 200 and "步骤无效" in text(response)


def test_the_case_page_shows_the_six_steps_with_the_current_one_marked(as_user, cases, session):
    case = cases.walk(["classify", "transfer", "accept"])
    session.commit()
    page = text(as_user("handler.meixian").get(f"/cases/{case.id}"))
    for label in ("登记受理", "研判分流", "交办转送", "调查处理", "答复告知", "回访评价"):
        assert label in page
    assert re.search(r'step-current" aria-current="step">\s*<span class="num">4</span> 调查处理',
                     page)
    assert "办理期限" in page and "自" in page and "起算" in page  # the explanation sentence


def test_petitioner_fields_are_masked_until_revealed_and_each_reveal_is_audited(
        as_user, cases, session):
    case = cases.register()
    party = case.parties[0]
    id_number, phone, case_id = party.id_number, party.phone, case.id
    session.commit()
    b = as_user("reception.meixian")
    page = text(b.get(f"/cases/{case_id}"))
    assert id_number not in page and phone not in page
    assert id_number[:3] + "*" * 11 + id_number[-4:] in page
    revealed = b.post(f"/cases/{case_id}/reveal", {"reason": "电话联系信访人"})
    assert revealed.status_code == 200
    assert id_number in text(revealed) and phone in text(revealed)
    entry = session.execute(select(AuditEntry).where(
        AuditEntry.action == "petitioner_details_revealed")).scalar_one()
    session.commit()
    assert entry.case_id == case_id and entry.actor_username == "reception.meixian"
    assert entry.details["reason"] == "电话联系信访人"
    assert id_number not in text(b.get(f"/cases/{case_id}"))  # masked again afterwards


def test_a_reveal_by_get_is_not_possible(as_user, cases, session, Session):
    case = cases.register()
    session.commit()
    b = as_user("reception.meixian")
    with nothing_changes(Session):  # no reveal is recorded
        assert b.get(f"/cases/{case.id}/reveal").status_code == 405


def test_a_missing_required_input_is_shown_next_to_its_field(as_user, cases, session):
    case = cases.walk(["classify", "transfer"])
    session.commit()
    b = as_user("handler.meixian")
    response = fire(b, session, case.id, "reject", route_hint="请向法院了解")
    page = text(response)
    assert response.status_code == 400
    assert re.search(r'name="reject-reason"[^>]*>[^<]*</textarea>\s*<span class="field-error">'
                     r"请填写“不予受理理由”", page)
    assert "请向法院了解" in page  # what was typed is kept


def test_a_concurrent_change_tells_the_second_user_to_reload(as_user, cases, session):
    case = cases.walk(["classify", "transfer"])
    stale = str(case.version_id)
    session.commit()
    first, second = as_user("handler.meixian"), as_user("unit_leader.meixian")
    assert fire(first, session, case.id, "accept").status_code == 302
    response = second.post(f"/cases/{case.id}/actions/reject",
                           {"reject-reason": "不属于本单位职责", "reject-version_id": stale})
    assert response.status_code == 409
    assert "请刷新后重试" in text(response)
    state = session.execute(select(Case.state).where(Case.id == case.id)).scalar_one()
    session.commit()
    assert state == "under_handling"


def test_notices_are_printable_from_the_case_page(as_user, cases, session):
    case = cases.walk(["classify", "transfer", "accept"])
    session.commit()
    b = as_user("handler.meixian")
    page = text(b.get(f"/cases/{case.id}"))
    links = re.findall(rf'href="(/cases/{case.id}/notices/\d+)">([^<]+)<', page)
    titles = [t for _, t in links]
    assert "受理告知书" in titles
    url = dict((t, u) for u, t in links)["受理告知书"]
    notice = text(b.get(url))
    # laid out as its PDF: masthead with the 发文字号, a real centred title, the signature
    assert 'class="sheet official"' in notice and case.case_no in notice
    assert "<h1>受理告知书</h1>" in notice and 'class="docno"' in notice
    assert 'class="signature"' in notice
    assert b.get(f"/cases/{case.id}/notices/999999").status_code == 404


def test_a_petition_goes_through_all_six_steps_on_the_pages_and_every_step_is_in_the_audit(
        as_user, world, session):
    reception, handler = as_user("reception.meixian"), as_user("handler.meixian")
    response = reception.post("/reception/petitions/new", {
        "channel": "letter", "received_at": "2026-03-02T09:30", "summary": "反映供水管网老化",
        "late_reason": "来信积压，补登记",
        "request": "请求维修更换供水管网", "facts_and_reasons": "村里自来水管网老化，经常停水。",
        "petitioners-0-name": "李四", "petitioners-0-phone": "13800001111"})
    assert response.status_code == 302, text(response)
    case_id = int(re.search(r"/cases/(\d+)/receipt", response.headers["Location"]).group(1))
    hrss = world.unit("meixian.hrss")
    session.commit()
    steps = [
        (reception, "classify", {"category": "appeal", "route": "6"}),
        (reception, "transfer", {"unit": str(hrss)}),
        (handler, "accept", {}),
        (handler, "reply", REPLY),
        # Served the day the reply is issued: a delivery cannot predate the reply.
        (handler, "deliver", {"delivery_method": "in_person",
                              "delivered_on": local_date(clock.now()).isoformat(),
                              "receipt": "signed"}),
        (handler, "evaluate", {"rating": "satisfied", "comment": "满意"}),
        (handler, "close", {}),
    ]
    for b, trigger, inputs in steps:
        response = fire(b, session, case_id, trigger, **inputs)
        assert response.status_code == 302, (trigger, text(response)[:3000])
    page = text(handler.get(f"/cases/{case_id}"))
    assert "已办结" in page
    for label in ("登记信访事项", "研判分类", "转送", "受理", "出具处理意见书", "送达",
                  "满意度评价", "办结"):
        assert f"<strong>{label}</strong>" in page, label
    assert verify_chain(session).ok
    session.commit()


def test_a_first_handler_unit_keeps_seeing_a_handed_over_case_marked_in_its_inbox(
        as_user, cases, world, session):
    case = cases.walk(["classify", "transfer", "accept"])
    case = cases.fire(case, "hand_over", {"unit": world.unit("meixian.housing"),
                                          "reason": "涉及住房问题"}, role="unit_leader")
    case_id, case_no = case.id, case.case_no
    session.commit()
    b = as_user("handler.meixian")
    page = text(b.get("/cases"))
    assert case_no in page and "首办·已移交" in page
    detail = text(b.get(f"/cases/{case_id}"))
    assert "您只能查看此信访事项" in detail
    response = fire(b, session, case_id, "reply", **REPLY)
    assert response.status_code == 403
