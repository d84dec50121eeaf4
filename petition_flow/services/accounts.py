"""Accounts: signing in and out, sessions, passwords, users and units.

Passwords are Werkzeug hashes (scrypt by default: memory-hard and salted). Wrong passwords
are throttled per source address (services/sessions.py), never by locking the account for
everyone; an unknown name costs the same work and gets the same answer as a wrong password.
Every sign-in, failure, logout and forced logout is audited in the same transaction
(等级保护 安全审计).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import write_transaction
from ..domain.roles import SIGNED_OUT_ROLE, SYSTEM_ROLE
from ..errors import NotFoundError, PermissionDenied, ValidationError
from ..models import Region, Unit, User, UserSession
from . import sessions as sess
from .actor import Actor, require_permission
from .audit import AuditBatch
from .org import create_user
from .orgfile import UNIT_KINDS
from .passwords import change_required, policy_errors, recently_used, set_password
from .security import Client, PasswordPolicy, SessionLimits, ThrottlePolicy

MAX_TYPED_PASSWORD = 1024  # anything longer is wrong without being hashed at length
# Checked when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
WRONG = "用户名或密码错误。"
DEFAULT_THROTTLE, DEFAULT_POLICY, DEFAULT_LIMITS = ThrottlePolicy(), PasswordPolicy(), SessionLimits()
UNKNOWN_CLIENT = Client("unknown")


class LoginError(PermissionDenied):
    """Wrong name or password, or a deactivated account (message says which)."""


class LoginThrottled(LoginError):
    """Too many failures from this address (or for this name from it): wait ``wait`` s."""

    def __init__(self, wait: int):
        super().__init__(f"登录失败次数过多，请在{_duration(wait)}后再试。")
        self.wait = wait


def _duration(seconds: int) -> str:
    return f"{seconds}秒" if seconds < 120 else f"{(seconds + 59) // 60}分钟"


def _anonymous(username: str) -> Actor:
    return Actor(None, username[:64] or "-", SIGNED_OUT_ROLE, None, None)


def _where(client: Client) -> dict:
    return {"remote_addr": client.remote_addr, "user_agent": client.user_agent[:120]}


@dataclass(frozen=True)
class SignIn:
    user: User
    token: str
    change_reason: str | None  # set when the password must be changed before anything else


def sign_in(session: Session, username: str, password: str, now: datetime, client: Client,
            throttle: ThrottlePolicy = DEFAULT_THROTTLE,
            policy: PasswordPolicy = DEFAULT_POLICY) -> SignIn:
    """Check name and password under throttling; open a session (one transaction)."""
    name = username.strip()[:200]
    keys = sess.throttle_keys(name, client)
    failure: LoginError | None = None
    token = ""
    with write_transaction(session):
        user = session.execute(select(User).where(User.username == name)).scalar_one_or_none() \
            if len(name) <= 64 else None
        audit = AuditBatch(Actor.of(user) if user else _anonymous(name), now)
        wait = sess.wait_left(session, keys, now)
        typed = password if len(password) <= MAX_TYPED_PASSWORD else ""
        if wait:
            audit.add("login_throttled", username=name[:64], wait_seconds=wait, **_where(client))
            failure = LoginThrottled(wait)
        elif not (check_password_hash(user.password_hash if user else _DUMMY_HASH, typed)
                  and user is not None and typed == password):
            sess.count_failure(session, keys, now, throttle)
            audit.add("login_failed", username=name[:64], **_where(client))
            failure = LoginError(WRONG)
        elif not user.active:
            audit.add("login_refused", username=name, reason="inactive", **_where(client))
            failure = LoginError("该账号已停用，请联系系统管理员。")
        else:
            sess.clear_account(session, name, client)
            token = sess.open_session(session, user, now, client)
            audit.add("login", username=name, **_where(client))
        audit.flush(session)
    if failure is not None:
        raise failure
    return SignIn(user, token, change_required(user, policy, now))


def resume_session(session: Session, token: str, now: datetime,
                   limits: SessionLimits = DEFAULT_LIMITS) -> sess.Resumed:
    """The user of a session token, if the session still exists and has not timed out.
    An expired session's row is deleted (and audited); a live one's last_seen is kept."""
    row = sess.find_session(session, token)
    if row is None:
        return sess.Resumed(None, None)
    user = session.get(User, row.user_id)
    ended = sess.expiry(row, now, limits) or (None if user.active else "inactive")
    if ended:
        with write_transaction(session):
            session.execute(delete(UserSession).where(UserSession.id == row.id))
            audit = AuditBatch(Actor.of(user), now)
            audit.add("session_expired", username=user.username, reason=ended,
                      session_id=row.id)
            audit.flush(session)
        return sess.Resumed(None, None, ended)
    if sess.session_stale(row, now):
        with write_transaction(session):
            session.execute(update(UserSession).where(UserSession.id == row.id)
                            .values(last_seen_at=now))
        row.last_seen_at = now
    return sess.Resumed(user, row)


def sign_out(session: Session, token: str, now: datetime) -> None:
    """Logout: the session's row goes, so its cookie opens nothing any more."""
    with write_transaction(session):
        row = sess.find_session(session, token)
        if row is None:
            return
        user = session.get(User, row.user_id)
        session.delete(row)
        audit = AuditBatch(Actor.of(user), now)
        audit.add("logout", username=user.username, session_id=row.id)
        audit.flush(session)


