"""Recording who is kept out of a case: the accused of a 检举控告 (信访工作条例第三十条第三款) and
staff who recuse themselves (第二十八条第三款). The rules that follow from these records are in
confidentiality.py and recusal.py; this module writes them, audited, one transaction each,
and says what the case page shows about them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..db import write_transaction
from ..domain.roles import UNIT_ROLES
from ..domain.spec import ROLE_LABELS
from ..errors import ConcurrentChangeError, PermissionDenied, ValidationError
from ..models import Case, CaseAccused, Recusal, Unit, User
from .actor import Actor, can_act, require_act, require_view
from .audit import AuditBatch
from .confidentiality import ARTICLE as ART30
from .petitions import engine_for, load_case
from .recusal import ARTICLE as ART28
from .recusal import is_recused

MAX_NAMES = 20
NAME_MAX = 64
REASON_MAX = 500
_SPLIT = re.compile(r"[\n\r,，、;；]+")


def split_names(text: str | None) -> list[str]:
    """Free-text accused persons, one per line or separated by 、，；."""
    return [n.strip() for n in _SPLIT.split(text or "") if n.strip()]


def _recorders(case: Case) -> frozenset[str]:
    """The roles of the workflow's triage trigger (研判分类, tagged ``classifies``)."""
    spec = engine_for(case).spec
    name = spec.tagged_one("classifies")
    return spec.triggers[name].roles if name else frozenset()


def may_record_accused(actor: Actor, case: Case) -> bool:
    """Those who triage (研判分类) a county's matters may record and change its accused."""
    return (actor.role in _recorders(case) and can_act(actor, case)
            and case.closed_at is None)


def _listing(session: Session, rows) -> dict[str, list]:
    unit_ids = [r.unit_id for r in rows if r.unit_id is not None]
    user_ids = [r.user_id for r in rows if r.user_id is not None]
    units = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)))
                 .all()) if unit_ids else {}
    users = dict(session.execute(select(User.id, User.display_name)
                                 .where(User.id.in_(user_ids))).all()) if user_ids else {}
    return {"units": [{"id": i, "name": units.get(i, "")} for i in unit_ids],
            "users": [{"id": i, "name": users.get(i, "")} for i in user_ids],
            "names": [r.name for r in rows if r.name is not None]}


def record_accused(session: Session, actor: Actor, now: datetime, case_id: int, *,
                   unit_ids=(), user_ids=(), names=(), reason: str = "",
                   expected_version: int | None = None) -> Case:
    """Set who a 检举控告 accuses (replacing the earlier list); audited with before and after.
    From the commit on, the accused units and users no longer see the case."""
    reason = (reason or "").strip()
    try:
        return _record_accused(session, actor, now, case_id, unit_ids, user_ids, names, reason,
                               expected_version)
    except (StaleDataError, IntegrityError):  # someone changed the case meanwhile
        raise ConcurrentChangeError() from None


def _record_accused(session, actor, now, case_id, unit_ids, user_ids, names, reason,
                    expected_version) -> Case:
    with write_transaction(session):
        case = load_case(session, case_id, for_update=True)
        require_act(actor, case)
        if expected_version is not None and case.version_id != expected_version:
            raise ConcurrentChangeError()
        if actor.role not in _recorders(case):
            allowed = "、".join(ROLE_LABELS.get(r, r) for r in sorted(_recorders(case)))
            raise PermissionDenied(f"被检举控告对象由负责研判分类的{allowed}登记。")
        if case.category != "accusation":
            message = f"只有检举控告类事项才登记被检举控告对象（{ART30}）；请先研判分类为检举控告类。"
            raise ValidationError(message)
        if case.closed_at is not None:
            raise ValidationError("该信访事项已办结，不能再变更被检举控告对象。")
        units = _check_units(session, actor, case, unit_ids)
        users = _check_users(session, actor, case, user_ids)
        free = _check_names(names)
        if len(reason) > REASON_MAX:
            raise ValidationError(f"理由不能超过{REASON_MAX}字。",
                                  fields={"reason": f"理由不能超过{REASON_MAX}字。"})
        before = _listing(session, case.accused)
        wanted = ([("unit", u.id) for u in units] + [("user", u.id) for u in users]
                  + [("name", n) for n in free])
        have = {_key(a): a for a in case.accused}
        if set(have) == set(wanted):
            raise ValidationError("被检举控告对象没有变化。")
        if case.accused and not reason:
            message = "变更已登记的被检举控告对象须填写理由。"
            raise ValidationError(message, fields={"reason": message})
        for key, row in have.items():
            if key not in wanted:
                case.accused.remove(row)
        for kind, value in wanted:
            if (kind, value) not in have:
                case.accused.append(CaseAccused(
                    unit_id=value if kind == "unit" else None,
                    user_id=value if kind == "user" else None,
                    name=value if kind == "name" else None,
                    recorded_at=now, recorded_by_user_id=actor.user_id))
        case.updated_at = now  # a new version: forms opened before the change are stale
        session.flush()
        audit = AuditBatch(actor, now)
        audit.add("accused_changed" if before["units"] or before["users"] or before["names"]
                  else "accused_recorded", case_id=case.id, article=ART30, before=before,
                  after=_listing(session, case.accused), reason=reason or None)
        audit.flush(session)
    return case


