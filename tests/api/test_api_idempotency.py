"""Idempotency-Key on POST /petitions and POST /petitions/{id}/events: a retry is applied once
and answered with the first answer; the same key with another body is refused."""

from __future__ import annotations

from flask import request
from helpers import petition
from sqlalchemy import func, select

from petition_flow.models import AuditEntry, Case

CLASSIFY = {"trigger": "classify", "data": {"category": "appeal", "route": "6"}}


def count(Session, **where) -> int:
    with Session() as s:
        stmt = select(func.count()).select_from(AuditEntry)
        for name, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, name) == value)
        return s.execute(stmt).scalar_one()


def test_registering_twice_with_one_key_registers_one_petition_and_answers_the_same(
    api, Session
):
    key = {"Idempotency-Key": "reg-0001"}
    first = api.post("/petitions", as_="reception", json=petition(), headers=key)
    again = api.post("/petitions", as_="reception", json=petition(), headers=key)
    assert first.status == again.status == 201
    assert again.json == first.json
    assert again.headers.get("Idempotent-Replayed") == "true"
    with Session() as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == 1


def test_the_same_key_with_a_different_body_is_refused_with_422_and_changes_nothing(
    api, Session
):
    key = {"Idempotency-Key": "reg-0002"}
    assert api.post("/petitions", as_="reception", json=petition(1), headers=key).status == 201
    other = api.post("/petitions", as_="reception", json=petition(2), headers=key)
    assert other.status == 422
    assert "Idempotency-Key" in other.json["error"]["message"]
    with Session() as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == 1


def test_a_retry_after_the_answer_was_lost_past_the_commit_applies_the_transition_once(
    app, api, Session
):
    lost = {"on": True}

    @app.after_request
    def _lose_the_answer(response):  # the commit is done; the connection then breaks
        if lost["on"] and "/events" in request.path:
            raise ConnectionResetError("client went away")
        return response

    case_id = api.post("/petitions", as_="reception", json=petition()).json["id"]

    key = {"Idempotency-Key": "fire-0001"}
    client = app.test_client()
    token = api.tokens("reception")
    headers = {"Authorization": f"Bearer {token}", **key}
    app.config["PROPAGATE_EXCEPTIONS"] = False
    failed = client.post(f"/api/v1/petitions/{case_id}/events", json=CLASSIFY, headers=headers)
    assert failed.status_code == 500
    lost["on"] = False
    retry = api.post(f"/petitions/{case_id}/events", as_="reception", json=CLASSIFY,
                     headers=key)
    assert retry.status == 200 and retry.json["state"] == "triaged"
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert count(Session, case_id=case_id, action="transition") == 1


def test_a_failed_attempt_stores_nothing_and_may_be_retried_with_the_same_key(api, Session):
    case_id = api.post("/petitions", as_="reception", json=petition()).json["id"]
    key = {"Idempotency-Key": "fire-0002"}
    refused = api.post(f"/petitions/{case_id}/events", as_="reception",
                       json={"trigger": "classify", "data": {}}, headers=key)
    assert refused.status in (409, 422)
    done = api.post(f"/petitions/{case_id}/events", as_="reception", json=CLASSIFY, headers=key)
    assert done.status == 200 and "Idempotent-Replayed" not in done.headers
    assert count(Session, case_id=case_id, action="transition") == 1


def test_a_transitions_answer_shows_petitioners_masked_and_writes_nothing_after_it(
    api, Session
):
    case_id = api.post("/petitions", as_="reception", json=petition()).json["id"]
    answer = api.post(f"/petitions/{case_id}/events", as_="reception", json=CLASSIFY)
    assert answer.status == 200 and answer.json["parties"][0]["name"] == "李某"
    with Session() as s:
        actions = s.execute(select(AuditEntry.action, AuditEntry.at).where(
            AuditEntry.case_id == case_id).order_by(AuditEntry.seq)).all()
    names = [a for a, _ in actions]
    assert "transition" in names and "petitioner_details_revealed" not in names
    assert len({at for _, at in actions[names.index("transition"):]}) == 1  # one transaction


def test_a_malformed_key_is_refused_before_anything_is_done(api, Session):
    answer = api.post("/petitions", as_="reception", json=petition(),
                      headers={"Idempotency-Key": "x" * 201})
    assert answer.status == 422
    with Session() as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == 0


def test_the_api_description_documents_the_idempotency_key(api):
    doc = api.get("/openapi.json").json
    for path in ("/petitions", "/petitions/{id}/events"):
        names = [p["name"] for p in doc["paths"][path]["post"]["parameters"]]
        assert "Idempotency-Key" in names
