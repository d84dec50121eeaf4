"""Bad requests: CSRF, unknown pages, server errors — Chinese pages, never a stack trace."""

from helpers import nothing_changes
from sqlalchemy import func, select

from petition_flow.app import create_app
from petition_flow.models import Case
from tests.web.conftest import text


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(as_user, session):
    b = as_user("reception.meixian")
    response = b.post("/reception/petitions/new", {
        "channel": "visit", "summary": "x", "request": "y", "facts_and_reasons": "z",
        "petitioners-0-name": "王五"}, csrf=False)
    assert response.status_code == 400
    assert "CSRF" in text(response) and "刷新" in text(response)
    assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 0
    session.commit()


def test_a_post_with_a_forged_csrf_token_is_refused(as_user, Session):
    b = as_user("admin.baoji")
    with nothing_changes(Session):
        response = b.post("/admin/audit/verify", {"csrf_token": "forged"}, csrf=False)
    assert response.status_code == 400


def test_the_login_form_itself_is_protected_by_csrf(browser, Session):
    with nothing_changes(Session):  # no session opened, no sign-in recorded
        response = browser.post("/login", {"username": "admin.baoji",
                                           "password": "test-password-1"}, csrf=False)
    assert response.status_code == 400


def test_an_unknown_page_gives_a_chinese_404(as_user):
    response = as_user("handler.meixian").get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in text(response)


def test_a_server_error_gives_a_chinese_500_page_without_a_stack_trace(engine, Session, tmp_path):
    app = create_app({"ENGINE": engine, "SECRET_KEY": "x", "PROPAGATE_EXCEPTIONS": False},
                     instance_path=tmp_path)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.logger.disabled = True
    response = app.test_client().get("/boom")
    page = text(response)
    assert response.status_code == 500
    assert "系统内部错误" in page
    assert "Traceback" not in page and "secret internals" not in page and "RuntimeError" not in page


def test_signed_in_pages_are_not_cached_and_carry_security_headers(as_user):
    response = as_user("reception.meixian").get("/cases")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
