"""The password policy on the pages: refused passwords say why, an initial password must be
changed before any other page opens, the policy's wording follows its settings."""

from __future__ import annotations

from sqlalchemy import select

from petition_flow.models import User
from tests.web.conftest import text


def test_a_weak_initial_password_is_refused_with_the_policy_named(as_user, world, session):
    unit = world.unit("meixian.hrss")
    session.commit()
    response = as_user("admin.baoji").post("/admin/users", {
        "username": "weak", "display_name": "弱", "password": "onlyletters",
        "unit_id": str(unit), "role": "handler"})
    assert response.status_code == 400
    assert "至少3类" in text(response)
    assert "至少8位，须包含小写字母、大写字母、数字、其他符号中的至少3类" in text(response)


def test_the_own_password_cannot_be_set_back_to_the_current_one(as_user):
    b = as_user("handler.jintai")
    response = b.post("/account/password", {"old_password": "test-password-1",
                                            "new_password": "test-password-1",
                                            "confirm": "test-password-1"})
    assert response.status_code == 400 and "最近5次" in text(response)


def test_a_user_who_must_change_the_password_reaches_no_other_page(as_user, session):
    user = session.execute(select(User).where(User.username == "handler.longxian")).scalar_one()
    user.must_change_password = True
    session.commit()
    b = as_user("handler.longxian")
    for url in ("/cases", "/inbox/", "/account/sessions", "/"):
        response = b.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/account/password"), url
    assert "须先修改密码" in text(b.get("/account/password"))
    response = b.post("/account/password", {"old_password": "test-password-1",
                                            "new_password": "Brand-new-1",
                                            "confirm": "Brand-new-1"})
    assert response.status_code == 302
    assert b.get("/cases").status_code == 200


def test_an_expired_password_is_changed_before_work_when_expiry_is_configured(app, as_user,
                                                                             session):
    from datetime import timedelta

    from petition_flow import clock

    app.config["PASSWORD_MAX_AGE_DAYS"] = 90
    user = session.execute(select(User).where(User.username == "handler.meixian")).scalar_one()
    user.password_changed_at = clock.now() - timedelta(days=91)
    session.commit()
    b = as_user("handler.meixian")
    assert b.get("/cases").headers["Location"].endswith("/account/password")
    assert "超过90天" in text(b.get("/account/password"))


def test_a_demo_account_says_so_on_every_page_and_in_the_user_list(as_user, session):
    user = session.execute(select(User).where(User.username == "handler.meixian")).scalar_one()
    user.demo = True
    session.commit()
    assert "演示账号" in text(as_user("handler.meixian").get("/cases"))
    assert "演示账号" in text(as_user("admin.baoji").get("/admin/users"))
