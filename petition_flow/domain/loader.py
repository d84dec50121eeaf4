"""Load and validate workflows/*.yaml into a WorkflowSpec.

The loader refuses, with a message naming the file and the key: unknown keys,
states, triggers, roles, clocks, notices, conditions and actions; unreachable
states; non-final states with no way out; and any limit looser than the
statutory one (a county may only tighten a 信访工作条例 period, never relax it).
"""

from __future__ import annotations

import hashlib
from collections import deque
from pathlib import Path
from typing import Any

import yaml

from ..errors import WorkflowError
from .guards import ACTIONS, CATEGORIES, CONDITIONS
from .levels import LEVEL_LABELS, LEVELS, WarningLevel
from .roles import HOLDER_ROLES, NOTIFY_ROLES
from .safefile import MAX_WORKFLOW_BYTES, UnsafeFile, check_rule_text, read_rule_file
from .spec import (
    CASE_COLUMNS,
    CLOCK_MEASURES,
    INPUT_TYPES,
    ROLES,
    STATE_FLAGS,
    TRIGGER_TAGS,
    AccountabilityRule,
    ClockExtend,
    ClockRule,
    ClockStart,
    GuardCall,
    InputSpec,
    LocalLimit,
    NoticeSpec,
    StateSpec,
    StepSpec,
    TransitionSpec,
    TriggerSpec,
    WorkflowSpec,
)
from .statutory import LIMITS, OWNED_KEYS

