"""Web fixtures: the Flask app on the test database, and a client that signs in as any seeded
user and sends the CSRF token the way a browser does (read from the page it was given)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Browser:
    """A test client that behaves like a signed-in member of staff."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def login(self, username: str, password: str = PASSWORD):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        self.token = None  # signing in starts a new session, with a new token
        return response

    def get(self, url: str, **kw):
        response = self.client.get(url, **kw)
        found = TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1) or found.group(2)
        return response

    def post(self, url: str, data: dict | None = None, *, csrf: bool = True, **kw):
        data = dict(data or {})
        if csrf:
            if self.token is None:
                self.get("/account/password")
            data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def browser(app):
    return Browser(app.test_client())


@pytest.fixture
def as_user(app):
    """``as_user("handler.meixian")``: a fresh, signed-in browser."""

    def make(username: str, password: str = PASSWORD) -> Browser:
        b = Browser(app.test_client())
        response = b.login(username, password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return b

    return make


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def browser_at(app):
    """``browser_at("127.0.0.2")``: a browser whose requests come from that address."""

    def make(address: str) -> Browser:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return Browser(client)

    return make
