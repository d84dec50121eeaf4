"""Request hygiene: one body limit (413 in Chinese), bounded ids and pages, validated audit
filters, a safe ``next``, no-store on API answers, private instance files. No input gives
a 500."""

from __future__ import annotations

import io
import stat

import pytest
from werkzeug.routing import IntegerConverter

from petition_flow import clock
from petition_flow.app import create_app
from petition_flow.services.actor import SYSTEM
from petition_flow.services.tokens import create_token
from tests.web.conftest import Browser, text

AUDIT_READER = "auditor.baoji"
HUGE = 2**63


def test_a_5_mb_post_to_the_login_page_is_refused_with_413_in_chinese(browser):
    browser.get("/login")
    with browser.client.post("/login", data={"username": "x" * (5 * 1024 * 1024)}) as response:
        assert response.status_code == 413
        assert "提交的内容过大" in text(response)


def test_the_api_has_the_same_body_limit(app, Session):
    with Session() as session:
        token = create_token(session, SYSTEM, clock.now(), "reception.meixian").token
    with app.test_client().post(
            "/api/v1/petitions", data=b"{" + b" " * (3 * 1024 * 1024) + b"}",
            headers={"Authorization": f"Bearer {token}",
                     "Content-Type": "application/json"}) as response:
        assert response.status_code == 413
        assert response.get_json()["error"]["message"].startswith("请求体过大")


def test_only_the_calendar_upload_takes_more_and_still_has_a_limit(engine, Session, tmp_path):
    # Limits lowered by settings, so that bodies stay in memory (below Werkzeug's spooling).
    app = create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "k",
                      "MAX_CONTENT_LENGTH": 100_000, "UPLOAD_MAX_CONTENT_LENGTH": 300_000},
                     instance_path=tmp_path / "i")
    b = Browser(app.test_client())
    assert b.login("admin.baoji").status_code == 302
    assert b.post("/admin/users", {"username": "x" * 150_000}).status_code == 413
    two = io.BytesIO(b"# " + b"x" * 200_000 + b"\n")
    response = b.post("/admin/calendar", {"file": (two, "2026.yaml")},
                      content_type="multipart/form-data")
    assert response.status_code == 400  # read and refused as a calendar, not for its size
    four = io.BytesIO(b"x" * 400_000)
    response = b.post("/admin/calendar", {"file": (four, "2026.yaml")},
                      content_type="multipart/form-data")
    assert response.status_code == 413 and "提交的内容过大" in text(response)


