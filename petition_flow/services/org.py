"""The Baoji organisation: city, districts and counties, their units, and users.

The four pilots are flagged: 眉县 (provincial pilot), 金台区、陈仓区、陇县 (city
pilots). Division codes are the national 行政区划代码.
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

CITY = ("baoji", "610300", "宝鸡市")
COUNTIES = [
    # code, division code, name, pilot
    ("weibin", "610302", "渭滨区", None),
    ("jintai", "610303", "金台区", "city"),
    ("chencang", "610304", "陈仓区", "city"),
    ("fengxiang", "610305", "凤翔区", None),
    ("qishan", "610323", "岐山县", None),
    ("fufeng", "610324", "扶风县", None),
    ("meixian", "610326", "眉县", "provincial"),
    ("longxian", "610327", "陇县", "city"),
    ("qianyang", "610328", "千阳县", None),
    ("linyou", "610329", "麟游县", None),
    ("fengxian", "610330", "凤县", None),
    ("taibai", "610331", "太白县", None),
]
COUNTY_UNITS = [
    # kind, name suffix
    ("bureau", "信访局"),
    ("politico_legal", "委政法委"),
    ("court", "人民法院"),
    ("procuratorate", "人民检察院"),
    ("police", "公安局"),
    ("discipline", "纪委监委"),
    ("hrss", "人力资源和社会保障局"),
    ("housing", "住房和城乡建设局"),
    ("natural_resources", "自然资源局"),
    ("justice", "司法局"),
]
CITY_UNITS = [
    ("bureau", "宝鸡市信访局"),
    ("xinlianban", "宝鸡市信访工作联席会议办公室（市信联办）"),
    ("politico_legal", "中共宝鸡市委政法委员会"),
    ("court", "宝鸡市中级人民法院"),
    ("police", "宝鸡市公安局"),
    ("hrss", "宝鸡市人力资源和社会保障局"),
]
TOWNSHIPS = {
    "meixian": [("hengqu", "横渠镇人民政府"), ("tangyu", "汤峪镇人民政府"),
                ("shoushan", "首善街道办事处")],
    "jintai": [("zhongshan", "中山路街道办事处"), ("jinhe", "金河镇人民政府")],
    "chencang": [("guozhen", "虢镇街道办事处"), ("yangjiagou", "杨家沟镇人民政府")],
    "longxian": [("chengguan", "城关镇人民政府"), ("dongfeng", "东风镇人民政府")],
}
PILOTS = ("meixian", "jintai", "chencang", "longxian")


def seed_organisation(session: Session) -> int:
    """Create the city, its counties and their units once (one transaction); returns the
    number of units added."""
    with write_transaction(session):
        if session.execute(select(Region.id).limit(1)).first() is not None:
            return 0
        city = Region(code=CITY[0], division_code=CITY[1], name=CITY[2], kind="city")
        session.add(city)
        session.flush()
        units = [Unit(code=f"baoji.{kind}", name=name, kind=kind, region_id=city.id)
                 for kind, name in CITY_UNITS]
        for code, division, name, pilot in COUNTIES:
            region = Region(code=code, division_code=division, name=name, kind="county",
                            parent_id=city.id, pilot=pilot)
            session.add(region)
            session.flush()
            for kind, suffix in COUNTY_UNITS:
                prefix = "中共" + name if kind == "politico_legal" else name
                units.append(Unit(code=f"{code}.{kind}", name=prefix + suffix, kind=kind,
                                  region_id=region.id))
            for town, town_name in TOWNSHIPS.get(code, []):
                units.append(Unit(code=f"{code}.town.{town}", name=name + town_name,
                                  kind="township", region_id=region.id))
        session.add_all(units)
        session.flush()
        return len(units)


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