TOP_KEYS = {"name", "title", "initial", "steps", "states", "clocks", "local_limits", "notices",
            "on_register", "triggers", "transitions", "warning_levels", "accountability"}


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe YAML that refuses a key given twice in one mapping (the last would silently win)."""


def _no_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"第{line}行：键“{key}”重复出现", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Errors:
    def __init__(self, filename: str):
        self.filename = filename
        self.items: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(f"{self.filename}: {key}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise WorkflowError("\n".join(self.items))


def load_workflow_file(path: Path, templates_dir: Path | None = None) -> WorkflowSpec:
    """Read, parse and validate one workflow file."""
    try:
        text = read_rule_file(path, MAX_WORKFLOW_BYTES)
    except UnsafeFile as exc:
        raise WorkflowError(str(exc)) from None
    return load_workflow_text(text, path.name, templates_dir)


def load_workflow_text(text: str, filename: str, templates_dir: Path | None = None) -> WorkflowSpec:
    errors = _Errors(filename)
    try:
        check_rule_text(text, filename, MAX_WORKFLOW_BYTES)
    except UnsafeFile as exc:
        raise WorkflowError(str(exc)) from None
    try:
        doc = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise WorkflowError(f"{filename}: YAML 语法错误：{exc}") from None
    if not isinstance(doc, dict):
        raise WorkflowError(f"{filename}: 文件内容应为映射（键: 值）。")
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    spec = _build(doc, filename, version, errors, templates_dir)
    errors.raise_if_any()
    _check_graph(spec, errors)
    errors.raise_if_any()
    return spec


def _require(doc: dict, key: str, kind: type, errors: _Errors, where: str):
    value = doc.get(key)
    if not isinstance(value, kind):
        errors.add(f"{where}{key}", "缺少或类型错误。")
        return kind()
    return value


def _unknown_keys(doc: dict, allowed: set[str], where: str, errors: _Errors) -> None:
    for key in doc:
        if key not in allowed:
            errors.add(f"{where}{key}", "未知的键。")


def _build(doc, filename, version, errors, templates_dir) -> WorkflowSpec:
    _unknown_keys(doc, TOP_KEYS, "", errors)
    steps = _steps(_require(doc, "steps", list, errors, ""), errors)
    states = _states(_require(doc, "states", dict, errors, ""), steps, errors)
    clocks = _clocks(_require(doc, "clocks", dict, errors, ""), states, errors)
    local = _local_limits(doc.get("local_limits") or {}, clocks, errors)
    notices = _notices(_require(doc, "notices", dict, errors, ""), templates_dir, errors)
    triggers = _triggers(_require(doc, "triggers", dict, errors, ""), errors)
    transitions = tuple(
        _transition(i, t, states, clocks, notices, triggers, errors)
        for i, t in enumerate(_require(doc, "transitions", list, errors, ""))
    )
    initial = doc.get("initial")
    if initial not in states:
        errors.add("initial", f"未知状态“{initial}”。")
    reg = doc.get("on_register") or {}
    _unknown_keys(reg, {"start", "notices"}, "on_register.", errors)
    reg_start = tuple(_clock_start(s, f"on_register.start[{i}]", clocks, None, errors)
                      for i, s in enumerate(reg.get("start") or []))
    reg_notices = _notice_refs(reg.get("notices") or [], "on_register.notices", notices, errors)
    levels = _warning_levels(doc.get("warning_levels") or {}, errors)
    accountability = _accountability(doc.get("accountability") or {}, clocks, errors)
    for name, trig in triggers.items():
        for spec_input in trig.inputs:
            ref = spec_input.not_before or ""
            if ref.startswith("clock:") and ref.partition(":")[2] not in clocks:
                errors.add(f"triggers.{name}.inputs.{spec_input.name}.not_before",
                           f"未知期限“{ref.partition(':')[2]}”。")
    used = {t.trigger for t in transitions}
    for name in triggers:
        if name not in used:
            errors.add(f"triggers.{name}", "没有任何转换使用该触发器。")
    return WorkflowSpec(
        name=str(doc.get("name") or ""), title=str(doc.get("title") or ""), version=version,
        source=filename, initial=str(initial), steps=steps, states=states, clocks=clocks,
        notices=notices, triggers=triggers, transitions=transitions, local_limits=local,
        register_start=reg_start, register_notices=reg_notices, warning_levels=levels,
        accountability=accountability,
    )


def _warning_levels(items: dict, errors: _Errors) -> dict[str, WarningLevel]:
    out = {}
    for level, body in items.items():
        where = f"warning_levels.{level}"
        if level not in LEVELS:
            errors.add(where, "预警级别只能是 blue、yellow、red。")
            continue
        body = body or {}
        _unknown_keys(body, {"label", "notify", "remaining_fraction", "workdays_left"},
                      where + ".", errors)
        notify = tuple(body.get("notify") or ())
        for role in notify:
            if role not in NOTIFY_ROLES:
                errors.add(where + ".notify", f"未知角色“{role}”。")
        fraction, workdays = body.get("remaining_fraction"), body.get("workdays_left")
        if level == "blue" and not (isinstance(fraction, int | float)
                                    and not isinstance(fraction, bool) and 0 < fraction < 1):
            errors.add(where + ".remaining_fraction", "应为0到1之间的小数，如 0.34。")
        if level == "yellow" and not (_is_int(workdays) and workdays >= 1):
            errors.add(where + ".workdays_left", "应为正整数（剩余工作日数）。")
        out[level] = WarningLevel(level, str(body.get("label") or LEVEL_LABELS[level]), notify,
                                  fraction, workdays)
    return out


def _accountability(items: dict, clocks, errors: _Errors) -> dict[str, AccountabilityRule]:
    """Which duty clocks make an accountability record when they go red, and under which rule."""
    out = {}
    for clock_id, body in items.items():
        where = f"accountability.{clock_id}"
        rule = clocks.get(clock_id)
        if rule is None:
            errors.add(where, f"未知期限“{clock_id}”。")
            continue
        if not rule.duty:
            errors.add(where, "信访人的申请期限不是机关的法定职责，不能追责。")
            continue
        if not isinstance(body, dict):
            errors.add(where, "应为映射（article、ground）。")
            continue
        _unknown_keys(body, {"article", "ground"}, where + ".", errors)
        article, ground = body.get("article"), body.get("ground")
        if not isinstance(article, str) or not article.strip():
            errors.add(where + ".article", "缺少违反的条款。")
        if not isinstance(ground, str) or not ground.strip():
            errors.add(where + ".ground", "缺少追责事由。")
        out[clock_id] = AccountabilityRule(clock_id, str(article or ""), str(ground or ""))
    return out


def _steps(items: list, errors: _Errors) -> tuple[StepSpec, ...]:
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("key") or not item.get("label"):
            errors.add(f"steps[{i}]", "每个步骤需要 key 和 label。")
            continue
        out.append(StepSpec(str(item["key"]), str(item["label"])))
    return tuple(out)


def _states(items: dict, steps, errors: _Errors) -> dict[str, StateSpec]:
    step_keys = {s.key for s in steps}
    out = {}
    for name, body in items.items():
        where = f"states.{name}"
        if not isinstance(body, dict):
            errors.add(where, "应为映射。")
            continue
        _unknown_keys(body, {"label", "step", "final", *STATE_FLAGS}, where + ".", errors)
        if str(body.get("step")) not in step_keys:
            errors.add(where + ".step", f"未知步骤“{body.get('step')}”。")
        for flag in ("final", *STATE_FLAGS):
            if flag in body and not isinstance(body[flag], bool):
                errors.add(f"{where}.{flag}", "应为 true 或 false。")
        out[name] = StateSpec(name, str(body.get("label") or name), str(body.get("step")),
                              body.get("final") is True,
                              closes_case_flag=body.get("closes_case") is True,
                              answered=body.get("answered") is True,
                              refusal=body.get("refusal") is True)
    return out


def _clocks(items: dict, states, errors: _Errors) -> dict[str, ClockRule]:
    """Clocks reference a code-owned statutory limit (domain/statutory.py) and never restate it."""
    allowed = {"label", "statutory", "days", "runs_while", "paused_in", "held_by", "measures"}
    out = {}
    for cid, body in items.items():
        where = f"clocks.{cid}"
        if not isinstance(body, dict):
            errors.add(where, "应为映射。")
            continue
        for key in OWNED_KEYS:
            if key in body:
                errors.add(f"{where}.{key}", "条款、天数上限、单位、延长上限和是否为机关职责由代码中的"
                           "法定期限表规定，工作流文件只能用 statutory 引用，不得重新定义。")
        _unknown_keys(body, allowed | set(OWNED_KEYS), where + ".", errors)
        limit = LIMITS.get(body.get("statutory")) if isinstance(body.get("statutory"), str) \
            else None
        if limit is None:
            errors.add(where + ".statutory",
                       f"须引用法定期限表中的一项（{'、'.join(LIMITS)}），实际为“{body.get('statutory')}”。")
            continue
        days = body.get("days", limit.days)
        if limit.days is None:
            if "days" in body:
                errors.add(where + ".days", f"{limit.describe()}，工作流文件不得规定天数。")
            days = 0  # the due date comes from the assigning bureau's input
        elif not _is_int(days) or days < 1:
            errors.add(where + ".days", "应为正整数。")
            days = limit.days
        elif days > limit.days:
            errors.add(where + ".days", f"{days}日宽于法定期限：{limit.describe()}。")
        elif not limit.duty and days != limit.days:
            errors.add(where + ".days", f"这是信访人的申请期限，不得改变：{limit.describe()}。")
        runs = set(body.get("runs_while") or [])
        paused = set(body.get("paused_in") or [])
        for key, names in (("runs_while", runs), ("paused_in", paused)):
            for s in sorted(names - set(states)):
                errors.add(f"{where}.{key}", f"未知状态“{s}”。")
        if not runs:
            errors.add(where + ".runs_while", "须列出计时所在的状态。")
        if not paused <= runs:
            errors.add(where + ".paused_in", "暂停状态须包含在 runs_while 中。")
        if paused and not limit.excludes:
            errors.add(where + ".paused_in",
                       f"{limit.article}未规定任何时间不计入期限，不得暂停计时。")
        held_by = body.get("held_by")
        if held_by is not None and held_by not in HOLDER_ROLES:
            errors.add(where + ".held_by", "只能是 " + " 或 ".join(HOLDER_ROLES) + "。")
        measures = body.get("measures")
        if measures is not None and measures not in CLOCK_MEASURES:
            errors.add(where + ".measures", "只能是 " + "、".join(CLOCK_MEASURES) + "。")
        out[cid] = ClockRule(
            id=cid, label=str(body.get("label") or cid), days=days if _is_int(days) else 1,
            unit=limit.unit, article=limit.article, statutory_days=limit.days,
            runs_while=frozenset(runs), paused_in=frozenset(paused),
            max_extension_days=limit.max_extension_days, duty=limit.duty,
            held_by=held_by if held_by in HOLDER_ROLES else None, statutory=limit.key,
            measures=measures if measures in CLOCK_MEASURES else None,
        )
    return out


def _local_limits(items: dict, clocks, errors: _Errors) -> dict[str, dict[str, LocalLimit]]:
    out: dict[str, dict[str, LocalLimit]] = {}
    if not isinstance(items, dict):
        errors.add("local_limits", "应为映射（县区代码: 期限）。")
        return out
    for region, limits in items.items():
        if not isinstance(limits, dict):
            errors.add(f"local_limits.{region}", "应为映射（期限: 天数与依据）。")
            continue
        for cid, body in limits.items():
            where = f"local_limits.{region}.{cid}"
            if cid not in clocks:
                errors.add(where, f"未知期限“{cid}”。")
                continue
            if not isinstance(body, dict):
                errors.add(where, "应写作 {days: 天数, basis: 地方规定}。")
                continue
            _unknown_keys(body, {"days", "basis"}, where + ".", errors)
            days = body.get("days")
            rule = clocks[cid]
            if not rule.duty:
                errors.add(where, "这是信访人的申请期限，地方规定不得缩短。")
                continue
            if rule.statutory_days is None:
                errors.add(where, "该期限由交办机关逐案确定，地方规定不适用。")
                continue
            ceiling = min(rule.statutory_days, rule.days)
            if not _is_int(days) or days < 1:
                errors.add(where + ".days", "应为正整数。")
            elif days > ceiling:
                errors.add(where + ".days", f"地方期限{days}日宽于法定期限{ceiling}日。")
            elif not (body or {}).get("basis"):
                errors.add(where + ".basis", "须注明地方规定的名称。")
            else:
                out.setdefault(str(region), {})[cid] = LocalLimit(days, str(body["basis"]))
    return out


def _notices(items: dict, templates_dir: Path | None, errors: _Errors) -> dict[str, NoticeSpec]:
    out = {}
    for nid, body in items.items():
        where = f"notices.{nid}"
        if not isinstance(body, dict) or not body.get("title") or not body.get("template"):
            errors.add(where, "需要 title 和 template。")
            continue
        _unknown_keys(body, {"title", "template", "internal", "doc_type", "served"}, where + ".",
                      errors)
        if "internal" in body and not isinstance(body["internal"], bool):
            errors.add(where + ".internal", "应为 true 或 false。")
        if templates_dir is not None and not (templates_dir / body["template"]).is_file():
            errors.add(where + ".template", f"模板文件“{body['template']}”不存在。")
        doc_type = str(body.get("doc_type", "告"))
        if not 1 <= len(doc_type) <= 4:
            errors.add(where + ".doc_type", "文种代字须为1至4个字。")
        served = body.get("served", True)
        if not isinstance(served, bool):
            errors.add(where + ".served", "served 须为 true 或 false。")
        out[nid] = NoticeSpec(nid, str(body["title"]), str(body["template"]), doc_type,
                              bool(served), body.get("internal") is True)
    return out


def _inputs(items: dict, where: str, errors: _Errors) -> tuple[InputSpec, ...]:
    allowed = {"label", "type", "required", "choices", "min", "max", "required_if",
               "not_after_today", "not_before"}
    out = []
    for name, body in (items or {}).items():
        w = f"{where}.{name}"
        if not isinstance(body, dict):
            errors.add(w, "应为映射。")
            continue
        _unknown_keys(body, allowed, w + ".", errors)
        kind = body.get("type")
        if kind not in INPUT_TYPES:
            errors.add(w + ".type", f"未知输入类型“{kind}”。")
        choices = tuple((str(k), str(v)) for k, v in (body.get("choices") or {}).items())
        if kind == "choice" and not choices:
            errors.add(w + ".choices", "选择项不能为空。")
        out.append(InputSpec(
            name=name, label=str(body.get("label") or name), type=str(kind),
            required=bool(body.get("required", False)), choices=choices,
            min=body.get("min"), max=body.get("max"),
            required_if=tuple((str(k), str(v)) for k, v in (body.get("required_if") or {}).items()),
            not_after_today=bool(body.get("not_after_today", False)),
            not_before=_not_before(body.get("not_before"), kind, w, errors),
        ))
    names = {i.name for i in out}
    for spec in out:
        for other, _value in spec.required_if:
            if other not in names:
                errors.add(f"{where}.{spec.name}.required_if", f"未知输入“{other}”。")
    return tuple(out)


def _not_before(value, kind, where: str, errors: _Errors) -> str | None:
    if value is None:
        return None
    text = str(value)
    if kind != "date":
        errors.add(where + ".not_before", "只有日期输入可以规定不早于哪一天。")
    elif text not in ("state_entered", "received") and not text.startswith("clock:"):
        errors.add(where + ".not_before", "应为 state_entered、received 或 clock:期限。")
    return text


def _triggers(items: dict, errors: _Errors) -> dict[str, TriggerSpec]:
    out = {}
    for name, body in items.items():
        where = f"triggers.{name}"
        if not isinstance(body, dict):
            errors.add(where, "应为映射。")
            continue
        _unknown_keys(body, {"label", "roles", "inputs", "tags", "case_fields", "public",
                             "confirm"}, where + ".", errors)
        if not isinstance(body.get("confirm", False), bool):
            errors.add(where + ".confirm", "应为 true 或 false。")
        roles = body.get("roles") or []
        for role in roles:
            if role not in ROLES:  # WORKFLOW_ROLES: never the auditor, who handles no case
                errors.add(where + ".roles", f"未知角色“{role}”。")
        if not roles:
            errors.add(where + ".roles", "至少需要一个角色。")
        inputs = _inputs(body.get("inputs") or {}, where + ".inputs", errors)
        tags = body.get("tags") or []
        for tag in tags if isinstance(tags, list) else [tags]:
            if tag not in TRIGGER_TAGS:
                errors.add(where + ".tags", f"未知标记“{tag}”（可用：{'、'.join(TRIGGER_TAGS)}）。")
        public = body.get("public")
        if public is not None and (not isinstance(public, str) or not public.strip()):
            errors.add(where + ".public", "应为告知信访人的文字。")
        out[name] = TriggerSpec(name, str(body.get("label") or name), frozenset(roles), inputs,
                                tags=frozenset(tags) if isinstance(tags, list) else frozenset(),
                                case_fields=_case_fields(body.get("case_fields") or {}, inputs,
                                                         where + ".case_fields", errors),
                                public=public if isinstance(public, str) else None,
                                confirm=body.get("confirm") is True)
    for tag in ("delivery", "evaluation", "follows_up", "classifies", "decides_review"):
        tagged = [name for name, t in out.items() if tag in t.tags]
        if len(tagged) > 1:
            errors.add("triggers", f"标记“{tag}”只能用于一个触发器（{'、'.join(tagged)}）。")
    return out


def _case_fields(items, inputs, where: str, errors: _Errors) -> tuple[tuple[str, str], ...]:
    """``case_fields: {input: column}``: the inputs that are written to the case's columns."""
    if not isinstance(items, dict):
        errors.add(where, "应为映射（输入: 事项字段）。")
        return ()
    names = {i.name for i in inputs}
    out = []
    for name, column in items.items():
        if name not in names:
            errors.add(f"{where}.{name}", f"未知输入“{name}”。")
        elif column not in CASE_COLUMNS:
            errors.add(f"{where}.{name}", f"事项字段只能是 {'、'.join(CASE_COLUMNS)}。")
        else:
            out.append((str(name), str(column)))
    return tuple(out)


