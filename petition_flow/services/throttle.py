"""Throttling of the public pages (信访人查询、网上信访), behind one interface.

等保 level 3 (身份鉴别) asks that failed attempts be limited, delayed or locked. A query code
is 8 characters of 32 (40 bits): without a limit a script could try codes of a known case
number, or one code against many numbers. Failures are counted per key — a source address,
a case number, a submitting address — in the database, so that every web process shares
the count. A key may fail ``free`` times; after that each failure makes the key wait
``base`` seconds, doubled per further failure, at most ``cap`` seconds. A key untouched
for ``forget`` is forgotten.

The sign-in throttle of the staff pages may replace ``DatabaseThrottle``: the pages only
use ``Throttle`` (``wait``, ``hit``, ``clear``) and ``public_throttle()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import PublicThrottle
from .dbutil import insert_ignore


@dataclass(frozen=True)
class Policy:
    free: int
    base: int  # seconds
    cap: int  # seconds
    forget: timedelta = timedelta(hours=24)

    def delay(self, failures: int) -> int:
        if failures <= self.free:
            return 0
        return min(self.base * 2 ** min(failures - self.free - 1, 20), self.cap)


# An address is slowed early; a case number only under a spread-out attack, so that
# guessing from one address never locks out the petitioner who holds the right code.
POLICIES = {
    "query-address": Policy(free=5, base=30, cap=3600),
    "query-case": Policy(free=30, base=60, cap=3600),
    "submit-address": Policy(free=4, base=600, cap=6 * 3600),  # five, then 10 min, 20…
    "action-address": Policy(free=10, base=60, cap=3600),
}


class Throttle(Protocol):
    def wait(self, session: Session, keys: list[tuple[str, str]], now: datetime) -> int:
        """Seconds until every key may try again (0: now)."""

    def hit(self, session: Session, keys: list[tuple[str, str]], now: datetime) -> None:
        """Count one failure (or one use, for a use-limited key) against every key."""

    def clear(self, session: Session, keys: list[tuple[str, str]]) -> None:
        """Forget the keys (the right code was given for this case number)."""


def _key(kind: str, value: str) -> str:
    return f"{kind}:{value}"[:128]


class DatabaseThrottle:
    """Counts in ``public_throttles``; call inside the use case's write transaction."""

    def __init__(self, policies: dict[str, Policy] | None = None):
        self.policies = policies or POLICIES

    def wait(self, session: Session, keys: list[tuple[str, str]], now: datetime) -> int:
        names = [_key(kind, value) for kind, value in keys]
        rows = session.execute(select(PublicThrottle).where(PublicThrottle.key.in_(names)))
        longest = 0
        for row in rows.scalars():
            if row.blocked_until is not None and row.blocked_until > now:
                longest = max(longest, int((row.blocked_until - now).total_seconds()) + 1)
        return longest

    def hit(self, session: Session, keys: list[tuple[str, str]], now: datetime) -> None:
        for kind, value in keys:
            policy = self.policies[kind]
            name = _key(kind, value)
            insert_ignore(session, PublicThrottle, dict(key=name, failures=0,
                                                        last_failure_at=now,
                                                        blocked_until=None))
            row = session.execute(select(PublicThrottle).where(PublicThrottle.key == name)
                                  .with_for_update()).scalar_one()
            session.refresh(row)
            if now - row.last_failure_at > policy.forget:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            delay = policy.delay(row.failures)
            row.blocked_until = now + timedelta(seconds=delay) if delay else None

    def clear(self, session: Session, keys: list[tuple[str, str]]) -> None:
        names = [_key(kind, value) for kind, value in keys]
        session.execute(delete(PublicThrottle).where(PublicThrottle.key.in_(names)))


_DEFAULT = DatabaseThrottle()


def public_throttle() -> Throttle:
    """The throttle the public pages use (one place to swap in a shared mechanism)."""
    return _DEFAULT


def wait_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return f"尝试次数过多，请{minutes}分钟后再试。"