def own_sessions(session: Session, actor: Actor) -> list[UserSession]:
    """The signed-in user's sessions, newest first."""
    return list(session.execute(select(UserSession).where(UserSession.user_id == actor.user_id)
                                .order_by(UserSession.id.desc())).scalars())


def end_own_session(session: Session, actor: Actor, now: datetime, session_id: int) -> None:
    """A user ends one of their own sessions (another browser, a forgotten terminal)."""
    with write_transaction(session):
        row = session.get(UserSession, session_id)
        if row is None or row.user_id != actor.user_id:
            raise NotFoundError("该会话不存在或已结束。")
        session.delete(row)
        audit = AuditBatch(actor, now)
        audit.add("session_ended", username=actor.username, session_id=session_id)
        audit.flush(session)


def session_counts(session: Session, actor: Actor) -> dict[int, int]:
    """Open sessions per user id, for the administration page."""
    require_permission(actor, "administer")
    return dict(session.execute(select(UserSession.user_id, func.count())
                                .group_by(UserSession.user_id)).all())


def force_logout(session: Session, actor: Actor, now: datetime, user_id: int) -> int:
    """强制下线: an administrator ends every session of a user; returns how many."""
    with write_transaction(session):
        user = _user_for_admin(session, actor, user_id)
        count = sess.close_sessions(session, user.id)
        audit = AuditBatch(actor, now)
        audit.add("forced_logout", username=user.username, sessions=count)
        audit.flush(session)
    return count


def change_password(session: Session, actor: Actor, now: datetime, old: str, new: str,
                    confirm: str, *, client: Client = UNKNOWN_CLIENT,
                    throttle: ThrottlePolicy = DEFAULT_THROTTLE,
                    policy: PasswordPolicy = DEFAULT_POLICY) -> SignIn:
    """A user changes their own password (re-authenticating with the old one, throttled and
    audited like a sign-in). Every session of the user ends; this browser gets a new one."""
    keys = sess.throttle_keys(actor.username, client)
    failure: Exception | None = None
    token = ""
    with write_transaction(session):
        user = session.get(User, actor.user_id)
        if user is None:
            raise NotFoundError("用户不存在。")
        audit = AuditBatch(actor, now)
        errors = {}
        wait = sess.wait_left(session, keys, now)
        if wait:
            audit.add("reauth_throttled", username=user.username, wait_seconds=wait,
                      **_where(client))
            failure = LoginThrottled(wait)
        elif not check_password_hash(user.password_hash, old[:MAX_TYPED_PASSWORD]) \
                or len(old) > MAX_TYPED_PASSWORD:
            sess.count_failure(session, keys, now, throttle)
            audit.add("reauth_failed", username=user.username, purpose="password_change",
                      **_where(client))
            errors["old_password"] = "原密码不正确。"
        errors.update(policy_errors(policy, new, "new_password"))
        if new != confirm:
            errors["confirm"] = "两次输入的新密码不一致。"
        elif failure is None and not errors and recently_used(session, user, new, policy):
            errors["new_password"] = f"新密码不能与最近{policy.history}次使用过的密码（含当前密码）相同。"
        if failure is None and errors:
            failure = ValidationError("密码未修改，请检查标出的字段。", fields=errors)
        if failure is None:
            set_password(session, user, new, now, policy, must_change=False)
            ended = sess.close_sessions(session, user.id)
            token = sess.open_session(session, user, now, client)
            audit.add("password_changed", username=user.username, sessions_ended=ended)
        audit.flush(session)
    if failure is not None:
        raise failure
    return SignIn(user, token, None)


