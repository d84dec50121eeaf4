"""A county's own notice texts: edited on the administration page, audited, kept in the
instance folder, used for that county's next notices and no other county's."""

from __future__ import annotations

from sqlalchemy import select

from petition_flow.models import AuditEntry, Notice
from petition_flow.paths import templates_dir
from petition_flow.services.notices import county_texts_dir
from tests.web.conftest import text

URL = "/admin/notice-texts/jintai/rights_duties"


def _csrf(b):
    b.get(URL)
    return b.token


def test_an_edited_text_is_audited_and_used_for_the_countys_next_notices_only(
        as_user, cases, session):
    b = as_user("admin.baoji")
    listing = text(b.get("/admin/notice-texts?county=jintai"))
    assert "信访人权利义务告知书" in listing and "系统默认" in listing
    package = (templates_dir() / "notices/rights_duties.txt").read_text(encoding="utf-8")
    edited = package.replace("特此告知。", "特此告知。本告知书一式两份。")
    try:
        response = b.post(URL, {"text": edited})
        assert response.status_code == 302
        assert (county_texts_dir("jintai") / "notices/rights_duties.txt").is_file()
        assert (templates_dir() / "notices/rights_duties.txt").read_text(
            encoding="utf-8") == package
        jintai = cases.register("jintai")
        meixian = cases.register("meixian")
        bodies = {n.case_id: n.body for n in session.execute(
            select(Notice).where(Notice.kind == "rights_duties")).scalars()}
        assert "一式两份" in bodies[jintai.id] and "一式两份" not in bodies[meixian.id]
        entry = session.execute(select(AuditEntry).where(
            AuditEntry.action == "notice_text_changed")).scalar_one()
        assert entry.details["region"] == "jintai" and entry.details["kind"] == "rights_duties"
        assert entry.details["before_sha256"] != entry.details["after_sha256"]
        session.commit()
        assert b.post(URL + "/reset", {}).status_code == 302
        assert not (county_texts_dir("jintai") / "notices/rights_duties.txt").exists()
        assert session.execute(select(AuditEntry).where(
            AuditEntry.action == "notice_text_reset")).scalar_one()
    finally:
        own = county_texts_dir("jintai") / "notices/rights_duties.txt"
        if own.exists():
            own.unlink()


def test_a_text_that_does_not_parse_or_lacks_the_signature_is_refused(as_user, session):
    b = as_user("admin.baoji")
    broken = b.post(URL, {"text": "标题\n{% if %}\n"})
    assert broken.status_code == 400 and "模板语法有误" in text(broken)
    unsigned = b.post(URL, {"text": "标题\n\n正文一段。\n"})
    assert unsigned.status_code == 400 and "成文日期" in text(unsigned)
    assert not (county_texts_dir("jintai") / "notices/rights_duties.txt").exists()
    assert not session.execute(select(AuditEntry).where(
        AuditEntry.action == "notice_text_changed")).first()


def test_only_the_administrator_edits_notice_texts(as_user):
    for username in ("reception.jintai", "county_supervisor.jintai", "auditor.baoji"):
        assert as_user(username).get(URL).status_code in (403, 404)


def test_a_text_that_reaches_for_python_is_refused_and_runs_nothing(as_user, session, tmp_path):
    """An administrator edits texts, not the server: the sandbox refuses private attributes
    (the way from a template to os and the key file) and unbounded loops."""
    proof = tmp_path / "ran"
    package = (templates_dir() / "notices/rights_duties.txt").read_text(encoding="utf-8")
    b = as_user("admin.baoji")
    for payload in (
            "{{ cycler.__init__.__globals__.os.popen('touch " + str(proof) + "').read() }}",
            "{{ self.__init__.__globals__ }}",
            "{% for i in range(10**9) %}{% endfor %}"):
        response = b.post(URL, {"text": package.replace("特此告知。", "特此告知。" + payload)})
        assert response.status_code == 400, payload
        assert "文书文本无法生成" in text(response)
    assert not proof.exists()
    assert not (county_texts_dir("jintai") / "notices/rights_duties.txt").exists()
    assert not session.execute(select(AuditEntry).where(
        AuditEntry.action == "notice_text_changed")).first()
