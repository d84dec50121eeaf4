"""GET /stats, GET /calendar/due, the OpenAPI document itself, and JSON errors everywhere."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from helpers import petition

from petition_flow.api.openapi import document
from petition_flow.cli import main

ROLES = ("reception", "handler", "unit_leader", "county_supervisor", "city_supervisor", "admin")


# -- /stats --------------------------------------------------------------------------------

def test_a_county_supervisor_gets_the_figures_of_its_own_county(api):
    api.post("/petitions", as_="reception", json=petition(1))
    api.post("/petitions", as_=("reception", "jintai"), json=petition(2))
    answer = api.get("/stats", as_="county_supervisor")
    assert answer.status == 200
    (meixian,) = answer.json["counties"]
    assert (meixian["county"], meixian["name"], meixian["pilot"]) == ("meixian", "眉县",
                                                                     "provincial")
    assert meixian["open_total"] == 1 and meixian["open_by_step"] == {"1": 1}
    assert answer.json["today"] == "2026-03-02"


def test_the_city_supervisor_gets_every_county_of_baoji(api):
    api.post("/petitions", as_=("reception", "jintai"), json=petition(2))
    counties = api.get("/stats", as_="city_supervisor").json["counties"]
    assert len(counties) == 12
    assert next(c for c in counties if c["county"] == "jintai")["open_total"] == 1


@pytest.mark.parametrize("role", ["reception", "handler", "unit_leader", "admin"])
def test_roles_without_supervision_may_not_read_the_figures(api, role):
    answer = api.get("/stats", as_=role)
    assert answer.status == 403
    assert answer.json["error"]["message"] == "只有督办人员可以查看统计数据。"


# -- /calendar/due -------------------------------------------------------------------------

@pytest.fixture
def cli_env(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("PETITION_FLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("PETITION_FLOW_INSTANCE", str(tmp_path))


@pytest.mark.parametrize("start, days, unit", [
    ("2026-09-30", 5, "workday"),  # across 国庆 with its 调休 Saturday
    ("2026-09-20", 15, "calendar"),  # last day in the holiday: rolled forward
    ("2027-12-20", 30, "calendar"),  # a year without a published schedule: 暂定
])
def test_calendar_due_answers_exactly_what_the_cli_answers(api, cli_env, start, days, unit):
    answer = api.get("/calendar/due", as_="handler",
                     query={"from": start, "days": days, "unit": unit})
    assert answer.status == 200
    args = ["calendar", "due", "--from", start, "--days", str(days), "--json"]
    cli = CliRunner().invoke(main, args + (["--workdays"] if unit == "workday" else []))
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.stdout)
    assert {k: answer.json[k] for k in expected} == expected
    assert (answer.json["from"], answer.json["days"], answer.json["unit"]) == (start, days, unit)


def test_calendar_due_counts_calendar_days_unless_told_otherwise(api):
    answer = api.get("/calendar/due", as_="reception", query={"from": "2026-03-02", "days": 15})
    assert (answer.json["unit"], answer.json["due_date"]) == ("calendar", "2026-03-17")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_compute_a_due_date(api, role):
    answer = api.get("/calendar/due", as_=role, query={"from": "2026-03-02", "days": 1})
    assert answer.status == 200


@pytest.mark.parametrize("query, status, field", [
    ({"days": 5}, 400, "from"), ({"from": "2026-03-02"}, 400, "days"),
    ({"from": "2026-3-2", "days": 5}, 400, "from"), ({"from": "2026-02-30", "days": 5}, 400, "from"),
    ({"from": "2026-03-02", "days": 0}, 400, "days"),
    ({"from": "2026-03-02", "days": 99999}, 400, "days"),
    ({"from": "2026-03-02", "days": 5, "unit": "hours"}, 400, "unit"),
    ({"from": "1800-01-01", "days": 5}, 422, "from"),
    ({"from": "9999-12-30", "days": 5}, 422, "from"),
])
def test_calendar_due_refuses_bad_parameters_with_400_or_422(api, query, status, field):
    answer = api.get("/calendar/due", as_="reception", query=query)
    assert answer.status == status
    assert field in answer.json["error"]["fields"]


def test_the_cli_refuses_a_start_date_outside_the_calendar_in_chinese(cli_env):
    result = CliRunner().invoke(main, ["calendar", "due", "--from", "9999-12-30", "--days", "5"])
    assert result.exit_code == 1
    assert "起算日应在1900年至2100年之间" in result.output


# -- the description and the errors ---------------------------------------------------------

def test_the_description_covers_every_api_route_and_method_of_the_app(app):
    described = {(f"/api/v1{path}", method.upper())
                 for path, ops in document()["paths"].items() for method in ops}
    served = {(re.sub(r"<[^>]+>", "{id}", rule.rule), method)  # <case_id>, <item_id>: {id}
              for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == described


def test_the_description_is_valid_openapi_3_1(api):
    from jsonschema import Draft202012Validator
    from openapi_spec_validator import OpenAPIV31SpecValidator

    doc = api.get("/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    OpenAPIV31SpecValidator(doc).validate()
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert "500" in op["responses"], (path, method)
            assert op["operationId"]


def test_an_unknown_api_path_is_a_json_404(api):
    answer = api.get("/nowhere", as_="reception")
    assert (answer.status, answer.json["error"]["code"]) == (404, "not_found")


def test_a_wrong_method_is_a_json_405_with_the_allowed_methods(api):
    answer = api.call("DELETE", "/petitions", as_="reception")
    assert (answer.status, answer.json["error"]["code"]) == (405, "method_not_allowed")
    assert "POST" in answer.headers["Allow"]


def test_pages_outside_the_api_keep_the_applications_own_error_pages(app):
    response = app.test_client().get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype != "application/json"


def test_an_unexpected_failure_is_a_json_500_without_a_traceback(app, tokens, monkeypatch):
    from petition_flow.api import views

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals: /work/wt-api/petition_flow/services")

    monkeypatch.setattr(views.queries, "county_figures", broken)
    response = app.test_client().get(
        "/api/v1/stats", headers={"Authorization": f"Bearer {tokens('county_supervisor')}"})
    assert response.status_code == 500
    assert response.get_json() == {"error": {
        "code": "internal_error", "message": "服务器内部错误，请稍后重试或联系系统管理员。",
        "fields": {}}}
    assert b"secret" not in response.data and b"Traceback" not in response.data


def test_the_api_needs_no_csrf_token_because_it_does_not_use_cookies(app, tokens):
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post(
        "/api/v1/petitions", json=petition(),
        headers={"Authorization": f"Bearer {tokens('reception')}"})
    assert response.status_code == 201


def test_answers_are_plain_utf8_json_so_chinese_reads_as_chinese(app, tokens):
    response = app.test_client().get(
        "/api/v1/calendar/due?from=2026-03-02&days=15",
        headers={"Authorization": f"Bearer {tokens('reception')}"})
    assert "自2026年3月2日次日起算".encode() in response.data
    assert b"\\u" not in response.data