def _key(row: CaseAccused) -> tuple[str, object]:
    if row.unit_id is not None:
        return ("unit", row.unit_id)
    if row.user_id is not None:
        return ("user", row.user_id)
    return ("name", row.name)


def _ids(values, field: str) -> list[int]:
    out = []
    for v in values or ():
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            raise ValidationError("选择无效。", fields={field: "选择无效。"}) from None
    return list(dict.fromkeys(out))


def _check_units(session: Session, actor: Actor, case: Case, unit_ids) -> list[Unit]:
    units = []
    for unit_id in _ids(unit_ids, "units"):
        unit = session.get(Unit, unit_id)
        if unit is None or not unit.active or unit.region_id != case.region_id:
            message = "被检举控告单位须为本县（区）在用的单位。"
            raise ValidationError(message, fields={"units": message})
        if unit.id == actor.unit_id:
            message = (f"不能登记本人所在单位为被检举控告单位（{ART30}）；"
                       "涉及本单位的检举控告请报上级信访工作机构登记。")
            raise ValidationError(message, fields={"units": message})
        if unit.id == case.responsible_unit_id:
            message = (f"{unit.name}是本事项当前的承办单位。依照{ART30}，检举控告事项不得由"
                       "被检举控告的单位办理；请先按程序将事项收回或改由其他单位办理，再登记该单位。")
            raise ValidationError(message, fields={"units": message})
        units.append(unit)
    return units


def _check_users(session: Session, actor: Actor, case: Case, user_ids) -> list[User]:
    users = []
    for user_id in _ids(user_ids, "users"):
        user = session.get(User, user_id)
        if user is None or not user.active or user.unit.region_id != case.region_id:
            message = "被检举控告人须为本县（区）单位在用的用户；其他人员请填写姓名。"
            raise ValidationError(message, fields={"users": message})
        if user.id == actor.user_id:
            message = f"不能登记本人为被检举控告人；请依照{ART28}申请回避，由其他工作人员登记。"
            raise ValidationError(message, fields={"users": message})
        users.append(user)
    return users


def _check_names(names) -> list[str]:
    if isinstance(names, str):
        names = split_names(names)
    out = list(dict.fromkeys(str(n).strip() for n in names or () if str(n).strip()))
    if len(out) > MAX_NAMES:
        message = f"被检举控告人最多登记{MAX_NAMES}名。"
        raise ValidationError(message, fields={"names": message})
    for name in out:
        if len(name) > NAME_MAX:
            message = f"姓名“{name[:10]}…”过长（最多{NAME_MAX}字）。"
            raise ValidationError(message, fields={"names": message})
    return out


# --- 回避 -----------------------------------------------------------------------------------

def declare_recusal(session: Session, actor: Actor, now: datetime, case_id: int, reason: str,
                    *, user_id: int | None = None) -> Recusal:
    """回避: a handler or unit leader declares a conflict of interest in a case; a unit leader
    may also record one for a member of their unit. From then on that user cannot act on the
    case nor be tasked with it. Audited; there is no undoing it here."""
    try:
        return _declare_recusal(session, actor, now, case_id, (reason or "").strip(), user_id)
    except (StaleDataError, IntegrityError):  # declared at the same moment by someone else
        raise ConcurrentChangeError() from None


def _declare_recusal(session, actor, now, case_id, reason, user_id) -> Recusal:
    with write_transaction(session):
        case = load_case(session, case_id, for_update=True)
        require_view(actor, case)
        if actor.role not in UNIT_ROLES:
            raise PermissionDenied("只有承办单位的工作人员可以在此申请回避。")
        target = _recusal_target(session, actor, user_id)
        if not reason:
            message = "请填写回避理由。"
            raise ValidationError(message, fields={"reason": message})
        if len(reason) > REASON_MAX:
            message = f"回避理由不能超过{REASON_MAX}字。"
            raise ValidationError(message, fields={"reason": message})
        if any(r.user_id == target.id for r in case.recusals):
            who = "您" if target.id == actor.user_id else target.display_name
            raise ValidationError(f"{who}已对该信访事项登记回避。")
        row = Recusal(user_id=target.id, reason=reason, declared_at=now,
                      declared_by_user_id=actor.user_id)
        case.recusals.append(row)
        case.updated_at = now
        session.flush()
        audit = AuditBatch(actor, now)
        audit.add("recusal_declared", case_id=case.id, article=ART28, user_id=target.id,
                  username=target.username, by_leader=target.id != actor.user_id, reason=reason)
        audit.flush(session)
    return row


