"""Attachments, internal notes and named handlers through the pages (issue 17)."""

from __future__ import annotations

import io

import attachment_files as files
import pytest
from sqlalchemy import func, select

from petition_flow.app import create_app
from petition_flow.models import Attachment, AuditEntry, Case, Notice
from petition_flow.services.exclusions import record_accused
from tests.web.conftest import TOKEN, Browser, text
from tests.web.test_web_reception import form as registration_form


@pytest.fixture
def app(engine, Session, tmp_path):
    """The pages with small limits: a 4 KB file, a 64 KB upload request."""
    return create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "test-secret",
                       "ATTACHMENT_MAX_BYTES": 4096, "ATTACHMENT_MAX_CONTENT_LENGTH": 65536},
                      instance_path=tmp_path / "instance")


def _upload(b: Browser, case_id: int, name: str, data: bytes, description: str = ""):
    b.get(f"/cases/{case_id}")
    return b.post(f"/cases/{case_id}/attachments",
                  {"files": (io.BytesIO(data), name), "description": description},
                  content_type="multipart/form-data", follow_redirects=True)


def _rows(session):
    rows = session.execute(select(Attachment).order_by(Attachment.id)).scalars().all()
    session.commit()
    return rows


def test_a_pdf_uploaded_on_the_case_page_is_listed_and_audited_with_its_hash(
        as_user, cases, session):
    case = cases.register()
    session.commit()
    b = as_user("reception.meixian")
    page = text(_upload(b, case.id, "欠条.pdf", files.pdf(), "工资欠条复印件"))
    assert "已上传1个附件" in page and "欠条.pdf" in page and "工资欠条复印件" in page
    [row] = _rows(session)
    assert row.sha256[:16] in page
    entry = session.execute(select(AuditEntry).where(
        AuditEntry.action == "attachment_added")).scalar_one()
    assert entry.details["sha256"] == row.sha256


def test_a_renamed_html_file_is_refused_with_a_chinese_message(as_user, cases, session):
    case = cases.register()
    session.commit()
    page = text(_upload(as_user("reception.meixian"), case.id, "身份证复印件.pdf", files.HTML))
    assert "不是允许的附件类型" in page and "改文件名无效" in page
    assert _rows(session) == []


def test_an_oversized_file_is_refused_with_a_chinese_message(as_user, cases, session):
    case = cases.register()
    session.commit()
    page = text(_upload(as_user("reception.meixian"), case.id, "扫描件.pdf",
                        files.pdf() + b"0" * 5000))
    assert "过大" in page and "不能超过4 KB" in page
    assert _rows(session) == []


def test_a_request_over_the_upload_limit_gets_the_chinese_413_page_not_a_trace(
        as_user, cases, session):
    case = cases.register()
    session.commit()
    response = _upload(as_user("reception.meixian"), case.id, "大文件.pdf",
                       files.pdf() + b"0" * 70000)
    page = text(response)
    assert response.status_code == 413
    assert "提交的内容过大" in page and "Traceback" not in page and "Request Entity" not in page


def test_a_download_is_always_an_attachment_never_sniffed_never_inline_html(
        as_user, cases, session):
    case = cases.register()
    session.commit()
    b = as_user("reception.meixian")
    _upload(b, case.id, "来信.html", files.pdf())  # a real PDF, whatever its name says
    [row] = _rows(session)
    response = b.client.get(f"/cases/{case.id}/attachments/{row.id}")
    assert response.status_code == 200 and response.data == files.pdf()
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "%E6%9D%A5%E4%BF%A1.pdf" in response.headers["Content-Disposition"]  # 来信.pdf
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert session.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "attachment_downloaded")).scalar_one() == 1


def test_an_image_shows_a_thumbnail_to_those_who_may_open_it(as_user, cases, session):
    case = cases.register()
    session.commit()
    b = as_user("reception.meixian")
    page = text(_upload(b, case.id, "现场.png", files.png((60, 40))))
    [row] = _rows(session)
    assert f"/cases/{case.id}/attachments/{row.id}/thumbnail" in page
    thumb = b.client.get(f"/cases/{case.id}/attachments/{row.id}/thumbnail")
    assert thumb.status_code == 200 and thumb.data.startswith(b"\x89PNG")
    assert thumb.headers["X-Content-Type-Options"] == "nosniff"
    assert thumb.headers["Content-Disposition"].startswith("attachment;")