def _guard(text: Any, where: str, clocks, errors: _Errors) -> GuardCall:
    name, _, arg = str(text).partition(":")
    call = GuardCall(name, arg or None)
    guard = CONDITIONS.get(name)
    if guard is None:
        errors.add(where, f"未知条件“{name}”。")
        return call
    if guard.arg is None and arg:
        errors.add(where, f"条件“{name}”不带参数。")
    elif guard.arg == "clock" and arg not in clocks:
        errors.add(where, f"未知期限“{arg}”。")
    elif guard.arg == "category" and arg not in CATEGORIES:
        errors.add(where, f"未知类别“{arg}”。")
    elif guard.arg == "routes":
        lo, _, hi = arg.partition("-")
        if not (lo.isdigit() and (not hi or hi.isdigit())):
            errors.add(where, f"途径范围“{arg}”应写作 1-5 或 6。")
    return call


def _clock_start(item, where, clocks, trigger: TriggerSpec | None, errors) -> ClockStart:
    if not isinstance(item, dict):
        errors.add(where, "应写作 {clock: 期限, from: 起算点}。")
        return ClockStart("")
    if item.get("clock") not in clocks:
        errors.add(where, f"未知期限“{item.get('clock')}”。")
        return ClockStart("")
    _unknown_keys(item, {"clock", "from", "until"}, where + ".", errors)
    origin = str(item.get("from", "event"))
    date_inputs = {i.name for i in trigger.inputs if i.type == "date"} if trigger else set()
    if origin not in {"event", "received"} | date_inputs:
        errors.add(where + ".from", f"起算点“{origin}”应为 event、received 或本操作的日期输入。")
    until = item.get("until")
    set_per_case = clocks[item["clock"]].statutory_days is None
    if set_per_case and until not in date_inputs:
        errors.add(where + ".until", "该期限由交办机关逐案确定，须用 until 指明本操作中载明截止日期的日期输入。")
    elif not set_per_case and until is not None:
        errors.add(where + ".until", "法定期限的天数由法律规定，不能由输入的日期确定。")
    return ClockStart(item["clock"], origin, str(until) if until is not None else None)


