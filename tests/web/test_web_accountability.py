"""追责问责 list: county and city supervisors confirm or dismiss, always with a reason."""


from helpers import nothing_changes

from petition_flow.models import AccountabilityRecord
from tests.web.conftest import text
from tests.web.oversight_helpers import swept_red


def record(session, record_id):
    session.expire_all()
    row = session.get(AccountabilityRecord, record_id)
    session.commit()
    return row


def test_the_county_supervisor_sees_the_pending_record_with_unit_person_and_article(
        as_user, cases, session):
    case_id, case_no, record_id, _ = swept_red(cases, session)
    page = text(as_user("county_supervisor.meixian").get("/supervision/accountability"))
    assert case_no in page and f'id="record-{record_id}"' in page
    for words in ("责任单位", "人力资源", "责任人", "第四十五条", "截止日期", "已延期", "待处理"):
        assert words in page, words
    assert "认定追责问责" in page and "不予追责" in page


def test_confirming_without_a_reason_is_refused_beside_the_field_then_accepted_with_one(
        as_user, cases, session):
    _, _, record_id, _ = swept_red(cases, session)
    b = as_user("county_supervisor.meixian")
    response = b.post(f"/supervision/accountability/{record_id}/confirm", {"reason": "  "})
    assert response.status_code == 400 and "认定或不予追责均须说明理由" in text(response)
    assert record(session, record_id).status == "pending"
    response = b.post(f"/supervision/accountability/{record_id}/confirm",
                      {"reason": "无正当理由超期，经核实属实。"})
    assert response.status_code == 302
    row = record(session, record_id)
    assert row.status == "confirmed" and row.decision_reason == "无正当理由超期，经核实属实。"
    assert f'id="record-{record_id}"' not in text(b.get("/supervision/accountability"))
    done = text(b.get("/supervision/accountability?status=confirmed"))
    assert "无正当理由超期" in done and "已认定" in done


def test_the_city_supervisor_dismisses_a_record_with_a_reason(as_user, cases, session):
    _, _, record_id, _ = swept_red(cases, session, county="longxian")
    b = as_user("city_supervisor.baoji")
    assert f'id="record-{record_id}"' in text(b.get("/supervision/accountability"))
    response = b.post(f"/supervision/accountability/{record_id}/dismiss", {"reason": ""})
    assert response.status_code == 400
    response = b.post(f"/supervision/accountability/{record_id}/dismiss",
                      {"reason": "超期系信访人要求暂缓办理所致。"})
    assert response.status_code == 302 and record(session, record_id).status == "dismissed"
    assert "不予追责" in text(b.get("/supervision/accountability?status=dismissed"))


def test_a_decided_record_cannot_be_decided_again_nor_by_an_unknown_decision(
        as_user, cases, session):
    _, _, record_id, _ = swept_red(cases, session)
    b = as_user("county_supervisor.meixian")
    response = b.post(f"/supervision/accountability/{record_id}/punish", {"reason": "x"})
    assert response.status_code == 400 and "只能是认定或不予追责" in text(response)
    b.post(f"/supervision/accountability/{record_id}/dismiss", {"reason": "情有可原。"})
    response = b.post(f"/supervision/accountability/{record_id}/confirm", {"reason": "改判"})
    assert response.status_code == 400 and record(session, record_id).status == "dismissed"


def test_only_supervisors_open_the_accountability_list(as_user, cases, session, Session):
    _, _, record_id, _ = swept_red(cases, session)
    for username in ("handler.meixian", "unit_leader.meixian", "reception.meixian",
                     "admin.baoji"):
        b = as_user(username)
        with nothing_changes(Session):
            assert b.get("/supervision/accountability").status_code == 403, username
            assert b.post(f"/supervision/accountability/{record_id}/dismiss",
                          {"reason": "本单位认为不应追责"}).status_code == 403, username
    assert record(session, record_id).status == "pending"


def test_the_list_rejects_an_unknown_status_in_chinese(as_user):
    response = as_user("county_supervisor.meixian").get("/supervision/accountability?status=x")
    assert response.status_code == 400 and "状态无效" in text(response)


def test_deciding_needs_the_csrf_token(as_user, cases, session):
    _, _, record_id, _ = swept_red(cases, session)
    response = as_user("county_supervisor.meixian").post(
        f"/supervision/accountability/{record_id}/confirm", {"reason": "属实"}, csrf=False)
    assert response.status_code == 400 and "CSRF" in text(response)
    pending = session.get(AccountabilityRecord, record_id).status
    session.commit()
    assert pending == "pending"
