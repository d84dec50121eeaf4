"""The password policy, enforced by the services the pages and the command line share:
length and classes, no reuse of the last N, forced change of initial and reset passwords,
optional expiry; demo accounts keep their printed password and are flagged demo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from werkzeug.security import check_password_hash

from petition_flow.cli import main
from petition_flow.errors import ValidationError
from petition_flow.models import User
from petition_flow.services import accounts
from petition_flow.services.passwords import change_required, classes, policy_errors
from petition_flow.services.security import PasswordPolicy
from tests.conftest import PASSWORD

NOW = datetime(2026, 10, 9, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("password, problem", [
    ("Ab1-xyz", "至少8位"), ("alllowercase", "至少3类"), ("lower-and-dash", "至少3类"),
    ("UPPER123456", "至少3类"), ("Tab\tinside1", "控制字符")])
def test_passwords_that_break_the_policy_are_refused_with_the_reason(password, problem):
    errors = policy_errors(PasswordPolicy(), password, "password")
    assert problem in errors["password"]


def test_the_policy_counts_four_classes_and_its_numbers_are_settings():
    assert classes("aA1-") == 4 and classes("abc") == 1
    strict = PasswordPolicy.of({"PASSWORD_MIN_LENGTH": 12, "PASSWORD_MIN_CLASSES": 4})
    assert policy_errors(strict, "Abcdefgh-12", "p")  # 11 characters
    assert not policy_errors(strict, "Abcdefgh-123", "p")
    assert "12位" in strict.describe()


def _user(session, name):
    return session.execute(select(User).where(User.username == name)).scalar_one()


def test_none_of_the_last_five_passwords_may_be_chosen_again(session, world):
    actor = world.actor("handler")
    chain = [PASSWORD, "Second-pass-2", "Third-pass-3", "Fourth-pass-4", "Fifth-pass-5",
             "Sixth-pass-6"]
    for old, new in zip(chain, chain[1:], strict=False):
        accounts.change_password(session, actor, NOW, old, new, new)
    for reused in chain[1:]:  # the current one and the four before it
        with pytest.raises(ValidationError) as refused:
            accounts.change_password(session, actor, NOW, chain[-1], reused, reused)
        assert "最近5次" in refused.value.fields["new_password"]
    # PASSWORD is the sixth from the end: it may come back
    accounts.change_password(session, actor, NOW, chain[-1], PASSWORD, PASSWORD)


def test_a_new_account_and_a_reset_password_must_be_changed_at_first_sign_in(session, world):
    admin = world.actor("admin")
    user = accounts.add_user(session, admin, NOW, username="li", display_name="李",
                             password="Initial-pass-1", unit_id=world.unit("meixian.hrss"),
                             role="handler")
    assert change_required(user, PasswordPolicy(), NOW)
    signed = accounts.sign_in(session, "li", "Initial-pass-1", NOW,
                              accounts.Client("127.0.0.1"))
    assert signed.change_reason and "修改密码" in signed.change_reason
    accounts.change_password(session, accounts.Actor.of(user), NOW, "Initial-pass-1",
                             "Own-choice-2", "Own-choice-2")
    assert change_required(session.get(User, user.id), PasswordPolicy(), NOW) is None
    accounts.reset_password(session, admin, NOW, user.id, "Reset-pass-3")
    assert change_required(session.get(User, user.id), PasswordPolicy(), NOW)


def test_passwords_expire_only_when_a_maximum_age_is_configured(session, world):
    user = _user(session, "handler.meixian")
    user.password_changed_at = NOW - timedelta(days=100)
    session.commit()
    assert change_required(user, PasswordPolicy(), NOW) is None
    reason = change_required(user, PasswordPolicy(max_age_days=90), NOW)
    assert reason and "90天" in reason


def _cli(database_url, *args, input=None):
    return CliRunner().invoke(main, list(args), input=input,
                              env={"PETITION_FLOW_DATABASE_URL": database_url})


def test_the_command_line_refuses_a_weak_password_and_accepts_a_good_one(session, database_url):
    session.commit()
    weak = _cli(database_url, "user", "password", "reception.jintai", "--password", "weakpass")
    assert weak.exit_code == 1 and "至少3类" in weak.output
    assert check_password_hash(_user(session, "reception.jintai").password_hash, PASSWORD)
    session.commit()
    good = _cli(database_url, "user", "password", "reception.jintai", "--password",
                "Strong-pass-9")
    assert good.exit_code == 0, good.output
    session.expire_all()
    user = _user(session, "reception.jintai")
    assert check_password_hash(user.password_hash, "Strong-pass-9")
    assert user.must_change_password
    session.commit()


def test_the_command_line_creates_an_auditor_under_the_same_policy(session, database_url):
    session.commit()
    result = _cli(database_url, "user", "create", "sec", "--role", "auditor", "--unit",
                  "baoji.bureau", "--name", "审计员", "--prompt-password",
                  input="short\nshort\n")
    assert result.exit_code == 1 and "至少8位" in result.output
    result = _cli(database_url, "user", "create", "sec", "--role", "auditor", "--unit",
                  "baoji.bureau", "--prompt-password", input="Audit-pass-1\nAudit-pass-1\n")
    assert result.exit_code == 0, result.output
    assert "首次登录时须修改密码" in result.output
    session.expire_all()
    assert _user(session, "sec").role == "auditor"
    session.commit()


def test_an_unknown_user_at_the_command_line_is_a_chinese_error(session, database_url):
    session.commit()
    result = _cli(database_url, "user", "password", "nobody", "--password", "Strong-pass-9")
    assert result.exit_code == 1 and "不存在" in result.output