def _notice_refs(items, where, notices, errors) -> tuple[str, ...]:
    for n in items:
        if n not in notices:
            errors.add(where, f"未知文书“{n}”。")
    return tuple(items)


def _transition(i, body, states, clocks, notices, triggers, errors) -> TransitionSpec:
    where = f"transitions[{i}]"
    allowed = {"trigger", "source", "dest", "conditions", "actions", "start", "extend", "notices"}
    if not isinstance(body, dict):
        errors.add(where, "应为映射。")
        return TransitionSpec("", "", "")
    _unknown_keys(body, allowed, where + ".", errors)
    trigger = triggers.get(body.get("trigger"))
    if trigger is None:
        errors.add(where + ".trigger", f"未知触发器“{body.get('trigger')}”。")
    for key in ("source", "dest"):
        if body.get(key) not in states:
            errors.add(f"{where}.{key}", f"未知状态“{body.get(key)}”。")
    conditions = tuple(_guard(c, f"{where}.conditions[{j}]", clocks, errors)
                       for j, c in enumerate(body.get("conditions") or []))
    for j, action in enumerate(body.get("actions") or []):
        if action not in ACTIONS:
            errors.add(f"{where}.actions[{j}]", f"未知动作“{action}”。")
    start = tuple(_clock_start(s, f"{where}.start[{j}]", clocks, trigger, errors)
                  for j, s in enumerate(body.get("start") or []))
    extend = None
    if body.get("extend") and not isinstance(body["extend"], dict):
        errors.add(where + ".extend", "应写作 {clock: 期限, days_from: 触发器.输入}。")
    elif body.get("extend"):
        ext = body["extend"]
        if ext.get("clock") not in clocks or not clocks[ext["clock"]].max_extension_days:
            errors.add(where + ".extend.clock", f"期限“{ext.get('clock')}”不存在或不允许延长。")
        if "." not in str(ext.get("days_from", "")):
            errors.add(where + ".extend.days_from", "应写作 触发器.输入 的形式。")
        else:
            src, _, field_name = str(ext["days_from"]).partition(".")
            src_trigger = triggers.get(src)
            if src_trigger is None or field_name not in {x.name for x in src_trigger.inputs}:
                errors.add(where + ".extend.days_from", f"未知输入“{ext['days_from']}”。")
        extend = ClockExtend(str(ext.get("clock")), str(ext.get("days_from")))
    return TransitionSpec(
        trigger=str(body.get("trigger")), source=str(body.get("source")),
        dest=str(body.get("dest")), conditions=conditions,
        actions=tuple(body.get("actions") or []), start=start, extend=extend,
        notices=_notice_refs(body.get("notices") or [], where + ".notices", notices, errors),
    )


def _check_graph(spec: WorkflowSpec, errors: _Errors) -> None:
    out: dict[str, set[str]] = {s: set() for s in spec.states}
    for t in spec.transitions:
        out[t.source].add(t.dest)
    seen, queue = {spec.initial}, deque([spec.initial])
    while queue:
        for nxt in out[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    for name, state in spec.states.items():
        if name not in seen:
            errors.add(f"states.{name}", "从初始状态无法到达该状态。")
        leaves = out[name] - {name}
        if state.final and out[name]:
            errors.add(f"states.{name}", "终态不能再有流出的转换。")
        if not state.final and not leaves:
            errors.add(f"states.{name}", "非终态没有任何出路（死胡同）。")
