"""The audit log read in plain Chinese: one describer for the case history (办理过程) and the
audit page (操作日志), so both name every action, state, deadline, unit and person the same
way. Labels come from domain/labels.py (actions, detail fields, coded values), the workflow
(states, triggers, clocks, warning levels) and domain/roles.py (roles)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import CHINA_TZ, local_date
from ..domain.labels import DETAIL_FIELDS, audit_label, detail_value
from ..domain.levels import LEVEL_LABELS
from ..domain.roles import ROLE_LABELS, SYSTEM_ROLE
from ..domain.spec import LOCAL_SUFFIX, WorkflowSpec
from ..models import AuditEntry, Case, Unit, User
from .notices import CHANNELS
from .org import COUNTIES

SYSTEM_LABEL = "系统"


def _as_is(text: str) -> str:
    return text


def _length(text: str) -> str:
    return f"已填写（{len(text)}字）"


@dataclass(frozen=True)
class Person:
    """Who acted: the name people know them by, the login (shown on hover) and the role."""

    name: str
    login: str
    role: str  # the role's label, "" for the system (系统 is said once)


@dataclass(frozen=True)
class Described:
    title: str
    detail: str
    from_state: str
    to_state: str


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return local_date(value)
    if isinstance(value, date):
        return value
    text = str(value or "")
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return local_date(datetime.fromisoformat(text))
    except ValueError:
        return None


def _day(value) -> str:
    day = _as_date(value)
    return cn_date(day) if day else str(value or "")


def _moment(value) -> str:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


class Describer:
    """Reads audit entries of any workflow; names of units and people are looked up once."""

    def __init__(self, session: Session, engines=None):
        from .petitions import all_engines

        self.session = session
        self.engines = engines or all_engines()
        self._units: dict[int, str] = {}
        self._users: dict[int, tuple[str, str]] = {}
        self._logins: dict[str, str] = {}
        self._workflows: dict[int, str] = {}

    # --- lookups -------------------------------------------------------------------------

    def prefetch(self, entries: list[AuditEntry]) -> None:
        user_ids = {e.actor_user_id for e in entries if e.actor_user_id}
        unit_ids, logins = set(), {e.actor_username for e in entries}
        for e in entries:
            d = e.details or {}
            for key in ("unit_id", "from_unit_id", "to_unit_id", "target_unit_id"):
                if isinstance(d.get(key), int):
                    unit_ids.add(d[key])
            if isinstance(d.get("user_id"), int):
                user_ids.add(d["user_id"])
            if isinstance(d.get("username"), str):
                logins.add(d["username"])
        if user_ids - self._users.keys():
            for uid, name, login in self.session.execute(
                    select(User.id, User.display_name, User.username)
                    .where(User.id.in_(user_ids))):
                self._users[uid] = (name, login)
                self._logins[login] = name
        if logins - self._logins.keys():
            self._logins.update(self.session.execute(
                select(User.username, User.display_name).where(User.username.in_(logins))).all())
        if unit_ids - self._units.keys():
            self._units.update(self.session.execute(
                select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all())
        case_ids = {e.case_id for e in entries if e.case_id} - self._workflows.keys()
        if case_ids:
            self._workflows.update(self.session.execute(
                select(Case.id, Case.workflow).where(Case.id.in_(case_ids))).all())

    def unit(self, unit_id) -> str:
        if not unit_id:
            return "—"
        if unit_id not in self._units:
            unit = self.session.get(Unit, unit_id)
            self._units[unit_id] = unit.name if unit else f"单位{unit_id}"
        return self._units[unit_id]

    def user(self, user_id) -> str:
        if not user_id:
            return "—"
        if user_id not in self._users:
            user = self.session.get(User, user_id)
            self._users[user_id] = (user.display_name, user.username) if user else ("—", "")
        return self._users[user_id][0]

    def login_name(self, login: str) -> str:
        """A login's display name; an unknown login (a failed sign-in) reads as typed."""
        if login not in self._logins:
            self._logins[login] = self.session.execute(
                select(User.display_name).where(User.username == login)).scalar() or ""
        return self._logins[login] or login

    def person(self, entry: AuditEntry) -> Person:
        if entry.actor_role == SYSTEM_ROLE or (entry.actor_user_id is None
                                               and entry.actor_username == SYSTEM_ROLE):
            return Person(SYSTEM_LABEL, "", "")
        name = self.user(entry.actor_user_id) if entry.actor_user_id else \
            self.login_name(entry.actor_username)
        return Person(name, entry.actor_username, ROLE_LABELS.get(entry.actor_role, ""))

    def spec_for(self, entry: AuditEntry) -> WorkflowSpec:
        from ..domain.registry import DEFAULT_WORKFLOW

        workflow = self._workflows.get(entry.case_id) if entry.case_id else None
        if entry.case_id and workflow is None:
            case = self.session.get(Case, entry.case_id)
            workflow = self._workflows[entry.case_id] = case.workflow if case else None
        return (self.engines.get(workflow) or self.engines[DEFAULT_WORKFLOW]).spec

    # --- labels --------------------------------------------------------------------------

    @staticmethod
    def state(spec: WorkflowSpec, state: str | None) -> str:
        if not state:
            return ""
        return spec.states[state].label if state in spec.states else "（已不在工作流中的状态）"

    @staticmethod
    def clock(spec: WorkflowSpec, rule_id) -> str:
        rule = spec.rule_of(str(rule_id or ""))
        if rule is None:
            return "期限"
        return rule.label + ("（限时办结）" if str(rule_id).endswith(LOCAL_SUFFIX) else "")

    def value(self, spec: WorkflowSpec, key: str, value) -> str:
        if value is None or value == "":
            return "—"
        if key in ("unit_id", "from_unit_id", "to_unit_id", "target_unit_id"):
            return self.unit(value)
        if key == "user_id":
            return self.user(value)
        if key == "username":
            return self.login_name(str(value))
        if key == "role":
            return ROLE_LABELS.get(str(value), str(value))
        if key == "level":
            return LEVEL_LABELS.get(str(value), str(value))
        if key == "clock":
            return self.clock(spec, value)
        if key == "order_id":
            return f"第{value}号"
        if key == "record_id":
            return f"第{value}号"
        if key == "channel":
            return CHANNELS.get(str(value), str(value))
        if key in ("due_date", "old_due_date", "paused_on", "day"):
            return _day(value)
        if key in ("received_at", "reached_at"):
            return _moment(value)
        if key == "region":
            names = {code: name for code, _, name, _ in COUNTIES}
            return names.get(str(value), str(value))
        if key == "repeat_candidates":
            return f"{value}件"
        if isinstance(value, list):
            return f"{len(value)}项"
        return detail_value(value)

    def fields(self, spec: WorkflowSpec, details: dict, *, skip=()) -> str:
        """Every labelled detail, '标签：值', in the order they were written."""
        parts = [f"{DETAIL_FIELDS[k]}：{self.value(spec, k, v)}" for k, v in details.items()
                 if k in DETAIL_FIELDS and k not in skip]
        return "；".join(parts)

    def inputs(self, spec: WorkflowSpec, details: dict, *, texts: bool) -> str:
        """A step's inputs with their labels; free text only when ``texts`` (else its length)."""
        trigger = spec.triggers.get(str(details.get("trigger", "")))
        values = details.get("inputs") or {}
        if trigger is None:
            return ""
        parts = []
        for spec_input in trigger.inputs:
            raw = values.get(spec_input.name)
            if raw in (None, "", False) and spec_input.type != "bool":
                continue
            if spec_input.type == "bool":
                if raw:
                    parts.append(spec_input.label)
                continue
            shown = self._value(spec_input, raw, _as_is if texts else _length)
            parts.append(f"{spec_input.label}：{shown}")
        return "；".join(parts)

    def _value(self, spec_input, raw, free_text) -> str:
        """One input's value in Chinese; ``free_text`` shows a text input (as disclosure
        allows, or only its length)."""
        match spec_input.type:
            case "choice":
                return spec_input.choice_label(raw) or str(raw)
            case "unit":
                return self.unit(raw)
            case "date":
                return _day(raw)
            case "int":
                return str(raw)
        return free_text(str(raw))

    def input_rows(self, spec: WorkflowSpec, details: dict, text) -> list[tuple[str, str]]:
        """A step's inputs as (label, value) rows; ``text`` shows free text (disclosure)."""
        trigger = spec.triggers.get(str(details.get("trigger", "")))
        values = details.get("inputs") or {}
        if trigger is None:
            return []
        rows = []
        for spec_input in trigger.inputs:
            raw = values.get(spec_input.name)
            if spec_input.type == "bool":
                if raw:
                    rows.append((spec_input.label, "是"))
                continue
            if raw in (None, ""):
                continue
            shown = self._value(spec_input, raw, text)
            if spec_input.type == "int" and spec_input.name == "days":
                shown += "日"
            rows.append((spec_input.label, shown))
        return rows

    # --- entries -------------------------------------------------------------------------

    def describe(self, entry: AuditEntry, *, audit_page: bool = False) -> Described:
        spec = self.spec_for(entry)
        title, detail = self._describe(entry, spec, audit_page)
        return Described(title, detail, self.state(spec, entry.from_state),
                         self.state(spec, entry.to_state))

    def _describe(self, entry: AuditEntry, spec: WorkflowSpec, audit_page: bool):
        d = entry.details or {}
        action = entry.action
        match action:
            case "case_registered":
                detail = f"信访件编号 {d.get('case_no', '')}"
                if audit_page:
                    detail += "；" + self.fields(spec, d, skip=("case_no", "repeat_reason"))
                return audit_label(action), detail
            case "transition":
                trigger = spec.triggers.get(str(d.get("trigger", "")))
                title = trigger.label if trigger else str(d.get("label") or "办理操作")
                moved = f"{self.state(spec, entry.from_state)} → {self.state(spec, entry.to_state)}"
                if audit_page:
                    inputs = self.inputs(spec, d, texts=False)
                    return title, inputs
                return title, moved + _received_dates(spec, entry)
            case "deadline_set":
                return f"开始计算{self.clock(spec, d.get('clock'))}", \
                    f"截止日期 {_day(d.get('due_date'))}"
            case "deadline_stopped":
                return "期限停止计算", f"{self.clock(spec, d.get('clock'))}（截止日期 " \
                    f"{_day(d.get('due_date'))}）"
            case "deadline_recomputed":
                why = detail_value(d.get("reason")) if d.get("reason") else ""
                return "重新计算期限", f"{self.clock(spec, d.get('clock'))}：截止日期 " \
                    f"{_day(d.get('old_due_date'))} → {_day(d.get('due_date'))}" + \
                    (f"（{why}）" if why else "")
            case "deadline_paused":
                return "期限暂停计算", f"{self.clock(spec, d.get('clock'))}，自 " \
                    f"{_day(d.get('paused_on'))} 起"
            case "notice_issued":
                return f"出具{d.get('title', '文书')}", ""
            case "responsible_unit_changed":
                why = detail_value(d.get("reason")) if d.get("reason") else ""
                before, after = d.get("from_unit_id"), d.get("to_unit_id")
                if before and after:
                    moved = f"{self.unit(before)} → {self.unit(after)}"
                elif after:
                    moved = f"承办单位：{self.unit(after)}"
                else:
                    moved = f"{self.unit(before)}不再承办"
                return audit_label(action), moved + (f"（{why}）" if why else "")
            case "supervision_order_retargeted":
                return audit_label(action), f"督办单第{d.get('order_id')}号：" \
                    f"{self.unit(d.get('from_unit_id'))} → {self.unit(d.get('to_unit_id'))}"
            case "first_handler_recorded":
                return audit_label(action), f"{self.unit(d.get('unit_id'))}（" \
                    f"{self.user(d.get('user_id'))}）"
            case "alert_raised":
                level = LEVEL_LABELS.get(str(d.get("level")), "预警")
                what = f"督办单第{d['order_id']}号" if d.get("order_id") else \
                    self.clock(spec, d.get("clock")) if d.get("clock") else ""
                due = f"截止日期 {_day(d['due_date'])}" if d.get("due_date") else ""
                return f"发出{level}", "，".join(x for x in (what, due) if x)
            case "alert_acknowledged":
                return audit_label(action), LEVEL_LABELS.get(str(d.get("level")), "")
            case "alert_superseded":
                what = f"督办单第{d['order_id']}号" if d.get("order_id") else \
                    self.clock(spec, d.get("clock"))
                return audit_label(action), f"{what}：截止日期 " \
                    f"{_day(d.get('old_due_date'))} → {_day(d.get('due_date'))}"
            case "accountability_recorded":
                return audit_label(action), f"第{d.get('record_id')}号：" \
                    f"{self.unit(d.get('unit_id'))}，{self.clock(spec, d.get('clock'))}" \
                    f"（截止日期 {_day(d.get('due_date'))}），依据{d.get('article', '')}"
            case "supervision_order_issued":
                return audit_label(action), f"督办单第{d.get('order_id')}号：" \
                    f"{self.unit(d.get('target_unit_id'))}，督办期限 {_day(d.get('due_date'))}" \
                    + ("（挂牌督办）" if d.get("listed") else "")
            case "supervision_order_replied" | "supervision_order_closed" | \
                    "supervision_order_returned":
                extra = "；" + ("按期回复" if d.get("on_time") else "超期回复") \
                    if "on_time" in d else ""
                due = f"；新的督办期限 {_day(d.get('due_date'))}" if d.get("due_date") else ""
                return audit_label(action), f"督办单第{d.get('order_id')}号{extra}{due}"
            case "petitioner_details_revealed":
                return audit_label(action), f"理由：{d.get('reason') or ''}"
            case "accused_recorded" | "accused_changed":
                after = d.get("after") or {}
                names = [x.get("name", "") for x in (after.get("units") or [])
                         + (after.get("users") or [])]
                names += after.get("names") or []
                return audit_label(action), "、".join(names) or "（无）"
            case "recusal_declared":
                return audit_label(action), f"{self.login_name(str(d.get('username', '')))}：" \
                    f"{d.get('reason', '')}"
            case "handler_assigned":
                before = d.get("previous_name")
                return audit_label(action), (f"由{before}改派给{d.get('name', '')}" if before
                                             else f"指派给{d.get('name', '')}")
            case "query_code_reissued":
                return audit_label(action), "原查询码作废"
            case "petitioner_request_received":
                return audit_label(action), detail_value(d.get("kind") or "")
            case "scheduler_lease_taken":
                return audit_label(action), "接替已停止的定时任务进程" if d.get("previous") \
                    else "定时任务开始运行"
            case "audit_chain_keyed" | "backup_restored_with_rollback":
                return audit_label(action), ""
            case "exported":
                return audit_label(action), self.fields(spec, d)
            case _:
                return audit_label(action), self.fields(spec, d) if audit_page else ""


def _received_dates(spec: WorkflowSpec, entry: AuditEntry) -> str:
    """'；收到复查请求日期 2027年3月28日，登记于2027年4月2日': the received-on inputs of a step
    beside the day it was recorded, since the law counts from receipt (domain.md §8)."""
    details = entry.details or {}
    trigger = spec.triggers.get(details.get("trigger", ""))
    inputs = details.get("inputs") or {}
    if trigger is None:
        return ""
    parts = []
    for spec_input in trigger.inputs:
        value = inputs.get(spec_input.name)
        if spec_input.type == "date" and spec_input.not_before and value:
            day = date.fromisoformat(str(value))
            parts.append(f"{spec_input.label}{cn_date(day)}")
    if not parts:
        return ""
    return f"；{'，'.join(parts)}，登记于{cn_date(local_date(entry.at))}"


__all__ = ["Described", "Describer", "Person", "cn_date"]