def test_the_default_limits_are_2_mib_for_pages_and_api_and_4_mib_for_uploads(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    assert app.config["UPLOAD_MAX_CONTENT_LENGTH"] == 4 * 1024 * 1024


def _int_rules(app):
    for rule in app.url_map.iter_rules():
        ints = [name for name, conv in rule._converters.items()
                if isinstance(conv, IntegerConverter)]
        if ints:
            yield rule, ints


def _path(rule, ints, value) -> str:
    path = rule.rule
    for name, conv in rule._converters.items():
        if name in ints:
            path = path.replace(f"<int:{name}>", str(value))
        else:
            options = getattr(conv, "items", None)
            replacement = sorted(options)[0] if options else "x"
            path = path.replace(f"<{conv.__class__.__name__}:{name}>", replacement)
            path = path.replace(f"<any({', '.join(sorted(options or []))}):{name}>", replacement)
    return __import__("re").sub(r"<[^>]+>", lambda m: "activate" if "any(" in m.group(0)
                                else "x", path)


@pytest.mark.parametrize("value", [HUGE, -1, 2**31])
def test_every_integer_route_answers_404_to_an_id_no_row_can_have(app, as_user, value):
    rules = list(_int_rules(app))
    assert len(rules) >= 15  # cases, orders, users, units, approvals, inbox, accountability…
    browsers = {"anonymous": Browser(app.test_client()), "admin": as_user("admin.baoji"),
                "supervisor": as_user("county_supervisor.meixian")}
    for rule, ints in rules:
        path = _path(rule, ints, value)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for who, b in browsers.items():
                response = b.client.open(path, method=method)
                assert response.status_code == 404, (who, method, path, response.status_code)


def test_huge_page_numbers_and_ids_in_query_and_form_never_give_a_500(as_user):
    supervisor = as_user("county_supervisor.meixian")
    for url in ("/cases?page=9223372036854775807", "/cases?page=-5", "/cases?page=1e9",
                f"/supervision/orders/new?case={HUGE}&alert={HUGE}",
                f"/inbox/?page={HUGE}", "/orders/?status=unclosed&page=99999999999"):
        response = supervisor.get(url)
        assert response.status_code in (200, 302, 400, 404), (url, response.status_code)
    admin = as_user("admin.baoji")
    response = admin.post("/admin/users", {"username": "u1", "password": "Good-pass-1",
                                           "unit_id": str(HUGE), "role": "handler"})
    assert response.status_code == 400 and "单位不存在" in text(response)
    response = admin.post("/admin/units", {"code": "test.u", "name": "某单位", "kind": "other",
                                           "region_id": str(HUGE)})
    assert response.status_code == 400 and "请选择所属地区" in text(response)


def test_the_audit_page_ignores_url_for_options_and_refuses_dates_out_of_range(as_user, world):
    world.audit(n=1)
    b = as_user(AUDIT_READER)
    for extra in ("_method=GET", "_anchor=x", "_external=1", "_scheme=javascript",
                  "page=9223372036854775807"):
        response = b.get(f"/admin/audit?{extra}")
        assert response.status_code == 200, extra
        assert "javascript" not in text(response).split("<main>")[1]
    for bad in ("date_from=0001-01-01", "date_to=9999-12-31", "date_from=2026-13-01",
                "date_to=26-1-1"):
        response = b.get(f"/admin/audit?{bad}")
        assert response.status_code == 400, bad
        assert "日期" in text(response) and "无效" in text(response)
    assert b.get("/admin/audit?date_from=2026-01-01&date_to=2026-12-31").status_code == 200


def test_a_page_past_the_end_of_the_audit_log_shows_its_last_page(as_user, world):
    world.audit(n=1)
    page = text(as_user(AUDIT_READER).get("/admin/audit?page=500"))
    assert "共 " in page and "没有符合条件的记录" not in page


NEXT_VARIANTS = ["/%09/example.com", "/%0a/x", "/%0d%0aSet-Cookie:x=1", "/\\example.com",
                 "/%5Cexample.com", "//example.com", "///example.com", "https://example.com",
                 "https:example.com", "javascript:alert(1)", "/%00", "%2F%2Fexample.com",
                 " //example.com", "/cases%0a"]


@pytest.mark.parametrize("target", NEXT_VARIANTS)
def test_next_never_leaves_the_host_and_never_gives_a_500(browser, target):
    browser.get("/login")
    response = browser.post(f"/login?next={target}", {"username": "handler.meixian",
                                                      "password": "test-password-1"})
    if "%00" in target:  # refused at the door like any NUL
        assert response.status_code == 400 and "空字符" in text(response)
        return
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/", (target, location)


def test_next_as_a_path_on_this_host_is_followed(browser):
    browser.get("/login")
    response = browser.post("/login?next=/cases%3Fpage%3D2", {"username": "handler.meixian",
                                                             "password": "test-password-1"})
    assert response.headers["Location"] == "/cases?page=2"


def test_api_answers_with_personal_data_are_not_cached(app, Session):
    with Session() as session:
        token = create_token(session, SYSTEM, clock.now(), "reception.meixian").token
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/petitions", "/api/v1/stats", "/api/v1/petitions/2147483647"):
        response = client.get(path, headers=headers)
        assert response.headers["Cache-Control"] == "no-store", path
    assert client.get("/api/v1/petitions").headers["Cache-Control"] == "no-store"  # the 401 too


def test_the_instance_folder_is_0700_and_its_database_wal_shm_and_key_0600(tmp_path,
                                                                          monkeypatch):
    monkeypatch.delenv("PETITION_FLOW_DATABASE_URL", raising=False)
    monkeypatch.delenv("PETITION_FLOW_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    app = create_app({"TESTING": True}, instance_path=instance)
    from petition_flow.migrate import upgrade

    upgrade(app.extensions["petition_flow.engine"])
    assert app.test_client().get("/login").status_code == 200
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(instance) == 0o700
    files = [p for p in instance.iterdir()]
    names = {p.name for p in files}
    assert {"secret_key", "petition_flow.sqlite3", "petition_flow.sqlite3-wal"} <= names
    for path in files:
        assert mode(path) == 0o600, path.name
    app.extensions["petition_flow.engine"].dispose()


def test_a_nul_in_any_query_or_form_value_is_refused_with_a_chinese_page(as_user):
    b = as_user("county_supervisor.meixian")
    for url in ("/cases?state=%00", "/cases?category=a%00b", "/supervision/?x%00=1"):
        response = b.get(url)
        assert response.status_code == 400, url
        assert "空字符" in text(response)
    response = b.post("/account/email", {"email": "a\x00@example.com"})
    assert response.status_code == 400 and "空字符" in text(response)
