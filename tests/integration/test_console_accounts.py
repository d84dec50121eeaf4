"""Accounts at the server's console: `petition-flow user create` prints a one-time password
that must be changed at the first sign-in, `reset-password` gives a new one, `unlock` lifts the
sign-in delays of a locked-out (sole) administrator, `list` shows every account; each is
audited as the console operator with the operating system's user name."""

from __future__ import annotations

import getpass

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from werkzeug.security import check_password_hash

from petition_flow import clock
from petition_flow.cli import main
from petition_flow.models import AuditEntry, LoginThrottle, User
from petition_flow.services import accounts
from petition_flow.services.accounts import LoginError, LoginThrottled, one_time_password
from petition_flow.services.passwords import policy_errors
from petition_flow.services.security import Client, PasswordPolicy
from tests.conftest import PASSWORD


def _cli(database_url, *args):
    return CliRunner().invoke(main, list(args), env={"PETITION_FLOW_DATABASE_URL": database_url})


def _password(output: str) -> str:
    lines = output.splitlines()
    return lines[lines.index(next(x for x in lines if x.startswith("一次性密码"))) + 1]


def _user(session, name) -> User:
    session.expire_all()
    return session.execute(select(User).where(User.username == name)).scalar_one()


def _last_audit(session) -> AuditEntry:
    entry = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)) \
        .scalar_one()
    session.commit()
    return entry


OPERATOR = f"控制台操作员（{getpass.getuser()}）"


def test_user_create_prints_a_one_time_password_that_must_be_changed(session, database_url):
    session.commit()
    result = _cli(database_url, "user", "create", "firstadmin", "--role", "admin",
                  "--unit", "baoji.bureau", "--name", "第一管理员")
    assert result.exit_code == 0, result.output
    assert "已新建用户 firstadmin（系统管理员，宝鸡市信访局）" in result.output
    password = _password(result.output)
    assert not policy_errors(PasswordPolicy(), password, "password") and len(password) >= 16
    user = _user(session, "firstadmin")
    assert check_password_hash(user.password_hash, password) and user.must_change_password
    entry = _last_audit(session)
    assert (entry.action, entry.actor_username) == ("user_created", OPERATOR)
    signed = accounts.sign_in(session, "firstadmin", password, clock.now(), Client("10.0.0.9"))
    assert signed.change_reason  # the first sign-in leads to the password change first


def test_the_one_time_password_is_forced_to_change_even_when_initial_ones_are_not(
        session, database_url, monkeypatch):
    session.commit()
    monkeypatch.setenv("PETITION_FLOW_PASSWORD_CHANGE_INITIAL", "0")
    result = _cli(database_url, "user", "create", "other", "--role", "auditor",
                  "--unit", "baoji.bureau")
    assert result.exit_code == 0, result.output
    assert _user(session, "other").must_change_password


def test_user_create_names_an_unknown_unit_or_role_in_chinese(session, database_url):
    session.commit()
    result = _cli(database_url, "user", "create", "x1", "--role", "admin", "--unit", "nowhere")
    assert result.exit_code == 1 and "单位“nowhere”不存在" in result.output
    result = _cli(database_url, "user", "create", "x1", "--role", "boss", "--unit",
                  "baoji.bureau")
    assert result.exit_code == 1 and "角色无效" in result.output
    assert "一次性密码" not in result.output


def test_reset_password_gives_a_new_one_time_password_and_ends_the_sessions(session,
                                                                            database_url):
    now = clock.now()
    accounts.sign_in(session, "admin.baoji", PASSWORD, now, Client("10.0.0.1"))
    session.commit()
    result = _cli(database_url, "user", "reset-password", "admin.baoji")
    assert result.exit_code == 0, result.output
    password = _password(result.output)
    user = _user(session, "admin.baoji")
    assert check_password_hash(user.password_hash, password) and user.must_change_password
    assert accounts.own_sessions(session, accounts.Actor.of(user)) == []
    entry = _last_audit(session)
    assert (entry.action, entry.actor_username) == ("password_reset", OPERATOR)
    with pytest.raises(LoginError):
        accounts.sign_in(session, "admin.baoji", PASSWORD, now, Client("10.0.0.1"))
    assert accounts.sign_in(session, "admin.baoji", password, now, Client("10.0.0.1")).change_reason


def test_reset_password_of_an_unknown_user_is_a_chinese_error(session, database_url):
    session.commit()
    result = _cli(database_url, "user", "reset-password", "nobody")
    assert result.exit_code == 1 and "用户“nobody”不存在" in result.output
    assert "一次性密码" not in result.output


def test_unlock_lets_a_locked_out_sole_administrator_sign_in_again(session, database_url):
    now, client = clock.now(), Client("10.0.0.7")
    for _ in range(6):
        with pytest.raises(LoginError):
            accounts.sign_in(session, "admin.baoji", "wrong-guess", now, client)
    with pytest.raises(LoginThrottled):
        accounts.sign_in(session, "admin.baoji", PASSWORD, now, client)
    session.commit()
    listed = _cli(database_url, "user", "list")
    assert listed.exit_code == 0
    line = next(x for x in listed.output.splitlines() if x.startswith("admin.baoji\t"))
    assert "系统管理员" in line and "登录受限" in line
    result = _cli(database_url, "user", "unlock", "admin.baoji")
    assert result.exit_code == 0, result.output
    assert "已解除用户 admin.baoji 的登录限制（清除 2 条限制记录）" in result.output
    assert session.execute(select(LoginThrottle)).scalars().all() == []
    entry = _last_audit(session)
    assert (entry.action, entry.actor_username) == ("user_unlocked", OPERATOR)
    assert accounts.sign_in(session, "admin.baoji", PASSWORD, now, client).user.username \
        == "admin.baoji"


def test_unlock_reactivates_a_deactivated_account_only_when_asked(session, database_url):
    user = _user(session, "auditor.baoji")
    user.active = False
    session.commit()
    result = _cli(database_url, "user", "unlock", "auditor.baoji")
    assert result.exit_code == 0 and "已停用" in result.output
    assert not _user(session, "auditor.baoji").active
    session.commit()
    result = _cli(database_url, "user", "unlock", "auditor.baoji", "--activate")
    assert result.exit_code == 0 and "账号已重新启用" in result.output
    assert _user(session, "auditor.baoji").active
    entry = _last_audit(session)
    assert entry.details["activated"] is True


def test_user_list_shows_every_account_and_is_audited(session, database_url):
    session.commit()
    result = _cli(database_url, "user", "list")
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.output.splitlines()]
    names = {row[0] for row in rows}
    assert {"admin.baoji", "auditor.baoji", "handler.meixian"} <= names
    handler = next(r for r in rows if r[0] == "handler.meixian")
    assert handler[2] == "承办人" and "meixian.hrss" in handler[3] and handler[4] == "启用"
    entry = _last_audit(session)
    assert (entry.action, entry.actor_username) == ("users_listed", OPERATOR)


def test_the_generated_password_meets_a_stricter_policy():
    policy = PasswordPolicy(min_length=24, min_classes=4)
    for _ in range(20):
        password = one_time_password(policy)
        assert len(password) == 24 and not policy_errors(policy, password, "password")
