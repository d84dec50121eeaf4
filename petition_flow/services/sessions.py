"""Server-side sessions (会话) and sign-in throttling.

A session is a row; the browser holds a random token whose SHA-256 names the row. Logout,
a password change, deactivation and an administrator's 强制下线 delete rows, so a copied
cookie stops working at once. A session ends after ``idle`` without a request and, however
busy, ``absolute`` after sign-in (等级保护 level 3: 登录连接超时自动退出).

Failed sign-ins are counted per source address and per account-from-that-address, with
delays that double after a few free failures. Nothing is counted per account alone: that
would let anyone who knows a user name lock its owner out from every computer.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import LoginThrottle, User, UserSession
from .security import Client, SessionLimits, ThrottlePolicy

TOUCH_EVERY = timedelta(seconds=60)  # last_seen is written at most once a minute


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: User, now: datetime, client: Client) -> str:
    """Add a session row for ``user`` (the caller's transaction); returns the new token."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_sha256=digest(token), user_id=user.id, created_at=now,
                            last_seen_at=now, remote_addr=client.remote_addr,
                            user_agent=client.user_agent))
    return token


def close_sessions(session: Session, user_id: int) -> int:
    """Delete every session of a user (the caller's transaction); returns how many."""
    result = session.execute(delete(UserSession).where(UserSession.user_id == user_id))
    return result.rowcount or 0


@dataclass(frozen=True)
class Resumed:
    user: User | None
    row: UserSession | None
    ended: str | None = None  # "idle" | "absolute" | "inactive" | None (no such session)


def find_session(session: Session, token: str) -> UserSession | None:
    if not token or len(token) > 128:
        return None
    return session.execute(select(UserSession).where(UserSession.token_sha256 == digest(token))) \
        .scalar_one_or_none()


def expiry(row: UserSession, now: datetime, limits: SessionLimits) -> str | None:
    if now - row.last_seen_at > limits.idle:
        return "idle"
    if now - row.created_at > limits.absolute:
        return "absolute"
    return None


def session_stale(row: UserSession, now: datetime) -> bool:
    return now - row.last_seen_at >= TOUCH_EVERY


# --- throttling --------------------------------------------------------------------------

def throttle_keys(username: str, client: Client) -> tuple[str, str]:
    """(address key, account-from-address key)."""
    return f"addr:{client.remote_addr}", f"name:{username[:64]}@{client.remote_addr}"


def wait_left(session: Session, keys: tuple[str, str], now: datetime) -> int:
    """Seconds before another attempt from these keys is heard (0: go ahead)."""
    rows = session.execute(select(LoginThrottle).where(LoginThrottle.key.in_(keys))).scalars()
    left = max((r.blocked_until - now for r in rows if r.blocked_until is not None),
               default=timedelta(0))
    return max(0, int(left.total_seconds() + 0.999))


def count_failure(session: Session, keys: tuple[str, str], now: datetime,
                  policy: ThrottlePolicy) -> None:
    """One more failure for each key; set its next allowed instant (caller's transaction)."""
    frees = {keys[0]: policy.free_per_address, keys[1]: policy.free_per_account}
    for key in keys:
        row = session.get(LoginThrottle, key, with_for_update=True)
        if row is None:
            row = LoginThrottle(key=key, failures=0, last_failure_at=now)
            session.add(row)
        elif now - row.last_failure_at > policy.window:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        pause = policy.delay(row.failures, frees[key])
        row.blocked_until = now + pause if pause else None


def clear_account(session: Session, username: str, client: Client | None = None) -> None:
    """Forget an account's failures (from one address, or from all after a reset)."""
    if client is not None:
        stmt = delete(LoginThrottle).where(LoginThrottle.key == throttle_keys(username, client)[1])
    else:
        stmt = delete(LoginThrottle).where(LoginThrottle.key.like(f"name:{_like(username)}@%",
                                                                  escape="\\"))
    session.execute(stmt)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
