"""The organisation: city, districts and counties, their units, and users.

The organisation itself is data (services/orgfile.py): the Baoji one ships as
organisations/baoji.yaml, where the four pilots are flagged: 眉县 (provincial pilot), 金台区、
陈仓区、陇县 (city pilots). Division codes are the national 行政区划代码.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..db import write_transaction
from ..domain.roles import ACCOUNT_ROLES
from ..domain.text import text_problem
from ..errors import PermissionDenied, ValidationError
from ..models import Region, Unit, User
from .actor import Actor, require_permission
from .audit import AuditBatch


def _shipped_counties() -> list[tuple[str, str, str, str | None]]:
    from .orgfile import shipped_organisation

    return [(r.code, r.division_code, r.name, r.pilot)
            for r in shipped_organisation().regions if r.kind == "county"]


# The shipped organisation's counties: code, division code, name, pilot.
COUNTIES = _shipped_counties()
BUREAU_KIND = "bureau"  # the 信访局 of a county or of the city (信访工作机构)
PILOTS = ("meixian", "jintai", "chencang", "longxian")


def seed_organisation(session: Session) -> int:
    """Load the shipped organisation file (organisations/baoji.yaml) into an empty database;
    returns the number of units added (0 when there already is an organisation)."""
    from .orgfile import apply_organisation, shipped_organisation

    with write_transaction(session):
        if session.execute(select(Region.id).limit(1)).first() is not None:
            return 0
        return apply_organisation(session, shipped_organisation()).units_added


def first_admin_unit(session: Session) -> tuple[bool, str | None]:
    """Whether an active administrator exists, and the unit a first one would belong to: the
    city's petition bureau (or the city's first unit)."""
    from ..domain.roles import roles_with

    admins = roles_with("administer")
    has_admin = session.execute(select(User.id).where(User.role.in_(admins),
                                                      User.active.is_(True)).limit(1)).first()
    units = session.execute(select(Unit).join(Region).where(Region.kind == "city")
                            .order_by(Unit.id)).scalars().all()
    unit = next((u for u in units if u.kind == "bureau"), units[0] if units else None)
    return has_admin is not None, unit.code if unit else None


def unit_by_code(session: Session, code: str) -> Unit:
    unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if unit is None:
        raise ValidationError(f"单位“{code}”不存在。", fields={"unit": "单位不存在。"})
    return unit


def require_own_county(session: Session, actor: Actor, code: str) -> Region:
    """A county named by a caller who registers: it must exist and be the caller's own."""
    region = session.execute(select(Region).where(Region.code == code)).scalar_one_or_none()
    if region is None or region.kind != "county":
        raise ValidationError("县（区）无效。", fields={"county": "县（区）代码无效。"})
    if region.id != actor.region_id:
        raise PermissionDenied("只能在您所在的县（区）登记信访事项。")
    return region


def create_user(session: Session, actor: Actor, now: datetime, *, username: str,
                display_name: str, password: str, unit_id: int, role: str,
                audit: AuditBatch | None = None) -> User:
    """Create a user (the caller commits); passwords are stored as scrypt hashes."""
    require_permission(actor, "administer")
    errors = {}
    if not username or len(username) > 64:
        errors["username"] = "用户名不能为空，且不超过64个字符。"
    elif problem := text_problem(username, "用户名", limit=64):
        errors["username"] = problem
    elif session.execute(select(User.id).where(User.username == username)).first():
        errors["username"] = "该用户名已存在。"
    if problem := text_problem(display_name, "姓名", limit=64):
        errors["display_name"] = problem
    if not password:
        errors["password"] = "请填写密码。"
    if role not in ACCOUNT_ROLES:
        errors["role"] = "角色无效。"
    unit = session.get(Unit, unit_id)
    if unit is None:
        errors["unit_id"] = "单位不存在。"
    if errors:
        raise ValidationError("用户信息有误。", fields=errors)
    user = User(username=username, display_name=display_name or username,
                password_hash=generate_password_hash(password), unit_id=unit_id, role=role,
                active=True, failed_logins=0, created_at=now, password_changed_at=now)
    session.add(user)
    session.flush()
    own = audit or AuditBatch(actor, now)
    own.add("user_created", username=username, role=role, unit_id=unit_id)
    if audit is None:
        own.flush(session)
    return user
