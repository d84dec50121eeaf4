"""系统管理: users and units, calendar upload, workflows, the audit log, audited reads."""

import io
import re

from helpers import as_database_admin, at
from sqlalchemy import select
from sqlalchemy import text as sql

from petition_flow.models import AuditEntry, User
from tests.web.conftest import text


def _audit_actions(session):
    actions = session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars().all()
    session.commit()
    return actions


def test_an_admin_creates_a_user_who_can_then_log_in(as_user, world, session):
    unit = world.unit("meixian.housing")
    session.commit()
    b = as_user("admin.baoji")
    response = b.post("/admin/users", {"username": "zhang", "display_name": "张承办",
                                       "password": "good-pass-1", "unit_id": str(unit),
                                       "role": "handler"})
    assert response.status_code == 302
    zhang = as_user("zhang", "good-pass-1")
    # 等保 身份鉴别: the initial password is changed before anything else.
    assert zhang.get("/cases").headers["Location"].endswith("/account/password")
    assert zhang.post("/account/password", {"old_password": "good-pass-1",
                                            "new_password": "Own-choice-9",
                                            "confirm": "Own-choice-9"}).status_code == 302
    assert zhang.get("/cases").status_code == 200
    assert "user_created" in _audit_actions(session)


def test_user_form_errors_are_shown_next_to_fields_in_chinese(as_user):
    response = as_user("admin.baoji").post("/admin/users", {
        "username": "handler.meixian", "password": "short", "unit_id": "", "role": ""})
    page = text(response)
    assert response.status_code == 400
    assert "该用户名已存在" in page and "密码至少8位" in page and "角色无效" in page
    assert 'value="handler.meixian"' in page


def test_a_deactivated_user_can_no_longer_log_in_or_use_an_open_session(as_user, session):
    victim = as_user("handler.chencang")
    user_id = session.execute(select(User.id).where(User.username == "handler.chencang")) \
        .scalar_one()
    session.commit()
    admin = as_user("admin.baoji")
    asked = admin.post(f"/admin/users/{user_id}/deactivate")
    assert asked.status_code == 200 and "确认停用" in text(asked)  # nothing done yet
    assert admin.post(f"/admin/users/{user_id}/deactivate", {"confirmed": "1"}).status_code == 302
    assert victim.get("/cases").status_code == 302
    from tests.web.conftest import Browser

    response = Browser(admin.client.application.test_client()).login("handler.chencang")
    assert response.status_code == 401 and "已停用" in text(response)
    assert admin.post(f"/admin/users/{user_id}/activate").status_code == 302


def test_a_password_reset_lifts_the_sign_in_delay_and_must_be_changed(as_user, session):
    user = session.execute(select(User).where(User.username == "reception.chencang")) \
        .scalar_one()
    user_id = user.id
    session.commit()
    from tests.web.conftest import Browser

    admin = as_user("admin.baoji")
    for _ in range(5):
        Browser(admin.client.application.test_client()).login("reception.chencang", "wrong-1a")
    assert admin.post(f"/admin/users/{user_id}/password",
                      {"password": "abc"}).status_code == 400
    assert admin.post(f"/admin/users/{user_id}/password",
                      {"password": "reset-pass-2"}).status_code == 302
    reset = as_user("reception.chencang", "reset-pass-2")
    assert reset.get("/cases").headers["Location"].endswith("/account/password")
    from werkzeug.security import generate_password_hash

    from tests.conftest import PASSWORD

    user = session.get(User, user_id)
    user.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    session.commit()


def test_an_admin_creates_and_deactivates_a_unit(as_user, world, session):
    from petition_flow.models import Region, Unit

    region = session.execute(select(Region.id).where(Region.code == "meixian")).scalar_one()
    session.commit()
    b = as_user("admin.baoji")
    bad = b.post("/admin/units", {"code": "", "name": "", "kind": "", "region_id": str(region)})
    assert bad.status_code == 400 and "单位代码不能为空" in text(bad)
    response = b.post("/admin/units", {"code": "test.meixian.qiyu", "name": "眉县齐镇人民政府",
                                       "kind": "township", "region_id": str(region)})
    assert response.status_code == 302
    unit = session.execute(select(Unit).where(Unit.code == "test.meixian.qiyu")).scalar_one()
    session.commit()
    assert b.post(f"/admin/units/{unit.id}/deactivate").status_code == 302
    session.refresh(unit)
    assert unit.active is False
    session.commit()


CALENDAR = """year: 2026
source: 国务院办公厅关于2026年部分节假日安排的通知（测试）
holidays: [2026-01-01, 2026-02-16, 2026-02-17, 2026-02-18, 2026-02-19, 2026-05-01, 2026-06-19,
           2026-09-25, 2026-10-01, 2026-10-02, 2026-10-05, 2026-10-06, 2026-10-07, 2026-10-08]
workdays: [2026-09-27]
"""


