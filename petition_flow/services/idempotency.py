"""Idempotent writes: a retried API call or a re-submitted page form is applied once.

An API client sends ``Idempotency-Key: <its own unique string>`` with ``POST /petitions`` or
``POST /petitions/{id}/events``; a page form carries a one-time token. The change, the answer
built from it and the key are written in ONE transaction (``answer_once``), so after any
failure either all three are stored or none is:

- the same key again (a retry after a timeout, a lost answer, a 503) gets the first answer
  back, marked as a replay, and changes nothing;
- the same key with a different request is refused (422): a key names one request;
- an attempt that failed (a refusal, a rollback) stores nothing, so it may be retried with
  the same key.

Keys are kept 24 hours per user, then purged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..db import retry_conflicts, write_transaction
from ..errors import ValidationError
from ..models import IdempotencyKey
from .actor import Actor

TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 200
HEADER = "Idempotency-Key"

Work = Callable[[], tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool = False


def fingerprint(method: str, path: str, body: Any) -> str:
    """What makes two requests "the same": method, path and the JSON body (key order aside)."""
    text = json.dumps([method.upper(), path, body], sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        message = f"{HEADER} 须为1至{MAX_KEY_LENGTH}个可打印的ASCII字符。"
        raise ValidationError(message, fields={HEADER: message})
    return key


@retry_conflicts
def answer_once(session: Session, actor: Actor, now: datetime, work: Work, *,
                key: str | None = None, request_fingerprint: str = "") -> Answer:
    """Run ``work`` (a use case and the answer built from its result) in one write
    transaction; with a key, store the answer with it, or return the stored one."""
    key = check_key(key)
    with write_transaction(session):
        if key is not None:
            stored = session.execute(
                select(IdempotencyKey).where(IdempotencyKey.user_id == actor.user_id,
                                             IdempotencyKey.key == key)
            ).scalar_one_or_none()
            if stored is not None and stored.expires_at > now:
                if stored.fingerprint != request_fingerprint:
                    message = f"该 {HEADER} 已用于另一个内容不同的请求；新的请求请使用新的键。"
                    raise ValidationError(message, fields={HEADER: message})
                return Answer(stored.status, stored.response, replayed=True)
            if stored is not None:
                session.delete(stored)
                session.flush()
        status, body = work()
        if key is not None:
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
            session.add(IdempotencyKey(
                user_id=actor.user_id, key=key, fingerprint=request_fingerprint, status=status,
                response=json.loads(json.dumps(body, ensure_ascii=False, default=str)),
                created_at=now, expires_at=now + TTL))
    return Answer(status, body)