def add_user(session: Session, actor: Actor, now: datetime, *, username: str,
             display_name: str, password: str, unit_id: int, role: str,
             policy: PasswordPolicy = DEFAULT_POLICY, one_time: bool = False) -> User:
    """An administrator (or the command line) creates an account (one transaction); its
    initial password must be changed at the first sign-in when the policy says so, and
    always when it is a ``one_time`` password generated at the console."""
    with write_transaction(session):
        require_permission(actor, "administer")
        errors = policy_errors(policy, password, "password")
        audit = AuditBatch(actor, now)
        try:
            user = create_user(session, actor, now, username=username.strip(),
                               display_name=display_name.strip(), password=password,
                               unit_id=unit_id, role=role, audit=audit)
        except ValidationError as exc:
            raise ValidationError(exc.message, fields={**errors, **exc.fields}) from None
        if errors:
            raise ValidationError("用户信息有误。", fields=errors)
        user.must_change_password = policy.change_initial or one_time
        audit.flush(session)
    return user


def _user_for_admin(session: Session, actor: Actor, user_id: int) -> User:
    require_permission(actor, "administer")
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("用户不存在。")
    return user


@dataclass(frozen=True)
class DeactivationEffect:
    """What 停用用户 will do, shown before it is done."""

    user: User
    sessions: int  # open sessions that end at once
    others_in_role: int  # other active users with the same role in the same unit


def deactivation_effect(session: Session, actor: Actor, user_id: int) -> DeactivationEffect:
    user = _user_for_admin(session, actor, user_id)
    if user.id == actor.user_id:
        raise ValidationError("不能停用自己的账号。", fields={"user": "不能停用自己的账号。"})
    sessions = session.execute(select(func.count()).select_from(UserSession)
                               .where(UserSession.user_id == user.id)).scalar_one()
    others = session.execute(select(func.count()).select_from(User).where(
        User.unit_id == user.unit_id, User.role == user.role, User.active.is_(True),
        User.id != user.id)).scalar_one()
    return DeactivationEffect(user, sessions, others)


def set_user_active(session: Session, actor: Actor, now: datetime, user_id: int,
                    active: bool) -> User:
    """Deactivate (or reactivate) an account; a deactivated one is signed out everywhere.
    Nobody may deactivate themselves."""
    with write_transaction(session):
        user = _user_for_admin(session, actor, user_id)
        if user.id == actor.user_id and not active:
            raise ValidationError("不能停用自己的账号。", fields={"user": "不能停用自己的账号。"})
        user.active = active
        audit = AuditBatch(actor, now)
        ended = 0 if active else sess.close_sessions(session, user.id)
        audit.add("user_activated" if active else "user_deactivated", username=user.username,
                  **({} if active else {"sessions_ended": ended}))
        audit.flush(session)
    return user


def reset_password(session: Session, actor: Actor, now: datetime, user_id: int | None,
                   password: str, policy: PasswordPolicy = DEFAULT_POLICY, *,
                   username: str | None = None) -> User:
    """Set a new password chosen by the administrator (or at the command line, by name):
    the user must change it at the next sign-in; their sessions and sign-in delays end."""
    with write_transaction(session):
        if username is not None:
            if actor.role != SYSTEM_ROLE:  # by name: the command line only
                raise PermissionDenied("您的角色无权执行此操作。")
            user = session.execute(select(User).where(User.username == username)) \
                .scalar_one_or_none()
            if user is None:
                raise NotFoundError(f"用户“{username[:64]}”不存在。")
        else:
            user = _user_for_admin(session, actor, user_id)
        errors = policy_errors(policy, password, "password")
        if errors:
            raise ValidationError("密码未重置。", fields=errors)
        set_password(session, user, password, now, policy, must_change=True)
        user.failed_logins, user.locked_until = 0, None
        sess.clear_account(session, user.username)
        ended = sess.close_sessions(session, user.id)
        audit = AuditBatch(actor, now)
        audit.add("password_reset", username=user.username, sessions_ended=ended)
        audit.flush(session)
    return user




