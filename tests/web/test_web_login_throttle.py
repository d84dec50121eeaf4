"""Throttling instead of lockout-by-anyone: growing delays per source address and per
account-from-that-address; the owner still signs in from elsewhere; unknown and known names
answer alike; re-authentication failures count the same; every event is audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from petition_flow.models import AuditEntry, LoginThrottle
from petition_flow.services import accounts
from tests.web.conftest import text

START = datetime(2026, 10, 9, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.instant = START

    def __call__(self):
        return self.instant

    def advance(self, **delta):
        self.instant += timedelta(**delta)


def _entries(session, action):
    session.commit()
    return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)
                                .order_by(AuditEntry.seq)).scalars())


def test_twenty_failures_from_one_address_do_not_stop_the_owner_at_another(browser_at, session):
    attacker = browser_at("127.0.0.2")
    for _ in range(20):
        assert attacker.login("admin.baoji", "guess-Pass-1").status_code in (401, 429)
    assert attacker.login("admin.baoji").status_code == 429  # this address must wait
    owner = browser_at("127.0.0.3")
    assert owner.login("admin.baoji").status_code == 302
    assert owner.get("/admin/users").status_code == 200
    # every attempt is audited: counted failures, then refusals while the delay runs
    assert len(_entries(session, "login_failed")) + len(_entries(session, "login_throttled")) == 21


def test_delays_grow_after_the_free_failures_and_expire(app, browser_at):
    clock = Clock()
    app.config["PETITION_FLOW_CLOCK"] = clock
    b = browser_at("127.0.0.4")
    for _ in range(3):  # LOGIN_FREE_FAILURES_PER_ACCOUNT
        assert b.login("handler.meixian", "wrong-Pass-1").status_code == 401
    waits = []
    for _ in range(3):
        b.login("handler.meixian", "wrong-Pass-1")  # counted, then a delay starts
        refused = b.login("handler.meixian")
        assert refused.status_code == 429
        waits.append(int(re.search(r"请在(\d+)秒后再试", text(refused)).group(1)))
        clock.advance(seconds=waits[-1])
    assert waits == [2, 4, 8]
    assert b.login("handler.meixian").status_code == 302  # waited long enough


def test_another_account_from_the_same_address_is_slowed_only_by_the_address_count(browser_at):
    b = browser_at("127.0.0.5")
    for _ in range(5):
        b.login("handler.jintai", "wrong-Pass-1")
    assert b.login("handler.jintai").status_code == 429
    assert b.login("handler.longxian").status_code == 302  # 5 < 10 failures for the address


def _page(response) -> str:
    return re.sub(r'value="[^"]{40,}"', 'value="csrf"', text(response))  # the CSRF token


def test_an_unknown_and_a_known_account_answer_identically(browser_at, monkeypatch):
    calls = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda h, p: calls.append(h) or real(h, p))
    known = browser_at("127.0.0.6").login("handler.meixian", "wrong-Pass-1")
    unknown = browser_at("127.0.0.7").login("handler.nobody", "wrong-Pass-1")
    assert known.status_code == unknown.status_code == 401
    assert _page(known).replace("handler.meixian", "NAME") == \
        _page(unknown).replace("handler.nobody", "NAME")
    assert len(calls) == 2 and calls[1] == accounts._DUMMY_HASH  # the same hashing work
    for _ in range(4):  # and the same delays
        a = browser_at("127.0.0.6").login("handler.meixian", "wrong-Pass-1")
        b = browser_at("127.0.0.7").login("handler.nobody", "wrong-Pass-1")
    assert a.status_code == b.status_code == 429
    assert _page(a).replace("handler.meixian", "NAME") == \
        _page(b).replace("handler.nobody", "NAME")


def test_a_deactivated_account_says_so_only_to_whoever_knows_its_password(as_user, browser_at,
                                                                         session):
    from petition_flow.models import User

    user = session.execute(select(User).where(User.username == "handler.chencang")).scalar_one()
    session.commit()
    as_user("admin.baoji").post(f"/admin/users/{user.id}/deactivate", {"confirmed": "1"})
    wrong = browser_at("127.0.0.8").login("handler.chencang", "wrong-Pass-1")
    assert wrong.status_code == 401 and "用户名或密码错误" in text(wrong)
    right = browser_at("127.0.0.8").login("handler.chencang")
    assert right.status_code == 401 and "已停用" in text(right)


def test_wrong_current_passwords_at_the_password_change_are_counted_and_audited(as_user,
                                                                               session):
    b = as_user("reception.meixian")
    for _ in range(4):
        response = b.post("/account/password", {"old_password": "guess-Pass-1",
                                                "new_password": "Fresh-pass-7",
                                                "confirm": "Fresh-pass-7"})
    assert response.status_code == 429 or "原密码不正确" in text(response)
    response = b.post("/account/password", {"old_password": "test-password-1",
                                            "new_password": "Fresh-pass-7",
                                            "confirm": "Fresh-pass-7"})
    assert response.status_code == 429 and "登录失败次数过多" in text(response)
    failed = _entries(session, "reauth_failed")
    assert len(failed) == 4 and failed[0].actor_username == "reception.meixian"
    assert _entries(session, "reauth_throttled")


def test_sign_in_failure_logout_and_forced_logout_are_all_in_the_audit_log(as_user, browser_at,
                                                                          session):
    browser_at("127.0.0.9").login("handler.meixian", "wrong-Pass-1")
    b = as_user("handler.meixian")
    b.post("/logout")
    as_user("handler.meixian")
    from petition_flow.models import User

    uid = session.execute(select(User.id).where(User.username == "handler.meixian")).scalar_one()
    session.commit()
    as_user("admin.baoji").post(f"/admin/users/{uid}/sessions/end")
    session.commit()
    actions = [e.action for e in session.execute(select(AuditEntry).order_by(AuditEntry.seq))
               .scalars()]
    for action in ("login_failed", "login", "logout", "forced_logout"):
        assert action in actions, action
    failed = _entries(session, "login_failed")[0]
    assert failed.details["remote_addr"] == "127.0.0.9"
    assert failed.actor_role in ("handler", "unauthenticated")


def test_a_successful_sign_in_forgets_that_accounts_failures_from_that_address(browser_at,
                                                                               session):
    b = browser_at("127.0.0.10")
    for _ in range(2):
        b.login("handler.meixian", "wrong-Pass-1")
    assert b.login("handler.meixian").status_code == 302
    session.commit()
    keys = set(session.execute(select(LoginThrottle.key)).scalars())
    assert keys == {"addr:127.0.0.10"}
