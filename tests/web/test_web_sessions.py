"""Server-side sessions: a copied cookie dies with logout, a password change and 强制下线;
idle and absolute limits; rotation at sign-in; a user's own sessions page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from petition_flow.app import create_app
from petition_flow.models import AuditEntry, User, UserSession
from tests.web.conftest import Browser, text

START = datetime(2026, 10, 9, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start=START):
        self.instant = start

    def __call__(self):
        return self.instant

    def advance(self, **delta):
        self.instant += timedelta(**delta)


def _copy_cookie(app, source: Browser) -> Browser:
    """Another browser holding a copy of ``source``'s session cookie (what a thief would do)."""
    cookie = source.client.get_cookie("session")
    assert cookie is not None
    thief = Browser(app.test_client())
    thief.client.set_cookie("session", cookie.value)
    return thief


def _is_sign_in_page(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def _actions(session) -> list[str]:
    session.commit()
    return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars())


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app, as_user, session):
    b = as_user("handler.meixian")
    thief = _copy_cookie(app, b)
    assert thief.get("/cases").status_code == 200  # the copy works while the session lives
    b.post("/logout")
    assert _is_sign_in_page(thief.get("/cases"))
    assert "logout" in _actions(session)


def test_a_cookie_copied_before_a_password_change_opens_nothing_after_it(app, as_user):
    b = as_user("reception.jintai")
    thief = _copy_cookie(app, b)
    response = b.post("/account/password", {"old_password": "test-password-1",
                                            "new_password": "Another-pass-7",
                                            "confirm": "Another-pass-7"})
    assert response.status_code == 302, text(response)
    assert b.get("/cases").status_code == 200  # this browser got a new session
    assert _is_sign_in_page(thief.get("/cases"))


def test_a_forced_logout_by_the_administrator_ends_every_session_of_the_user(
        app, as_user, session):
    victim = session.execute(select(User).where(User.username == "handler.longxian")) \
        .scalar_one()
    first, second = as_user("handler.longxian"), as_user("handler.longxian")
    thief = _copy_cookie(app, first)
    session.commit()
    response = as_user("admin.baoji").post(f"/admin/users/{victim.id}/sessions/end")
    assert response.status_code == 302
    for browser in (first, second, thief):
        assert _is_sign_in_page(browser.get("/cases"))
    assert "forced_logout" in _actions(session)
    entry = session.execute(select(AuditEntry).where(AuditEntry.action == "forced_logout")) \
        .scalar_one()
    assert entry.actor_username == "admin.baoji" and entry.details["sessions"] == 2  # the thief shares one


def test_deactivating_a_user_ends_their_sessions_at_once(as_user, session):
    b = as_user("handler.chencang")
    user = session.execute(select(User).where(User.username == "handler.chencang")) \
        .scalar_one()
    session.commit()
    as_user("admin.baoji").post(f"/admin/users/{user.id}/deactivate", {"confirmed": "1"})
    assert _is_sign_in_page(b.get("/cases"))
    session.commit()
    assert session.execute(select(UserSession).where(UserSession.user_id == user.id)) \
        .first() is None


def test_a_session_ends_after_the_idle_limit_with_a_clock_the_test_controls(app, as_user):
    clock = Clock()
    app.config["PETITION_FLOW_CLOCK"] = clock
    b = as_user("handler.meixian")
    clock.advance(minutes=29)
    assert b.get("/cases").status_code == 200
    clock.advance(minutes=29)  # 29 minutes after the last request: still alive
    assert b.get("/cases").status_code == 200
    clock.advance(minutes=31)
    assert _is_sign_in_page(b.get("/cases"))
    assert "登录已超时" in text(b.get("/login"))


def test_a_busy_session_still_ends_at_the_absolute_limit(app, as_user, session):
    clock = Clock()
    app.config["PETITION_FLOW_CLOCK"] = clock
    b = as_user("handler.meixian")
    for _ in range(7 * 4 + 3):  # a request every 15 minutes for 7 h 45 min
        clock.advance(minutes=15)
        assert b.get("/cases").status_code == 200
    clock.advance(minutes=16)  # 8 h 1 min after signing in
    assert _is_sign_in_page(b.get("/cases"))
    assert "登录时间已达上限" in text(b.get("/login"))
    entry = session.execute(select(AuditEntry).where(AuditEntry.action == "session_expired")) \
        .scalar_one()
    assert entry.details["reason"] == "absolute"


def test_the_limits_are_settings(engine, Session, tmp_path):
    app = create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "k",
                      "SESSION_IDLE_MINUTES": 5, "PETITION_FLOW_CLOCK": (clock := Clock())},
                     instance_path=tmp_path / "i")
    b = Browser(app.test_client())
    assert b.login("handler.meixian").status_code == 302
    clock.advance(minutes=6)
    assert _is_sign_in_page(b.get("/cases"))


def test_signing_in_rotates_the_session_so_a_planted_cookie_stays_anonymous(app, browser):
    browser.get("/login")
    planted = _copy_cookie(app, browser)  # fixed before the victim signs in
    assert browser.login("handler.meixian").status_code == 302
    assert browser.get("/cases").status_code == 200
    assert _is_sign_in_page(planted.get("/cases"))


def test_the_session_cookie_ends_with_the_browser_and_is_secure_when_configured(
        engine, Session, tmp_path):
    app = create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "k",
                      "SESSION_COOKIE_SECURE": True}, instance_path=tmp_path / "i")
    b = Browser(app.test_client())
    b.get("/login", base_url="https://localhost")
    response = b.post("/login", {"username": "handler.meixian", "password": "test-password-1"},
                      base_url="https://localhost",
                      headers={"Referer": "https://localhost/login"})  # CSRF checks it on HTTPS
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert "Expires" not in cookie and "Max-Age" not in cookie


def test_another_browser_is_signed_out_by_strong_session_protection(app, as_user):
    b = as_user("handler.meixian")
    thief = _copy_cookie(app, b)
    response = thief.client.get("/cases", headers={"User-Agent": "curl/8.0"})
    assert _is_sign_in_page(response)


def test_a_user_sees_their_own_sessions_and_ends_another_one(as_user, browser_at, session):
    office = as_user("county_supervisor.meixian")
    home = browser_at("127.0.0.9")
    assert home.login("county_supervisor.meixian").status_code == 302
    as_user("county_supervisor.jintai")  # someone else's session is not listed
    page = office.get("/account/sessions")
    assert page.status_code == 200
    body = text(page)
    assert body.count('id="session-') == 2 and "127.0.0.9" in body and "本会话" in body
    session.commit()
    other = session.execute(select(UserSession).where(UserSession.remote_addr == "127.0.0.9")) \
        .scalar_one()
    assert office.post(f"/account/sessions/{other.id}/end").status_code == 302
    assert _is_sign_in_page(home.get("/supervision/"))
    assert office.get("/supervision/").status_code == 200
    assert "session_ended" in _actions(session)


def test_a_user_cannot_end_a_session_of_someone_else(as_user, session):
    as_user("handler.jintai")
    session.commit()
    theirs = session.execute(select(UserSession)).scalar_one()
    response = as_user("handler.meixian").post(f"/account/sessions/{theirs.id}/end")
    assert response.status_code == 404
    session.commit()
    assert session.get(UserSession, theirs.id) is not None
