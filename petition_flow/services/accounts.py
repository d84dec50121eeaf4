"""Accounts: signing in with a lockout, changing and resetting passwords, users and units.

Passwords are Werkzeug hashes (scrypt by default: memory-hard and salted). After
``MAX_FAILED_LOGINS`` wrong passwords in a row an account is locked for
``LOCK_MINUTES``; an administrator's password reset lifts the lock. Every change
is audited in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import CHINA_TZ
from ..db import begin_write
from ..errors import NotFoundError, PermissionDenied, ValidationError
from ..models import Region, Unit, User
from .actor import Actor, require_permission
from .audit import AuditBatch
from .org import create_user

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 8
# Compared against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class LoginError(PermissionDenied):
    """Wrong name or password, a locked or a deactivated account (message says which)."""


def _commit(session: Session, audit: AuditBatch) -> None:
    try:
        audit.flush(session)
        session.commit()
    except Exception:
        session.rollback()
        raise


def authenticate(session: Session, username: str, password: str, now: datetime) -> User:
    """The user, if the password is right and the account usable; counts failures and locks."""
    begin_write(session)
    user = session.execute(select(User).where(User.username == username.strip())) \
        .scalar_one_or_none()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise LoginError("用户名或密码错误。")
    audit = AuditBatch(Actor.of(user), now)  # sign-in events are the user's own
    if not user.active:
        raise LoginError("该账号已停用，请联系系统管理员。")
    if user.locked_until is not None and user.locked_until > now:
        until = user.locked_until.astimezone(CHINA_TZ).strftime("%H:%M")
        raise LoginError(f"连续登录失败次数过多，账号已锁定至 {until}，请稍后再试或联系系统管理员。")
    if not check_password_hash(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        message = "用户名或密码错误。"
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            audit.add("account_locked", username=user.username, minutes=LOCK_MINUTES)
            message = f"连续{MAX_FAILED_LOGINS}次密码错误，账号已锁定{LOCK_MINUTES}分钟。"
        else:
            audit.add("login_failed", username=user.username, failed_logins=user.failed_logins)
        _commit(session, audit)
        raise LoginError(message)
    user.failed_logins, user.locked_until = 0, None
    audit.add("login", username=user.username)
    _commit(session, audit)
    return user


def _password_errors(password: str, field: str) -> dict[str, str]:
    if len(password) < MIN_PASSWORD:
        return {field: f"密码至少{MIN_PASSWORD}位。"}
    if password.isdigit() or password.isalpha():
        return {field: "密码须同时包含字母和数字。"}
    return {}


def change_password(session: Session, actor: Actor, now: datetime, old: str, new: str,
                    confirm: str) -> User:
    """A user changes their own password (the old one is required)."""
    begin_write(session)
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFoundError("用户不存在。")
    errors = {}
    if not check_password_hash(user.password_hash, old):
        errors["old_password"] = "原密码不正确。"
    errors.update(_password_errors(new, "new_password"))
    if new != confirm:
        errors["confirm"] = "两次输入的新密码不一致。"
    elif not errors and new == old:
        errors["new_password"] = "新密码不能与原密码相同。"
    if errors:
        raise ValidationError("密码未修改，请检查标出的字段。", fields=errors)
    user.password_hash = generate_password_hash(new)
    audit = AuditBatch(actor, now)
    audit.add("password_changed", username=user.username)
    _commit(session, audit)
    return user


def add_user(session: Session, actor: Actor, now: datetime, *, username: str,
             display_name: str, password: str, unit_id: int, role: str) -> User:
    """An administrator creates an account (one transaction)."""
    begin_write(session)
    require_permission(actor, "administer")
    errors = _password_errors(password, "password")
    audit = AuditBatch(actor, now)
    try:
        user = create_user(session, actor, now, username=username.strip(),
                           display_name=display_name.strip(), password=password,
                           unit_id=unit_id, role=role, audit=audit)
    except ValidationError as exc:
        session.rollback()
        raise ValidationError(exc.message, fields={**errors, **exc.fields}) from None
    if errors:
        session.rollback()
        raise ValidationError("用户信息有误。", fields=errors)
    _commit(session, audit)
    return user


def _user_for_admin(session: Session, actor: Actor, user_id: int) -> User:
    require_permission(actor, "administer")
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("用户不存在。")
    return user


def set_user_active(session: Session, actor: Actor, now: datetime, user_id: int,
                    active: bool) -> User:
    """Deactivate (or reactivate) an account; nobody may deactivate themselves."""
    begin_write(session)
    user = _user_for_admin(session, actor, user_id)
    if user.id == actor.user_id and not active:
        raise ValidationError("不能停用自己的账号。", fields={"user": "不能停用自己的账号。"})
    user.active = active
    audit = AuditBatch(actor, now)
    audit.add("user_activated" if active else "user_deactivated", username=user.username)
    _commit(session, audit)
    return user


def reset_password(session: Session, actor: Actor, now: datetime, user_id: int,
                   password: str) -> User:
    """Set a new password chosen by the administrator and lift any lock."""
    begin_write(session)
    user = _user_for_admin(session, actor, user_id)
    errors = _password_errors(password, "password")
    if errors:
        raise ValidationError("密码未重置。", fields=errors)
    user.password_hash = generate_password_hash(password)
    user.failed_logins, user.locked_until = 0, None
    audit = AuditBatch(actor, now)
    audit.add("password_reset", username=user.username)
    _commit(session, audit)
    return user


UNIT_KINDS = {
    "bureau": "信访局", "politico_legal": "政法委", "court": "人民法院",
    "procuratorate": "人民检察院", "police": "公安机关", "discipline": "纪检监察机关",
    "hrss": "人力资源和社会保障部门", "housing": "住房和城乡建设部门",
    "natural_resources": "自然资源部门", "justice": "司法行政部门", "township": "乡镇（街道）",
    "xinlianban": "信联办", "other": "其他单位",
}


def add_unit(session: Session, actor: Actor, now: datetime, *, code: str, name: str,
             kind: str, region_id: int) -> Unit:
    """An administrator adds a unit to a county or the city (one transaction)."""
    begin_write(session)
    require_permission(actor, "administer")
    code, name = code.strip(), name.strip()
    errors = {}
    region = session.get(Region, region_id)
    if region is None:
        errors["region_id"] = "请选择所属地区。"
    if not code or len(code) > 64:
        errors["code"] = "单位代码不能为空，且不超过64个字符。"
    elif session.execute(select(Unit.id).where(Unit.code == code)).first():
        errors["code"] = "该单位代码已存在。"
    if not name or len(name) > 128:
        errors["name"] = "单位名称不能为空，且不超过128字。"
    if kind not in UNIT_KINDS:
        errors["kind"] = "请选择单位类型。"
    if errors:
        raise ValidationError("单位信息有误。", fields=errors)
    unit = Unit(code=code, name=name, kind=kind, region_id=region_id, active=True)
    session.add(unit)
    audit = AuditBatch(actor, now)
    session.flush()
    audit.add("unit_created", unit_id=unit.id, code=code, name=name, region=region.code)
    _commit(session, audit)
    return unit


def set_unit_active(session: Session, actor: Actor, now: datetime, unit_id: int,
                    active: bool) -> Unit:
    """Deactivate (or reactivate) a unit; its history stays."""
    begin_write(session)
    require_permission(actor, "administer")
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFoundError("单位不存在。")
    unit.active = active
    audit = AuditBatch(actor, now)
    audit.add("unit_activated" if active else "unit_deactivated", unit_id=unit.id,
              code=unit.code)
    _commit(session, audit)
    return unit


@dataclass(frozen=True)
class Directory:
    users: list[User]
    units: list[Unit]
    regions: list[Region]


def directory(session: Session, actor: Actor) -> Directory:
    """Everything the administration pages list."""
    require_permission(actor, "administer")
    regions = list(session.execute(select(Region).order_by(Region.division_code)).scalars())
    units = list(session.execute(select(Unit).join(Region).order_by(Region.division_code,
                                                                    Unit.code)).scalars())
    users = list(session.execute(select(User).order_by(User.username)).scalars())
    return Directory(users, units, regions)
