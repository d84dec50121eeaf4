"""Bearer tokens of the JSON API: create, revoke, authenticate.

A token belongs to a user and acts exactly as that user (role, unit, county scope).
Only its SHA-256 is stored; the token itself is returned once, at creation. Creating
and revoking are audited; a successful use stamps ``last_used_at`` (at most once a
minute, so reading the API does not turn every request into a write).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..db import WRITE_OPTION, busy_timeout_ms, write_transaction
from ..errors import AuthenticationError, NotFoundError, ValidationError
from ..models import ApiToken, User
from .actor import Actor, require_permission
from .audit import AuditBatch

PREFIX = "pf_"
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 128
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    id: int
    username: str
    name: str
    token: str  # shown once, never stored


def create_token(session: Session, actor: Actor, now: datetime, username: str,
                 name: str = "") -> IssuedToken:
    """Issue a new token for ``username``; the caller shows ``token`` once."""
    require_permission(actor, "administer")
    name = (name or "").strip() or "api"
    if len(name) > 64:
        raise ValidationError("令牌名称不能超过64个字符。", fields={"name": "令牌名称不能超过64个字符。"})
    with write_transaction(session):
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise NotFoundError(f"用户“{username}”不存在。")
        if not user.active:
            raise ValidationError(f"用户“{username}”已停用，不能签发令牌。",
                                  fields={"username": "用户已停用。"})
        token = PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        row = ApiToken(user_id=user.id, name=name, token_sha256=token_digest(token),
                       created_at=now)
        session.add(row)
        session.flush()
        audit = AuditBatch(actor, now)
        audit.add("api_token_created", token_id=row.id, user_id=user.id, username=username,
                  name=name)
        audit.flush(session)
    return IssuedToken(row.id, username, name, token)


def revoke_token(session: Session, actor: Actor, now: datetime, token_id: int) -> ApiToken:
    """Revoke a token at once; revoking twice is refused, so the audit log shows one revocation."""
    require_permission(actor, "administer")
    with write_transaction(session):
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFoundError(f"令牌 {token_id} 不存在。")
        if row.revoked_at is not None:
            raise ValidationError(f"令牌 {token_id} 已于此前吊销。", fields={"id": "令牌已吊销。"})
        row.revoked_at = now
        audit = AuditBatch(actor, now)
        audit.add("api_token_revoked", token_id=row.id, user_id=row.user_id,
                  username=row.user.username, name=row.name)
        audit.flush(session)
    return row


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.execute(select(ApiToken).order_by(ApiToken.id)).scalars())


def authenticate(session: Session, token: str | None, now: datetime) -> Actor:
    """The actor a bearer token stands for; AuthenticationError if it is missing or not valid."""
    if not token:
        raise AuthenticationError("缺少访问令牌：请在请求头中提供 Authorization: Bearer <令牌>。")
    if len(token) > MAX_TOKEN_LENGTH:
        raise AuthenticationError("访问令牌无效。")
    row = session.execute(
        select(ApiToken).where(ApiToken.token_sha256 == token_digest(token))
    ).scalar_one_or_none()
    if row is None:
        raise AuthenticationError("访问令牌无效。")
    if row.revoked_at is not None:
        raise AuthenticationError("访问令牌已被吊销。")
    if not row.user.active:
        raise AuthenticationError("令牌所属用户已停用。")
    actor = Actor.of(row.user)
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        if stamp_last_used(session, row.id, now):
            set_committed_value(row, "last_used_at", now)  # as stored; nothing left to flush
    return actor


def stamp_last_used(session: Session, token_id: int, now: datetime) -> bool:
    """Record that the token was used, at most once a minute, and never wait for it.

    The stamp goes through a connection of its own, outside the request's transaction, and
    gives up at once when the row or the database is locked (another request stamping the
    same token, a long writer holding SQLite): a read must not block, or fail, for
    bookkeeping. It takes no chain lock (db.py: it never audits). True if written."""
    stale = or_(ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at <= now - LAST_USED_RESOLUTION)
    engine = session.get_bind()
    sqlite = engine.dialect.name == "sqlite"
    target = select(ApiToken.id).where(ApiToken.id == token_id, stale)
    if not sqlite:
        target = target.with_for_update(skip_locked=True)
    stmt = update(ApiToken).where(ApiToken.id.in_(target.scalar_subquery())).values(
        last_used_at=now)
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            conn.commit()
        try:
            with conn.execution_options(**{WRITE_OPTION: True}).begin():
                return conn.execute(stmt).rowcount == 1
        except OperationalError:  # SQLite locked: skip; the next use stamps it
            return False
        finally:
            if sqlite:
                conn.rollback()
                conn.exec_driver_sql(f"PRAGMA busy_timeout={busy_timeout_ms(engine)}")
                conn.commit()