def _recusal_target(session: Session, actor: Actor, user_id) -> User:
    if user_id in (None, "", actor.user_id):
        return session.get(User, actor.user_id)
    if not actor.may("lead_unit"):
        raise PermissionDenied("只有单位负责人可以为本单位其他工作人员登记回避。")
    try:
        user = session.get(User, int(user_id))
    except (TypeError, ValueError):
        user = None
    if user is None or not user.active or user.unit_id != actor.unit_id \
            or user.role not in UNIT_ROLES:
        message = "只能为本单位在岗的承办人或负责人登记回避。"
        raise ValidationError(message, fields={"member": message})
    return user


# --- what the case page shows ---------------------------------------------------------------

@dataclass(frozen=True)
class RecusalView:
    name: str
    reason: str
    declared_by: str
    declared_at: datetime
    by_self: bool


@dataclass
class ExclusionsView:
    accusation: bool  # a 检举控告类 matter: the accused list applies
    units: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    may_record: bool = False
    selected_units: list[int] = field(default_factory=list)
    selected_users: list[int] = field(default_factory=list)
    unit_choices: list[tuple[int, str]] = field(default_factory=list)
    user_choices: list[tuple[int, str]] = field(default_factory=list)
    recusals: list[RecusalView] = field(default_factory=list)
    recused: bool = False  # the viewer has recused themselves
    may_declare: bool = False
    member_choices: list[tuple[int, str]] = field(default_factory=list)

    @property
    def recorded(self) -> bool:
        return bool(self.units or self.users or self.names)


def exclusions_view(session: Session, actor: Actor, case: Case) -> ExclusionsView:
    """The accused (to anyone who may see the case: never the accused) and the recusals."""
    require_view(actor, case)
    listing = _listing(session, case.accused)
    view = ExclusionsView(
        accusation=case.category == "accusation" or bool(case.accused),
        units=[u["name"] for u in listing["units"]], users=[u["name"] for u in listing["users"]],
        names=listing["names"],
        selected_units=[u["id"] for u in listing["units"]],
        selected_users=[u["id"] for u in listing["users"]])
    if view.accusation and may_record_accused(actor, case):
        view.may_record = True
        # Neither the unit now handling the matter nor the recorder's own (see _check_units).
        barred = {i for i in (case.responsible_unit_id, actor.unit_id) if i is not None}
        view.unit_choices = [
            (u.id, u.name) for u in session.execute(
                select(Unit).where(Unit.region_id == case.region_id, Unit.active.is_(True),
                                   Unit.id.notin_(barred)).order_by(Unit.id)).scalars()]
        view.user_choices = [
            (u.id, f"{u.display_name}（{u.unit.name}，{ROLE_LABELS.get(u.role, u.role)}）")
            for u in session.execute(
                select(User).join(Unit, Unit.id == User.unit_id)
                .where(Unit.region_id == case.region_id, User.active.is_(True),
                       User.id != actor.user_id).order_by(Unit.id, User.id)).scalars()]
    users = {u.id: u for u in session.execute(select(User).where(User.id.in_(
        {r.user_id for r in case.recusals} | {r.declared_by_user_id for r in case.recusals})))
        .scalars()} if case.recusals else {}
    view.recusals = [RecusalView(users[r.user_id].display_name, r.reason,
                                 users[r.declared_by_user_id].display_name, r.declared_at,
                                 r.user_id == r.declared_by_user_id) for r in case.recusals]
    view.recused = is_recused(actor, case)
    if actor.role in UNIT_ROLES:
        recused_ids = {r.user_id for r in case.recusals}
        view.may_declare = not view.recused
        if actor.may("lead_unit"):
            view.member_choices = [
                (u.id, f"{u.display_name}（{ROLE_LABELS.get(u.role, u.role)}）")
                for u in session.execute(
                    select(User).where(User.unit_id == actor.unit_id, User.active.is_(True),
                                       User.role.in_(UNIT_ROLES), User.id != actor.user_id)
                    .order_by(User.id)).scalars() if u.id not in recused_ids]
            view.may_declare = view.may_declare or bool(view.member_choices)
    return view
