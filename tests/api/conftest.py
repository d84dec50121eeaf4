"""API fixtures: the app on the test database with a settable clock, tokens per role, and a
client that checks every answer against the published OpenAPI description."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from helpers import at
from jsonschema import Draft202012Validator, FormatChecker

from petition_flow.api.openapi import OPERATIONS, document
from petition_flow.api.schemas import models
from petition_flow.clock import CHINA_TZ
from petition_flow.services.actor import SYSTEM
from petition_flow.services.rules import default_spec
from petition_flow.services.tokens import create_token

ROLES = ("reception", "handler", "unit_leader", "county_supervisor", "city_supervisor", "admin")


class ApiClock:
    """The API's notion of now; tests move it forward explicitly."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int = 1) -> None:
        self.now += timedelta(days=days)

    @property
    def today(self) -> date:
        return self.now.astimezone(CHINA_TZ).date()


@pytest.fixture
def api_clock() -> ApiClock:
    return ApiClock(at("2026-03-02", 9))


@pytest.fixture
def app_settings(api_clock) -> dict:
    """The app of tests/conftest.py, with the API's clock."""
    return {"PETITION_FLOW_CLOCK": api_clock}


@pytest.fixture
def unit_id(Session):
    """``unit_id("meixian.hrss")``: looked up in a short session of its own, because on SQLite
    an open test transaction would hold the write lock the API needs."""
    from petition_flow.services.org import unit_by_code

    def lookup(code: str) -> int:
        with Session() as session:
            return unit_by_code(session, code).id

    return lookup


def _username(role: str, county: str) -> str:
    if role == "city_supervisor":
        return "city_supervisor.baoji"
    if role == "admin":
        return "admin.baoji"
    return f"{role}.{county}"


class Tokens:
    """``tokens(role, county)``: a bearer token of that seeded user, issued once per test;
    ``tokens.of(username)`` for any other user."""

    def __init__(self, Session, clock):
        self.Session, self.clock = Session, clock
        self.issued: dict[str, str] = {}

    def of(self, username: str) -> str:
        if username not in self.issued:
            with self.Session() as session:
                self.issued[username] = create_token(session, SYSTEM, self.clock.now,
                                                     username, "test").token
        return self.issued[username]

    def __call__(self, role: str, county: str = "meixian") -> str:
        return self.of(_username(role, county))


@pytest.fixture
def tokens(Session, api_clock) -> Tokens:
    return Tokens(Session, api_clock)


def _templates() -> list[tuple[re.Pattern, str]]:
    out = []
    for template in document()["paths"]:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
        out.append((re.compile(f"^/api/v1{pattern}$"), template))
    return out


def response_schema(path: str, method: str, status: int) -> dict | None:
    """The documented schema of this answer; fails the test if the status is undocumented."""
    doc = document()
    for pattern, template in _templates():
        if pattern.match(path.split("?")[0]):
            operation = doc["paths"][template].get(method.lower())
            if operation is None:  # a method the path does not have: 405, a plain Error
                return None
            responses = operation["responses"]
            assert str(status) in responses, f"{method} {path}: {status} is not documented"
            entry = responses[str(status)]
            if "$ref" in entry:
                entry = doc["components"]["responses"][entry["$ref"].rsplit("/", 1)[1]]
            return entry["content"]["application/json"]["schema"]
    return None


def check_against_description(path: str, method: str, status: int, body) -> None:
    schema = response_schema(path, method, status)
    if schema is None:  # a path the API does not describe: still a JSON error
        schema = {"$ref": "#/components/schemas/Error"}
    root = {**schema, "components": document()["components"]}
    errors = list(Draft202012Validator(root, format_checker=FormatChecker()).iter_errors(body))
    assert not errors, f"{method} {path} {status}: {errors[0].message} at {list(errors[0].path)}"


def check_against_model(path: str, method: str, status: int, raw: str) -> None:
    """The answer parses, strictly, as the pydantic model the route declares (or Error)."""
    name = "Error"
    if status < 400:
        for op in OPERATIONS:
            pattern = re.sub(r"<[^>]+>", "[^/]+", op.rule)
            if op.method == method.upper() and re.match(f"^/api/v1{pattern}$", path.split("?")[0]):
                name = op.answer
        if name is None:  # the description itself: any JSON object
            return
    models(default_spec())[name].model_validate_json(raw, strict=True)


@dataclass
class Answer:
    status: int
    json: dict
    headers: dict


class ApiClient:
    """Calls the API as a user and checks each answer is JSON shaped as documented."""

    def __init__(self, client, tokens):
        self.client = client
        self.tokens = tokens

    def call(self, method: str, path: str, *, as_: tuple[str, str] | str | None = None,
             json=None, data=None, headers=None, query=None) -> Answer:
        headers = dict(headers or {})
        if as_ is not None:
            role, county = (as_, "meixian") if isinstance(as_, str) else as_
            headers["Authorization"] = f"Bearer {self.tokens(role, county)}"
        url = "/api/v1" + path
        response = self.client.open(url, method=method, json=json, data=data, headers=headers,
                                    query_string=query)
        assert response.mimetype == "application/json", response.data[:300]
        body = response.get_json()
        assert response.status_code != 500, body
        check_against_description(url, method, response.status_code, body)
        check_against_model(url, method, response.status_code, response.get_data(as_text=True))
        if response.status_code >= 400:
            assert set(body) == {"error"} and body["error"]["message"]
        return Answer(response.status_code, body, dict(response.headers))

    def get(self, path: str, **kw) -> Answer:
        return self.call("GET", path, **kw)

    def post(self, path: str, **kw) -> Answer:
        return self.call("POST", path, **kw)


@pytest.fixture
def api(app, tokens) -> ApiClient:
    return ApiClient(app.test_client(), tokens)
