"""When the database goes away: one request fails with a clear Chinese message (503), never a
stack trace or a dead process; when PostgreSQL drops every connection (a restart), the pool's
pre-ping replaces them and the next request simply works."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from petition_flow.app import create_app
from petition_flow.db import make_engine

UNREACHABLE = {
    "sqlite": "sqlite:////nonexistent-folder/petition_flow.sqlite3",
    "postgresql": "postgresql+psycopg://postgres:postgres@127.0.0.1:1/none",
}


def _app(url, tmp_path):
    return create_app({"DATABASE_URL": url, "TESTING": False, "SECRET_KEY": "x",
                       "PROPAGATE_EXCEPTIONS": False, "WTF_CSRF_ENABLED": False},
                      instance_path=tmp_path)


def test_a_page_asked_while_the_database_is_unreachable_says_so_in_chinese(engine, tmp_path):
    app = _app(UNREACHABLE[engine.dialect.name], tmp_path)
    response = app.test_client().post("/login", data={"username": "a", "password": "b"})
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "数据库暂时无法访问" in body and "Traceback" not in body


def test_the_api_answers_503_json_while_the_database_is_unreachable(engine, tmp_path):
    app = _app(UNREACHABLE[engine.dialect.name], tmp_path)
    response = app.test_client().get("/api/v1/petitions",
                                     headers={"Authorization": "Bearer whatever"})
    assert response.status_code == 503
    assert response.json["error"]["code"] == "database_unavailable"
    assert "数据库暂时无法访问" in response.json["error"]["message"]


def test_after_postgresql_drops_every_connection_the_next_request_works(engine, tmp_path,
                                                                       database_url):
    if engine.dialect.name != "postgresql":
        pytest.skip("connection loss and pre-ping concern the PostgreSQL server database")
    app = create_app({"ENGINE": make_engine(database_url,
                                            connect_args={"application_name": "outage-test"}),
                      "TESTING": False, "SECRET_KEY": "x", "PROPAGATE_EXCEPTIONS": False,
                      "WTF_CSRF_ENABLED": False}, instance_path=tmp_path)
    client = app.test_client()
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/login").status_code == 200
    app_engine = app.extensions["petition_flow.engine"]
    with app_engine.connect() as conn:  # a pooled connection the restart will kill
        conn.execute(text("SELECT 1"))
    killer = make_engine(database_url)
    with killer.begin() as conn:
        killed = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'outage-test'")).scalar()
    assert killed >= 1
    killer.dispose()
    response = client.post("/login", data={"username": "reception.meixian",
                                           "password": "wrong"})
    assert response.status_code == 401  # the sign-in form answered: wrong password
    assert "用户名或密码错误" in response.get_data(as_text=True)
    app_engine.dispose()