def add_unit(session: Session, actor: Actor, now: datetime, *, code: str, name: str,
             kind: str, region_id: int) -> Unit:
    """An administrator adds a unit to a county or the city (one transaction)."""
    with write_transaction(session):
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
        audit.flush(session)
    return unit


def set_unit_active(session: Session, actor: Actor, now: datetime, unit_id: int,
                    active: bool) -> Unit:
    """Deactivate (or reactivate) a unit; its history stays."""
    with write_transaction(session):
        require_permission(actor, "administer")
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFoundError("单位不存在。")
        unit.active = active
        audit = AuditBatch(actor, now)
        audit.add("unit_activated" if active else "unit_deactivated", unit_id=unit.id,
                  code=unit.code)
        audit.flush(session)
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


# --- the console (petition-flow user …) ----------------------------------------------------

def one_time_password(policy: PasswordPolicy = DEFAULT_POLICY) -> str:
    """A random password that meets ``policy`` (every character class, at least 16 long),
    shown once at the console; the user must change it at the first sign-in."""
    import secrets

    lower = "abcdefghijkmnpqrstuvwxyz"  # no l, o: read aloud or copied from a screen
    upper = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    digits, other = "23456789", "-_.+=@#%"
    length = max(16, policy.min_length)
    while True:
        chars = [secrets.choice(lower + upper + digits + other) for _ in range(length)]
        if all(any(c in group for c in chars) for group in (lower, upper, digits, other)) \
                and not policy_errors(policy, "".join(chars), "password"):
            return "".join(chars)


@dataclass(frozen=True)
class Unlocked:
    user: User
    throttles_cleared: int
    activated: bool


def unlock_user(session: Session, actor: Actor, now: datetime, username: str, *,
                activate: bool = False) -> Unlocked:
    """Lift the sign-in delays of an account (for its name from every address, and those
    addresses' own delays), and with ``activate`` reactivate it: the recovery of a locked-out
    sole administrator from the console."""
    with write_transaction(session):
        require_permission(actor, "administer")
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise NotFoundError(f"用户“{username[:64]}”不存在。")
        from ..models import LoginThrottle

        mine = list(session.execute(select(LoginThrottle).where(
            LoginThrottle.key.like(f"name:{sess._like(user.username)}@%", escape="\\"))).scalars())
        addresses = {row.key.rpartition("@")[2] for row in mine}
        keys = [row.key for row in mine] + [f"addr:{a}" for a in addresses]
        cleared = session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys))).rowcount \
            if keys else 0
        user.failed_logins, user.locked_until = 0, None
        activated = activate and not user.active
        if activated:
            user.active = True
        audit = AuditBatch(actor, now)
        audit.add("user_unlocked", username=user.username, throttles_cleared=cleared or 0,
                  activated=activated)
        audit.flush(session)
    return Unlocked(user, cleared or 0, activated)


@dataclass(frozen=True)
class Listed:
    user: User
    sessions: int
    throttled: bool


def list_users(session: Session, actor: Actor, now: datetime) -> list[Listed]:
    """Every account with its open sessions and whether a sign-in delay holds for its name;
    the listing is audited (who looked at the accounts, and when)."""
    from ..models import LoginThrottle

    with write_transaction(session):
        require_permission(actor, "administer")
        users = list(session.execute(select(User).order_by(User.username)).scalars())
        counts = dict(session.execute(select(UserSession.user_id, func.count())
                                      .group_by(UserSession.user_id)).all())
        blocked = {row.key.removeprefix("name:").rpartition("@")[0] for row in session.execute(
            select(LoginThrottle).where(LoginThrottle.key.like("name:%"),
                                        LoginThrottle.blocked_until > now)).scalars()}
        audit = AuditBatch(actor, now)
        audit.add("users_listed", count=len(users))
        audit.flush(session)
    return [Listed(u, counts.get(u.id, 0), u.username in blocked) for u in users]
