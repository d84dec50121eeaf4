"""Demo data for `petition-flow init --demo`: one user per role per pilot county, and cases
in every state of the default workflow, made by driving the real services backdated, so the
audit trail, clocks and notices of the demo are exactly what real use would produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import CHINA_TZ, local_date
from ..db import write_transaction
from ..domain.identity import id_check_digit
from ..domain.registry import DEFAULT_WORKFLOW
from ..domain.roles import ACCOUNT_ROLES, ROLE_LABELS, ROLE_TABLE, role, roles_with
from ..models import Case, Region, User
from ..paths import workflows_dir
from ..services.actor import SYSTEM, Actor
from ..services.audit import AuditBatch
from ..services.org import PILOTS, create_user, unit_by_code
from ..services.petitions import fire_transition, register_petition
from ..services.rules import default_spec

DEMO_PASSWORD = "baoji-demo-2026"
CITY = "baoji"  # the region code of the city

NAMES = ["王建国", "李秀英", "张伟", "刘桂兰", "陈志强", "杨丽", "赵德胜", "黄文静", "周永红",
         "吴晓东", "孙玉梅", "马国华", "胡海燕", "郭建军", "何淑芬", "高明亮", "林小燕", "罗卫东"]
MATTERS = [
    ("反映某建筑公司拖欠农民工工资", "请求督促用人单位支付拖欠的工资38000元",
     "本人2025年3月至10月在某住宅项目务工，工程结束后包工头以甲方未结款为由拒付工资，多次讨要未果。"),
    ("反映征地补偿款未足额发放", "请求按照批复标准足额发放土地征收补偿款",
     "村里2024年征收耕地用于道路建设，本户3.2亩，实际到账补偿款低于公示标准，村委会未作解释。"),
    ("反映养老保险待遇核定有误", "请求重新核定基本养老金",
     "本人退休时视同缴费年限未完整计算，导致每月养老金少发约400元，曾向经办机构反映未得到答复。"),
    ("反映小区物业擅自提高收费标准", "请求责令物业公司恢复原收费标准并退还多收费用",
     "物业公司未经业主大会同意，自2025年起将物业费由每平方米0.8元提高到1.2元。"),
    ("反映宅基地确权登记争议", "请求依法确认宅基地使用权",
     "本户宅基地与邻户存在界址争议，镇政府调解未果，确权登记一直无法办理。"),
    ("反映工厂夜间噪音扰民", "请求责令企业整改夜间生产噪音",
     "小区附近一家加工厂每晚十点后仍开机生产，噪音严重影响附近居民休息。"),
    ("反映低保资格被取消", "请求恢复最低生活保障待遇",
     "家中两位老人常年患病，今年复核时低保资格被取消，村里未告知原因。"),
    ("反映农村供水管网老化经常停水", "请求维修更换供水管网",
     "村里自来水管网铺设已二十余年，今年以来每月停水多次，群众生活受到影响。"),
]
SUGGESTION = ("建议增开县城至汤峪镇的公交班次", "建议在早晚高峰增加公交班次",
              "汤峪镇群众进城就医、上学较多，现有班次间隔一小时，高峰时段乘车困难。")
ACCUSATION = ("举报村干部虚报冒领惠农补贴", "请求依法查处虚报冒领行为",
              "据了解某村干部以亲属名义虚报耕地面积，冒领耕地地力保护补贴。")
LITIGATION = ("反映民事判决执行不到位", "请求法院加大执行力度",
              "本人与某公司买卖合同纠纷一案判决已生效两年，至今未执行到位。")
ADMIN = ("对行政处罚决定不服", "请求撤销行政处罚决定",
         "本人经营的门店被处以罚款两万元，认为事实认定有误。")



def demo_script_path(workflow: str = DEFAULT_WORKFLOW) -> Path:
    """The demo script of a workflow: workflows/demo/<name>.yaml (it names the workflow's
    states and triggers, so it is data beside the workflow, not code)."""
    return workflows_dir() / "demo" / f"{workflow}.yaml"


def load_demo_script(path: Path | None = None) -> dict[str, Any]:
    return yaml.safe_load((path or demo_script_path()).read_text(encoding="utf-8"))


SCRIPT = load_demo_script()
APPEAL6 = SCRIPT["classifications"]["appeal6"]
REPLY = SCRIPT["inputs"][default_spec().tagged("opinion")[0]]
# Days after the previous step at which each step happens (windows need real gaps).
GAP: dict[str, int] = SCRIPT["gaps"]


def step_role(step: str) -> str:
    """Who plays a step in the demo: the first role of the roles table that the workflow lets
    fire it (the workflow YAML's ``roles:`` list is the rule; the table only gives the order)."""
    allowed = _spec().triggers[step].roles
    return next(r for r in ACCOUNT_ROLES if r in allowed)


def _spec():
    return default_spec()


@dataclass
class DemoSummary:
    created_users: bool
    cases: int = 0
    states: int = 0
    accounts: list[tuple[str, str]] = field(default_factory=list)


def _id_number(region_division: str, n: int) -> str:
    born = date(1955, 1, 1) + timedelta(days=n * 997 % 15000)
    first17 = f"{region_division}{born:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_digit(first17)


def _accounts(session: Session) -> list[tuple[str, str]]:
    users = session.execute(select(User).order_by(User.id)).scalars()
    return [(u.username, f"{ROLE_LABELS[u.role]} · {u.unit.name}" + ("（演示账号）" if u.demo else ""))
            for u in users]


def seed_demo(session: Session, now: datetime) -> DemoSummary:
    if session.execute(select(User.id).where(User.username.like(f"%.{CITY}"))).first():
        return DemoSummary(False, accounts=_accounts(session))
    actors = _create_users(session, now)
    n = 0
    # The demo's notices are numbered as in use; their PDFs are rendered as in use too:
    # by the scheduler, a few a minute, or at their first download.
    for county in PILOTS:
        region = session.execute(select(Region).where(Region.code == county)).scalar_one()
        for i, scenario in enumerate(SCRIPT["scenarios"]):
            n += 1
            _play(session, actors, county, region, now, scenario, n, i)
        _repeats(session, actors, county, region, now, n)
        n += 4
    states = {s for (s,) in session.execute(select(Case.state).distinct())}
    total = session.query(Case).count()
    return DemoSummary(True, total, len(states), _accounts(session))


def _create_users(session: Session, now: datetime) -> dict[tuple[str, str], Actor]:
    with write_transaction(session):
        audit = AuditBatch(SYSTEM, now)
        actors = {}
        # One account per role of the roles table: county and unit roles in each pilot county,
        # city roles in the city, and a registering role in the city's own 信访局 too (it
        # registers matters and 交办/转送 them down to the counties, 信访工作条例第二十二条).
        wanted = []
        for r in ROLE_TABLE:
            if not (r.account and r.demo_unit):
                continue
            places = [CITY] if r.scope == "city" or r.scope == "none" else list(PILOTS)
            if r.scope == "county" and r.may("register"):
                places.append(CITY)
            for place in places:
                wanted.append((f"{r.id}.{place}", r.id, f"{place}.{r.demo_unit}"))
        for username, role_id, unit_code in wanted:
            unit = unit_by_code(session, unit_code)
            user = create_user(session, SYSTEM, now, username=username,
                               display_name=f"{unit.region.name}{ROLE_LABELS[role_id]}",
                               password=DEMO_PASSWORD, unit_id=unit.id, role=role_id, audit=audit)
            # Demo accounts keep the printed password (no forced change) and say they are demo.
            user.demo = True
            actors[(username.split(".")[1], role_id)] = Actor.of(user)
        audit.flush(session)
    return actors


def _actor(actors, county: str, role_id: str) -> Actor:
    return actors[(CITY if role(role_id).scope == "city" else county, role_id)]


def _matter(key):
    return {"suggestion": SUGGESTION, "accusation": ACCUSATION, "litigation": LITIGATION,
            "administrative": ADMIN}.get(key) or MATTERS[key]


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), CHINA_TZ)


