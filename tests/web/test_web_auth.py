from datetime import timedelta

from sqlalchemy import select

from petition_flow import clock
from petition_flow.models import User
from tests.web.conftest import text


def test_the_login_page_is_in_chinese_and_carries_a_csrf_token(browser):
    response = browser.get("/login")
    assert response.status_code == 200
    assert "登录" in text(response) and browser.token


def test_a_wrong_password_is_refused_with_a_chinese_message(browser):
    response = browser.login("reception.meixian", "wrong-password-9")
    assert response.status_code == 401
    assert "用户名或密码错误" in text(response)


def test_an_unknown_user_gets_the_same_message_as_a_wrong_password(browser):
    response = browser.login("nobody.meixian", "whatever-123")
    assert response.status_code == 401
    assert "用户名或密码错误" in text(response)


def test_a_successful_login_lands_on_the_start_page_of_the_role(browser):
    response = browser.login("county_supervisor.meixian")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    assert browser.get("/").headers["Location"].endswith("/supervision/")


def test_pages_redirect_an_anonymous_visitor_to_the_login_page(browser):
    for url in ("/cases", "/reception/petitions/new", "/admin/users", "/supervision/",
                "/approvals/", "/account/password"):
        response = browser.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"], url


def test_logout_ends_the_session(as_user):
    b = as_user("handler.meixian")
    assert b.get("/cases").status_code == 200
    assert b.post("/logout").status_code == 302
    assert b.get("/cases").status_code == 302


def test_logout_by_get_is_not_allowed(as_user):
    b = as_user("handler.meixian")
    response = b.get("/logout")
    assert response.status_code == 405
    assert "请求方式不被允许" in text(response)


def test_an_idle_session_expires_and_asks_to_log_in_again(as_user, monkeypatch):
    b = as_user("handler.meixian")
    assert b.get("/cases").status_code == 200
    later = clock.now() + timedelta(minutes=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = b.get("/cases")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "登录已超时" in text(b.get("/login"))


def test_changing_the_password_needs_the_old_one_and_keeps_what_was_typed(as_user):
    b = as_user("unit_leader.longxian")
    response = b.post("/account/password", {"old_password": "bad", "new_password": "short",
                                            "confirm": "other"})
    assert response.status_code == 400
    page = text(response)
    assert "原密码不正确" in page and "密码至少8位" in page
    assert "两次输入的新密码不一致" in page


def test_after_a_password_change_the_old_password_no_longer_works(as_user, app, session):
    b = as_user("reception.longxian")
    other = as_user("reception.longxian")
    response = b.post("/account/password", {"old_password": "test-password-1",
                                            "new_password": "new-password-2",
                                            "confirm": "new-password-2"})
    assert response.status_code == 302
    assert b.get("/cases").status_code == 200  # this session follows the new password
    assert other.get("/cases").status_code == 302  # the other session is ended
    fresh = app.test_client()
    from tests.web.conftest import Browser

    assert Browser(fresh).login("reception.longxian").status_code == 401
    assert Browser(app.test_client()).login("reception.longxian",
                                            "new-password-2").status_code == 302
    from werkzeug.security import generate_password_hash

    from tests.conftest import PASSWORD

    user = session.execute(select(User).where(User.username == "reception.longxian")) \
        .scalar_one()
    user.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    session.commit()


def test_passwords_are_stored_as_scrypt_hashes_by_default(as_user, session, world):
    b = as_user("admin.baoji")
    unit_id = world.unit("meixian.hrss")
    session.commit()  # end the test's read transaction before the app writes
    response = b.post("/admin/users", {"username": "wang", "display_name": "王", "role": "handler",
                                       "password": "first-pass-1", "unit_id": unit_id})
    assert response.status_code == 302, text(response)
    user = session.execute(select(User).where(User.username == "wang")).scalar_one()
    assert user.password_hash.startswith("scrypt:")
