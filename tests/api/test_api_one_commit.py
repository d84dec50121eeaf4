"""One API request, one unit of work (issue #14): a write request commits its change, its
audit and its stored answer in one write transaction; a read commits nothing.

Not counted as writes: the token's last-used stamp, written on a connection of its own
(services/tokens.py), and the end of the read in which the token was checked, which
db.begin_write closes before it begins the write (the lock order of db.py). Both are
counted apart and asserted too."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from helpers import petition
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from petition_flow.db import in_write

CLASSIFY = {"trigger": "classify", "data": {"category": "appeal", "route": "6"}}


@contextmanager
def counted_commits():
    """Commits of any ORM session while the block runs: "write" inside
    db.write_transaction, "read" for the end of a transaction that wrote nothing."""
    seen: list[str] = []

    def count(session):
        seen.append("write" if in_write(session) else "read")

    event.listen(OrmSession, "after_commit", count)
    try:
        yield seen
    finally:
        event.remove(OrmSession, "after_commit", count)


@pytest.fixture
def case_id(api, tokens):
    for role in ("reception", "handler"):
        tokens(role)  # issued (and committed) before anything is counted
    return api.post("/petitions", as_="reception", json=petition()).json["id"]


def test_registering_a_petition_with_an_idempotency_key_commits_once(api, tokens):
    tokens("reception")
    with counted_commits() as seen:
        answer = api.post("/petitions", as_="reception", json=petition(2),
                          headers={"Idempotency-Key": "one-commit-1"})

    assert answer.status == 201
    assert seen == ["read", "write"]


def test_firing_a_transition_commits_once(api, case_id):
    with counted_commits() as seen:
        answer = api.post(f"/petitions/{case_id}/events", as_="reception", json=CLASSIFY,
                          headers={"Idempotency-Key": "one-commit-2"})

    assert answer.status == 200
    assert seen == ["read", "write"]


def test_reading_a_case_and_the_list_commits_nothing(api, case_id):
    with counted_commits() as seen:
        assert api.get(f"/petitions/{case_id}", as_="reception").status == 200
        assert api.get("/petitions", as_="reception").status == 200

    assert seen == []


def test_a_refused_transition_commits_nothing(api, case_id):
    with counted_commits() as seen:
        answer = api.post(f"/petitions/{case_id}/events", as_="handler", json=CLASSIFY)

    assert answer.status in (403, 404, 409, 422)
    assert seen == []