def test_another_countys_user_gets_404_for_the_files_of_a_case(as_user, cases, session):
    case = cases.register()
    session.commit()
    _upload(as_user("reception.meixian"), case.id, "现场.png", files.png((60, 40)))
    [row] = _rows(session)
    for user in ("reception.jintai", "county_supervisor.jintai"):
        b = as_user(user)
        for url in (f"/cases/{case.id}/attachments/{row.id}",
                    f"/cases/{case.id}/attachments/{row.id}/thumbnail"):
            assert b.client.get(url).status_code == 404, (user, url)
        b.get("/cases")
        assert b.post(f"/cases/{case.id}/attachments",
                      {"files": (io.BytesIO(files.pdf()), "a.pdf")},
                      content_type="multipart/form-data").status_code == 404


def test_an_art30_hidden_case_answers_404_for_its_files_to_those_it_accuses(
        as_user, cases, world, session):
    """信访工作条例第三十条第三款: the accused supervisor finds neither case nor attachment."""
    case = cases.register(summary="检举县信访局督办人员")
    case = cases.fire(case, "classify", {"category": "accusation"})
    session.commit()
    _upload(as_user("reception.meixian"), case.id, "a.pdf", files.pdf())
    [row] = _rows(session)
    supervisor = as_user("county_supervisor.meixian")
    assert supervisor.client.get(f"/cases/{case.id}/attachments/{row.id}").status_code == 200
    record_accused(session, world.actor("reception"), case.updated_at, case.id,
                   user_ids=[world.actor("county_supervisor").user_id])
    session.commit()
    assert supervisor.get(f"/cases/{case.id}").status_code == 404
    assert supervisor.get(f"/cases/{case.id}/attachments/{row.id}").status_code == 404


def test_a_unit_leader_sees_the_list_masked_but_cannot_open_a_file(as_user, cases, session):
    case = cases.walk(["classify", "transfer", "accept"])
    session.commit()
    _upload(as_user("handler.meixian"), case.id, "王建国身份证.jpg", files.jpeg((50, 50)))
    [row] = _rows(session)
    b = as_user("unit_leader.meixian")
    page = text(b.get(f"/cases/{case.id}"))
    assert "王某身份证.jpg" in page and "王建国身份证" not in page
    assert f"/attachments/{row.id}" not in page and "不能打开附件" in page
    assert b.get(f"/cases/{case.id}/attachments/{row.id}").status_code == 403


def test_files_chosen_at_registration_are_attached_to_the_new_case(as_user, session):
    b = as_user("reception.meixian")
    b.get("/reception/petitions/new")
    data = registration_form()
    data["files"] = [(io.BytesIO(files.pdf()), "来信.pdf"), (io.BytesIO(files.docx()), "说明.docx")]
    response = b.post("/reception/petitions/new", data, content_type="multipart/form-data")
    assert response.status_code == 302, text(response)
    case = session.execute(select(Case)).scalar_one()
    assert [(a.case_id, a.kind, a.state) for a in _rows(session)] == \
        [(case.id, "pdf", "registered"), (case.id, "docx", "registered")]


def test_a_refused_file_at_registration_registers_nothing(as_user, session):
    b = as_user("reception.meixian")
    b.get("/reception/petitions/new")
    data = registration_form()
    data["files"] = [(io.BytesIO(files.HTML), "来信.pdf")]
    response = b.post("/reception/petitions/new", data, content_type="multipart/form-data")
    assert response.status_code == 400 and "不是允许的附件类型" in text(response)
    assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 0


# --- internal notes -----------------------------------------------------------------------

SECRET_NOTE = "内部备注甲乙丙：信访人曾扬言越级上访，谈话时须两人在场"


class Visitor:
    """The petitioner's browser on the public pages."""

    def __init__(self, app):
        self.client, self.token = app.test_client(), None

    def get(self, url):
        response = self.client.get(url)
        found = TOKEN.search(text(response))
        if found:
            self.token = found.group(1) or found.group(2)
        return response

    def open(self, case):
        self.get("/query")
        response = self.client.post("/query", data={"case_no": case.case_no,
                                                    "query_code": case.query_code,
                                                    "csrf_token": self.token})
        assert response.status_code == 302, text(response)


