"""The password policy (等级保护 身份鉴别, GB/T 22239-2019 8.1.4.1): length and character
classes, no reuse of the last few, change of initial or reset passwords at the first sign-in,
optional expiry. The same checks serve the pages and the command line."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import PasswordHistory, User
from .security import PasswordPolicy

MAX_PASSWORD = 128  # longer inputs are refused before hashing (no work for megabyte passwords)


def classes(password: str) -> int:
    kinds = (str.islower, str.isupper, str.isdigit)
    found = {i for ch in password for i, test in enumerate(kinds) if test(ch)}
    if any(not (ch.islower() or ch.isupper() or ch.isdigit()) for ch in password):
        found.add(3)
    return len(found)


def policy_errors(policy: PasswordPolicy, password: str, field: str) -> dict[str, str]:
    """Field errors for a password that breaks the policy (empty if it is acceptable)."""
    if len(password) < policy.min_length:
        return {field: f"密码至少{policy.min_length}位。"}
    if len(password) > MAX_PASSWORD:
        return {field: f"密码不能超过{MAX_PASSWORD}位。"}
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        return {field: "密码不能包含控制字符。"}
    if classes(password) < policy.min_classes:
        return {field: "密码须包含小写字母、大写字母、数字、其他符号中的"
                       f"至少{policy.min_classes}类。"}
    return {}


def recently_used(session: Session, user: User, password: str, policy: PasswordPolicy) -> bool:
    """Whether ``password`` is one of the last ``policy.history`` (the current one included)."""
    if check_password_hash(user.password_hash, password):
        return True
    if policy.history <= 1:
        return False
    earlier = session.execute(select(PasswordHistory.password_hash)
                              .where(PasswordHistory.user_id == user.id)
                              .order_by(PasswordHistory.id.desc())
                              .limit(policy.history - 1)).scalars()
    return any(check_password_hash(h, password) for h in earlier)


def set_password(session: Session, user: User, password: str, now: datetime,
                 policy: PasswordPolicy, *, must_change: bool) -> None:
    """Store a new hash, keep the old one in the history (trimmed to the policy's length)."""
    if user.id is not None and user.password_hash:
        session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash,
                                    created_at=now))
        session.flush()
        keep = select(PasswordHistory.id).where(PasswordHistory.user_id == user.id) \
            .order_by(PasswordHistory.id.desc()).limit(max(policy.history, 0))
        session.execute(delete(PasswordHistory).where(PasswordHistory.user_id == user.id,
                                                      PasswordHistory.id.not_in(keep)))
    user.password_hash = generate_password_hash(password)
    user.password_changed_at = now
    user.must_change_password = must_change and policy.change_initial


def change_required(user: User, policy: PasswordPolicy, now: datetime) -> str | None:
    """Why the user must choose a new password before anything else, or None."""
    if user.must_change_password:
        return "首次登录或密码被重置后，须先修改密码。"
    if policy.max_age_days > 0:
        since = user.password_changed_at or user.created_at
        if since is not None and now - since > timedelta(days=policy.max_age_days):
            return f"密码已使用超过{policy.max_age_days}天，请修改密码。"
    return None
