"""Bearer tokens: issued by the CLI once, stored hashed, audited, revocable, bound to a user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from petition_flow.cli import main
from petition_flow.errors import AuthenticationError, NotFoundError, PermissionDenied
from petition_flow.models import ApiToken, AuditEntry, User
from petition_flow.services.actor import SYSTEM
from petition_flow.services.audit import verify_chain
from petition_flow.services.tokens import authenticate, create_token, revoke_token


def test_a_request_without_a_token_is_refused_with_401_in_json(api):
    answer = api.get("/petitions")
    assert answer.status == 401
    assert answer.json["error"]["code"] == "unauthorized"
    assert "Bearer" in answer.headers["WWW-Authenticate"]


@pytest.mark.parametrize("header", ["Bearer pf_not-a-real-token", "Basic dXNlcjpwYXNz",
                                    "Bearer", "pf_token-without-scheme", "Bearer " + "x" * 500])
def test_an_unknown_or_malformed_token_is_refused_with_401(api, header):
    answer = api.get("/petitions", headers={"Authorization": header})
    assert answer.status == 401
    assert answer.json["error"]["code"] == "unauthorized"


def test_the_openapi_document_is_public(api):
    answer = api.get("/openapi.json")
    assert answer.status == 200
    assert answer.json["openapi"].startswith("3.1")


def test_only_the_sha256_of_a_token_is_stored_and_its_creation_is_audited(session, api_clock):
    issued = create_token(session, SYSTEM, api_clock.now, "reception.meixian", "12345热线")
    row = session.get(ApiToken, issued.id)
    assert issued.token not in (row.token_sha256, row.name)
    assert len(row.token_sha256) == 64
    entry = session.execute(select(AuditEntry).where(
        AuditEntry.action == "api_token_created")).scalar_one()
    assert entry.details["username"] == "reception.meixian"
    assert issued.token not in str(entry.details)
    assert verify_chain(session).ok


def test_a_revoked_token_stops_working_at_once(api, session, tokens, api_clock):
    token = tokens("reception")
    assert api.get("/petitions", headers={"Authorization": f"Bearer {token}"}).status == 200
    row = session.execute(select(ApiToken)).scalar_one()
    revoke_token(session, SYSTEM, api_clock.now, row.id)
    answer = api.get("/petitions", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 401
    assert "吊销" in answer.json["error"]["message"]
    assert session.execute(select(AuditEntry.action).where(
        AuditEntry.action == "api_token_revoked")).scalar_one()


def test_a_token_of_a_deactivated_user_is_refused(api, session, tokens):
    token = tokens("handler")
    user = session.execute(select(User).where(User.username == "handler.meixian")).scalar_one()
    user.active = False
    session.commit()
    try:
        answer = api.get("/petitions", headers={"Authorization": f"Bearer {token}"})
        assert answer.status == 401
    finally:
        user.active = True
        session.commit()


def test_using_a_token_stamps_its_last_use_at_most_once_a_minute(session, api_clock):
    issued = create_token(session, SYSTEM, api_clock.now, "reception.meixian")

    def stored():
        session.rollback()  # the stamp commits on a connection of its own
        return session.get(ApiToken, issued.id, populate_existing=True).last_used_at

    authenticate(session, issued.token, api_clock.now)
    first = stored()
    assert first == api_clock.now
    authenticate(session, issued.token, api_clock.now + timedelta(seconds=30))
    assert stored() == first
    authenticate(session, issued.token, api_clock.now + timedelta(minutes=2))
    assert stored() == api_clock.now + timedelta(minutes=2)


def test_only_an_administrator_or_the_system_may_issue_or_revoke_tokens(session, world, api_clock):
    with pytest.raises(PermissionDenied):
        create_token(session, world.actor("county_supervisor"), api_clock.now, "handler.meixian")
    issued = create_token(session, world.actor("admin"), api_clock.now, "handler.meixian")
    with pytest.raises(PermissionDenied):
        revoke_token(session, world.actor("reception"), api_clock.now, issued.id)


def test_a_token_for_an_unknown_user_or_an_unknown_token_id_is_refused(session, api_clock):
    with pytest.raises(NotFoundError):
        create_token(session, SYSTEM, api_clock.now, "nobody.meixian")
    with pytest.raises(NotFoundError):
        revoke_token(session, SYSTEM, api_clock.now, 999999)
    with pytest.raises(AuthenticationError):
        authenticate(session, "", api_clock.now)


@pytest.fixture
def cli_database(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("PETITION_FLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("PETITION_FLOW_INSTANCE", str(tmp_path))
    return database_url


def test_the_cli_prints_a_new_token_once_and_revokes_it_by_id(cli_database, api, Session):
    runner = CliRunner()
    created = runner.invoke(main, ["token", "create", "county_supervisor.meixian",
                                   "--name", "省信访信息系统"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("pf_")
    assert "只显示这一次" in created.stderr
    assert api.get("/stats", headers={"Authorization": f"Bearer {token}"}).status == 200

    listed = runner.invoke(main, ["token", "list"])
    assert "county_supervisor.meixian" in listed.output and token not in listed.output
    with Session() as session:
        token_id = session.execute(select(ApiToken.id)).scalar_one()
    revoked = runner.invoke(main, ["token", "revoke", str(token_id)])
    assert revoked.exit_code == 0 and "已吊销" in revoked.output
    assert api.get("/stats", headers={"Authorization": f"Bearer {token}"}).status == 401
    again = runner.invoke(main, ["token", "revoke", str(token_id)])
    assert again.exit_code == 1 and "已于此前吊销" in again.output


def test_the_cli_refuses_a_token_for_an_unknown_user_in_chinese(cli_database):
    result = CliRunner().invoke(main, ["token", "create", "nobody"])
    assert result.exit_code == 1
    assert "不存在" in result.output