def test_uploading_a_calendar_year_says_how_many_deadlines_were_recomputed(
        as_user, cases, session):
    cases.walk(["classify", "transfer", "accept"], start=at("2026-09-01", 9))
    session.commit()
    b = as_user("admin.baoji")
    response = b.post("/admin/calendar", {"file": (io.BytesIO(CALENDAR.encode()), "2026.yaml")},
                      content_type="multipart/form-data")
    assert response.status_code == 302, text(response)
    page = text(b.get("/admin/calendar"))
    found = re.search(r"已导入 2026 年节假日安排.*?(\d+) 个未办结期限", page)
    assert found and int(found.group(1)) >= 1
    assert page.count('class="deadline-changes"') == 1  # shown once, not also in <title>
    assert "<table" not in page.split("</title>")[0]
    changes = page.split('class="deadline-changes"')[1].split("</table>")[0]
    assert changes.count("<tr>") - 1 == int(found.group(1))  # one row per moved deadline
    assert "办理期限" in changes or "转送交办期限" in changes
    assert "已导入" in page and "测试" in page


def test_a_broken_calendar_file_is_refused_with_the_key_named(as_user):
    b = as_user("admin.baoji")
    response = b.post("/admin/calendar",
                      {"file": (io.BytesIO(b"year: 2026\nsource: x\n"), "bad.yaml")},
                      content_type="multipart/form-data")
    assert response.status_code == 400
    assert "缺少必填项" in text(response)


def test_the_workflows_page_draws_the_diagram_with_the_local_mermaid_script(as_user, app):
    page = text(as_user("admin.baoji").get("/admin/workflows"))
    assert "stateDiagram-v2" in page and "眉县信访事项" in page
    assert "眉县：30 日（眉县限时办结制）" in page  # the stricter local limit is shown
    assert '/static/mermaid/mermaid.min.js' in page
    assert "http://" not in page.split("<body")[1] and "https://" not in page.split("<body")[1]
    response = app.test_client().get("/static/mermaid/mermaid.min.js")
    assert response.status_code == 200
    response.close()


def test_the_security_auditor_filters_the_audit_log_and_verifies_the_chain(as_user, cases,
                                                                            session):
    case = cases.walk(["classify"])
    case_no = case.case_no
    session.commit()
    b = as_user("auditor.baoji")
    page = text(b.get(f"/admin/audit?case_no={case_no}"))
    assert case_no in page and "登记" in page
    assert "登录" not in text(b.get(f"/admin/audit?case_no={case_no}&action=login")) \
        .split("<tbody>")[1]
    ok = text(b.post("/admin/audit/verify"))
    assert "审计链完整" in ok
    as_database_admin(session)  # the database refuses the edit otherwise
    session.execute(sql("UPDATE audit_entries SET actor_username = 'mallory' WHERE seq = 1"))
    session.commit()
    bad = text(b.post("/admin/audit/verify"))
    assert "审计链校验失败" in bad and "第1条" in bad


def test_an_admin_sees_a_case_masked_and_cannot_reveal_its_petitioners(as_user, cases, session):
    case = cases.register()
    id_number, case_id = case.parties[0].id_number, case.id
    session.commit()
    b = as_user("admin.baoji")
    page = text(b.get(f"/admin/cases/{case_id}"))
    assert id_number not in page and "不能查看完整信息" in page and "查看完整信息</button>" not in page
    assert b.post(f"/admin/cases/{case_id}/reveal", {"reason": "核查数据质量问题"}).status_code \
        == 404  # there is no reveal for administrators (三权分立)
    refused = b.post(f"/cases/{case_id}/reveal", {"reason": "核查数据质量问题"})
    assert refused.status_code == 403 and id_number not in text(refused)
    assert "petitioner_details_revealed" not in _audit_actions(session)


def test_a_500_character_display_name_is_refused_not_cut(as_user, world, session):
    unit = world.unit("meixian.hrss")
    session.commit()
    response = as_user("admin.baoji").post("/admin/users", {
        "username": "longname", "display_name": "名" * 500, "password": "Good-pass-1",
        "unit_id": str(unit), "role": "handler"})
    assert response.status_code == 400 and "姓名不能超过64字" in text(response)
    assert session.execute(select(User).where(User.username == "longname")).first() is None


def test_the_administrator_can_neither_read_nor_verify_the_audit_log(as_user, world):
    world.audit(n=1)
    admin = as_user("admin.baoji")
    assert admin.get("/admin/audit").status_code == 403
    assert admin.post("/admin/audit/verify").status_code == 403
    assert "操作日志" not in text(admin.get("/admin/users")).split("</nav>")[0]


def test_the_security_auditor_reaches_only_the_audit_log(as_user, cases, session):
    case = cases.register()
    session.commit()
    auditor = as_user("auditor.baoji")
    assert auditor.get("/").headers["Location"].endswith("/admin/audit")
    assert "操作日志" in text(auditor.get("/admin/audit"))
    for url in ("/admin/users", "/admin/units", "/admin/calendar", f"/admin/cases/{case.id}",
                "/cases", f"/cases/{case.id}", "/supervision/"):
        assert auditor.get(url).status_code == 403, url
    assert auditor.post("/admin/users", {"username": "x"}).status_code == 403