def _form(region: Region, n: int, matter, received: datetime, collective=False) -> dict:
    summary, request, facts = matter
    people = [{"name": NAMES[(n + k) % len(NAMES)], "id_number": _id_number(region.division_code,
               n * 7 + k), "phone": f"139{(n * 7919 + k) % 10**8:08d}",
               "address": f"{region.name}某村{n % 9 + 1}组", "representative": "1"}
              for k in range(3 if collective else 1)]
    return {"channel": ["visit", "letter", "phone", "web", "fax"][n % 5], "received_at": received,
            "summary": summary, "request": request, "facts_and_reasons": facts,
            "petitioners": people, "collective": collective, "repeat_reason": "演示数据"}


def step_inputs(session, step: str, region: Region, day: date, classification) -> dict:
    """Realistic inputs for ``step`` from the demo script (also used by the tests to walk
    cases): "today"/"today+N" become dates, "unit:<code>" the county's unit, "{region}" its
    name; the triage step takes the case's classification."""
    given = SCRIPT["inputs"].get(step, {})
    if given == "classification":
        return dict(classification)
    out = {}
    for name, value in given.items():
        if isinstance(value, str) and (value == "today" or value.startswith("today+")):
            value = (day + timedelta(days=int(value.partition("+")[2] or 0))).isoformat()
        elif isinstance(value, str) and value.startswith("unit:"):
            value = unit_by_code(session, f"{region.code}.{value[5:]}").id
        elif isinstance(value, str):
            value = value.replace("{region}", region.name)
        out[name] = value
    return out


def _play(session, actors, county, region, now, scenario, n, i) -> Case:
    age, matter, steps = scenario["age"], scenario["matter"], scenario["steps"]
    classification = SCRIPT["classifications"].get(scenario.get("classification"), {})
    start = local_date(now) - timedelta(days=age)
    received = _at(start, 9)
    reg = register_petition(session, _actor(actors, county, roles_with("register")[0]), received,
                            _form(region, n, _matter(matter), received, collective=i % 7 == 3))
    day = start
    for step in steps:
        day = min(day + timedelta(days=GAP.get(step, 1)), local_date(now))
        who = _actor(actors, county, step_role(step))
        fire_transition(session, who, _at(day, 10), reg.case.id, step,
                        step_inputs(session, step, region, day, classification))
    return reg.case


def _repeats(session, actors, county, region, now, n) -> None:
    """A repeat of an open case, and a petition after 复核 that is not accepted again."""
    reception = _actor(actors, county, roles_with("register")[0])
    for k, repeat in enumerate(SCRIPT["repeats"]):
        original = _play(session, actors, county, region, now,
                         {"age": repeat["age"], "matter": k, "classification": "appeal6",
                          "steps": repeat["steps"]}, n + 1 + k, 0)
        received = _at(local_date(now), 8)
        form = _form(region, n + 1 + k, _matter(k), received)
        form.update(repeat_of_id=original.id, repeat_reason=None)
        reg = register_petition(session, reception, received, form)
        close = repeat["then"]
        reason = SCRIPT["inputs"][close]["reason"]
        fire_transition(session, reception, received, reg.case.id, close, {"reason": reason})