def test_a_note_is_shown_to_staff_and_never_on_the_public_pages_or_notices(
        app, as_user, cases, session):
    case = cases.walk(["classify", "transfer"])
    session.commit()
    b = as_user("reception.meixian")
    b.get(f"/cases/{case.id}")
    page = text(b.post(f"/cases/{case.id}/notes", {"body": SECRET_NOTE}, follow_redirects=True))
    assert "已添加内部备注" in page and SECRET_NOTE in page
    handler = as_user("handler.meixian")
    handler.get(f"/cases/{case.id}")
    accepted = handler.post(f"/cases/{case.id}/actions/accept", {"accept-version_id": str(
        session.get(Case, case.id).version_id), "confirmed": "1"})
    assert accepted.status_code == 302
    session.commit()
    session.expire_all()
    assert session.get(Case, case.id).state != "transferred"  # accepted: one notice more
    notices = session.execute(select(Notice).where(Notice.case_id == case.id)).scalars().all()
    assert len(notices) >= 3
    visitor = Visitor(app)
    visitor.open(case)
    public = [text(visitor.get("/query/case"))]
    public += [text(visitor.get(f"/query/case/notices/{n.id}")) for n in notices]
    printed = [text(b.get(f"/cases/{case.id}/notices/{n.id}")) for n in notices]
    assert all(r for r in public + printed)
    for html in public + printed:
        assert "甲乙丙" not in html and "内部备注" not in html
    assert all(SECRET_NOTE not in n.body for n in notices)


# --- named handlers, 我的, concluded cases ------------------------------------------------

def test_the_unit_leader_assigns_a_handler_shown_on_the_page_and_first_in_their_list(
        as_user, cases, world, session):
    mine = cases.walk(["classify", "transfer", "accept"])
    other = cases.walk(["classify", "transfer", "accept"])
    session.commit()
    leader = as_user("unit_leader.meixian")
    page = text(leader.get(f"/cases/{mine.id}"))
    assert 'name="assignee"' in page and "本单位尚未指派承办人" in page
    handler_id = world.actor("handler").user_id
    page = text(leader.post(f"/cases/{mine.id}/handler", {
        "assignee": str(handler_id), "version_id": str(session.get(Case, mine.id).version_id)},
        follow_redirects=True))
    assert "已指派承办人：handler.meixian" in page
    assert 'class="assigned-handler">handler.meixian<' in page
    assert "指派给handler.meixian" in page  # in the case's history too
    session.commit()
    handler = as_user("handler.meixian")
    assert 'name="assignee"' not in text(handler.get(f"/cases/{mine.id}"))
    inbox = text(handler.get("/cases"))
    assert inbox.index(mine.case_no) < inbox.index(other.case_no)
    row = inbox[inbox.index(mine.case_no):inbox.index(mine.case_no) + 300]
    assert "我的" in row
    assert handler.post(f"/cases/{other.id}/handler", {"assignee": str(handler_id)}).status_code \
        == 403


def test_the_default_list_hides_concluded_cases_and_a_filter_shows_them(
        as_user, cases, session):
    done = cases.walk(["classify", "transfer", "accept", "reply", "deliver", "close_unevaluated"])
    running = cases.walk(["classify", "transfer", "accept"])
    session.commit()
    assert done.state == "concluded"
    for user in ("reception.meixian", "handler.meixian"):
        b = as_user(user)
        page = text(b.get("/cases"))
        assert running.case_no in page and done.case_no not in page, user
        assert "显示已办结、已终结的事项" in page
        assert done.case_no in text(b.get("/cases?closed=1")), user
        assert done.case_no in text(b.get("/cases?state=concluded")), user


def test_a_search_finds_concluded_cases_too(as_user, cases, session):
    done = cases.walk(["classify", "transfer", "accept", "reply", "deliver", "close_unevaluated"])
    session.commit()
    page = text(as_user("reception.meixian").get(f"/cases?q={done.case_no}"))
    assert "共 1 件" in page and done.case_no in page


def test_the_administrators_read_only_case_view_shows_no_notes_and_no_forms(
        as_user, cases, session):
    case = cases.register()
    session.commit()
    b = as_user("reception.meixian")
    b.get(f"/cases/{case.id}")
    b.post(f"/cases/{case.id}/notes", {"body": SECRET_NOTE})
    b.get(f"/cases/{case.id}")
    _upload(b, case.id, "a.pdf", files.pdf())
    page = text(as_user("admin.baoji").get(f"/admin/cases/{case.id}"))
    assert case.case_no in page and "a.pdf" in page
    assert "甲乙丙" not in page and 'id="notes"' not in page and f"/cases/{case.id}/notes" \
        not in page and f'action="/cases/{case.id}/attachments"' not in page
