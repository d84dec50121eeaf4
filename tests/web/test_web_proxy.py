"""Behind a reverse proxy (petition_flow/proxy.py): the client address comes from
X-Forwarded-For only when TRUSTED_PROXIES says a proxy is there; HTTPS makes the cookies
Secure and adds HSTS; versioned static files are cached for a year, pages never."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from petition_flow.app import create_app
from petition_flow.models import AuditEntry, UserSession
from petition_flow.settings import SettingsError, check_app_settings
from tests.conftest import PASSWORD
from tests.web.conftest import Browser, text

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
STATIC = Path(__file__).resolve().parents[2] / "petition_flow" / "static"


def _app(engine, tmp_path, **settings):
    return create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "test-secret",
                       **settings}, instance_path=tmp_path / "instance")


def _sign_in(app, headers=None) -> Browser:
    b = Browser(app.test_client())
    b.get("/login", headers=headers)
    response = b.post("/login", {"username": "handler.meixian", "password": PASSWORD},
                      headers=headers)
    assert response.status_code == 302, text(response)
    b.token = None
    return b


def _login_address(session) -> str:
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "login")).one()
    return entry.details["remote_addr"]


def test_without_trusted_proxies_a_forwarded_address_is_ignored(engine, session, tmp_path):
    app = _app(engine, tmp_path)
    _sign_in(app, headers={"X-Forwarded-For": "203.0.113.7"})
    assert _login_address(session) == "127.0.0.1"
    assert session.scalars(select(UserSession.remote_addr)).one() == "127.0.0.1"


def test_with_one_trusted_proxy_sign_in_and_audit_record_the_forwarded_address(
        engine, session, tmp_path):
    app = _app(engine, tmp_path, TRUSTED_PROXIES=1)
    headers = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}  # the proxy appended the last
    b = _sign_in(app, headers=headers)
    assert _login_address(session) == "203.0.113.7"
    assert session.scalars(select(UserSession.remote_addr)).one() == "203.0.113.7"
    # A second session of the same user, ended from the first: an audit entry written by a
    # page on behalf of the signed-in user records where that user was.
    _sign_in(app, headers={"X-Forwarded-For": "203.0.113.9"})
    session.rollback()  # a fresh read: the app committed since
    other = session.scalars(select(UserSession.id).where(
        UserSession.remote_addr == "203.0.113.9")).one()
    b.get("/account/sessions", headers=headers)
    response = b.post(f"/account/sessions/{other}/end", headers=headers)
    assert response.status_code == 302
    session.rollback()
    ended = session.scalars(select(AuditEntry).where(AuditEntry.action == "session_ended")).one()
    assert ended.details["remote_addr"] == "203.0.113.7"


def test_a_bad_trusted_proxies_value_stops_the_app_with_a_chinese_line(engine, tmp_path):
    with pytest.raises(SettingsError) as refused:
        _app(engine, tmp_path, TRUSTED_PROXIES="nginx")
    assert "TRUSTED_PROXIES" in refused.value.problems[0]
    # The start-up check (serve, the gunicorn workers) names it too.
    problems = check_app_settings({"SECRET_KEY": "x" * 32, "TRUSTED_PROXIES": 9})
    assert any("TRUSTED_PROXIES" in line and "“9”" in line for line in problems)


def test_under_https_the_session_cookie_is_secure_and_every_answer_has_hsts(engine, tmp_path):
    app = _app(engine, tmp_path, HTTPS=True, TRUSTED_PROXIES=1)
    b = Browser(app.test_client())
    login = b.get("/login", headers=FORWARDED)
    assert login.headers["Strict-Transport-Security"] == "max-age=31536000"
    response = b.post("/login", {"username": "handler.meixian", "password": PASSWORD},
                      headers={**FORWARDED, "Referer": "https://localhost/login"})
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    with app.test_request_context("/"):  # PREFERRED_URL_SCHEME: a context without a client
        from flask import url_for

        assert url_for("auth.login", _external=True).startswith("https://")


def test_without_the_https_setting_there_is_no_secure_cookie_and_no_hsts(engine, tmp_path):
    app = _app(engine, tmp_path)
    b = Browser(app.test_client())
    b.get("/login")
    response = b.post("/login", {"username": "handler.meixian", "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" not in cookie
    assert "Strict-Transport-Security" not in response.headers


def test_pages_link_static_files_by_content_hash(app, as_user):
    page = text(as_user("handler.meixian").get("/cases"))
    digest = hashlib.sha256((STATIC / "app.css").read_bytes()).hexdigest()[:12]
    assert f"/static/app.css?v={digest}" in page


def test_a_versioned_static_file_is_cached_for_a_year_even_for_a_signed_in_user(
        app, as_user):
    b = as_user("admin.baoji")
    page = text(b.get("/admin/workflows"))
    script = re.search(r'src="(/static/mermaid/mermaid\.min\.js\?v=[0-9a-f]{12})"', page)
    assert script, "the workflow page links the Mermaid script with its hash"
    response = b.get(script.group(1))
    response.close()  # the file is streamed; this test reads only the headers
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # The page itself, for the same signed-in user, is never stored.
    assert b.get("/admin/workflows").headers["Cache-Control"] == "no-store"


def test_an_unversioned_or_stale_static_url_must_be_revalidated(app, as_user):
    b = as_user("handler.meixian")
    for url in ("/static/app.css", "/static/app.css?v=000000000000"):
        response = b.get(url)
        response.close()
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache", url
