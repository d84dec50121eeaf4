"""The workflow engine: one shared ``transitions.Machine`` per workflow version.

Built once with ``model=None`` and ``auto_transitions=False`` (no ``to_<state>``
shortcuts that would bypass guards and audit); each call fires the machine's Event
on a small CaseView, never the ORM row, and no model is ever attached to the machine. Condition callables come
from the allow-list in guards.py — never strings, which transitions would
import as dotted names. Before firing, the engine works out *why* a trigger
cannot fire, so the user gets a Chinese reason rather than a silent False.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from transitions import Machine

from ..errors import TransitionNotAllowed, ValidationError
from .guards import CONDITIONS, CaseView
from .spec import MAX_ID, ROLE_LABELS, InputSpec, TransitionSpec, TriggerSpec, WorkflowSpec
from .text import text_problem


@dataclass(frozen=True)
class Decision:
    transition: TransitionSpec
    trigger: TriggerSpec
    inputs: dict[str, Any]


def _condition(call):
    guard = CONDITIONS[call.name]
    return lambda event: guard.check(event.model, call.arg)


class WorkflowEngine:
    def __init__(self, spec: WorkflowSpec):
        self.spec = spec
        self._lock = threading.Lock()
        self.machine = Machine(
            model=None, states=list(spec.states), initial=spec.initial,
            auto_transitions=False, send_event=True, ignore_invalid_triggers=False,
        )
        for t in spec.transitions:
            self.machine.add_transition(
                t.trigger, t.source, t.dest, conditions=[_condition(c) for c in t.conditions]
            )

    # -- questions -------------------------------------------------------------------------
    def first_failing(self, view: CaseView, t: TransitionSpec,
                      skip: frozenset[str] = frozenset()) -> str | None:
        for call in t.conditions:
            if call.name in skip:
                continue
            guard = CONDITIONS[call.name]
            if not guard.check(view, call.arg):
                return guard.message(view, call.arg)
        return None

    def available(self, view: CaseView, role: str) -> list[TriggerSpec]:
        """Triggers this role could fire now; conditions on inputs not yet given are deferred."""
        seen: dict[str, TriggerSpec] = {}
        for t in self.spec.transitions_from(view.state):
            trigger = self.spec.triggers[t.trigger]
            if role not in trigger.roles or t.trigger in seen:
                continue
            if self.first_failing(view, t, skip=INPUT_GUARDS) is None:
                seen[t.trigger] = trigger
        return list(seen.values())

    # -- decisions -------------------------------------------------------------------------
    def decide(self, view: CaseView, trigger_name: str, role: str, raw: dict) -> Decision:
        """Validate role, inputs and conditions; raise TransitionNotAllowed/ValidationError."""
        trigger = self.spec.triggers.get(trigger_name)
        if trigger is None:
            raise TransitionNotAllowed(f"未知操作“{trigger_name}”。")
        state_label = self.spec.states[view.state].label
        candidates = [t for t in self.spec.transitions_from(view.state)
                      if t.trigger == trigger_name]
        if not candidates:
            raise TransitionNotAllowed(
                f"当前状态为“{state_label}”，不能执行“{trigger.label}”。"
            )
        if role not in trigger.roles:
            allowed = "、".join(ROLE_LABELS.get(r, r) for r in sorted(trigger.roles))
            raise TransitionNotAllowed(
                f"“{trigger.label}”只能由{allowed}执行，您的角色为{ROLE_LABELS.get(role, role)}。"
            )
        view.inputs = validate_inputs(trigger, raw, view.today, view)
        reasons = []
        for t in candidates:
            reason = self.first_failing(view, t)
            if reason is None:
                return Decision(t, trigger, view.inputs)
            reasons.append(reason)
        raise TransitionNotAllowed(f"不能执行“{trigger.label}”：{reasons[0]}")

    def fire(self, view: CaseView, decision: Decision) -> str:
        """Move ``view`` through the shared machine; returns the new state."""
        # The machine's own Event fires on the view passed to it: no add_model, which binds
        # an is_<state> and a may_<trigger> method per state and trigger to the model on every
        # call (a quarter of a classify step's time, issue 18); the guards run as before.
        with self._lock:
            if not self.machine.events[decision.transition.trigger].trigger(view):
                raise TransitionNotAllowed("条件在执行时发生变化，请刷新后重试。")
        if view.state != decision.transition.dest:  # the engine and the machine must agree
            raise RuntimeError(f"machine chose {view.state}, engine chose "
                               f"{decision.transition.dest}")
        return view.state


# Guards that judge the inputs of the action itself; unknown until the user fills the form.
INPUT_GUARDS = frozenset({"extension_within_cap", "received_within"})

_NOT_BEFORE_WHY = {"state_entered": "上一环节办理之日", "received": "信访事项收到之日"}


def _lower_bound(ref: str, view: CaseView) -> tuple[date | None, str]:
    """The earliest day a received-on input may name, and why (for the message)."""
    bounds = [(view.received_on, "信访事项收到之日")]
    if ref == "state_entered":
        bounds.append((view.state_entered_on, _NOT_BEFORE_WHY[ref]))
    elif ref.startswith("clock:"):
        clock = view.clocks.get(ref.partition(":")[2])
        if clock is not None:
            bounds.append((clock.trigger_date, f"{clock.label}起算之日"))
    known = [(d, why) for d, why in bounds if d is not None]
    return max(known, key=lambda b: b[0]) if known else (None, "")


def validate_inputs(trigger: TriggerSpec, raw: dict, today: date,
                    view: CaseView | None = None) -> dict[str, Any]:
    """Coerce raw values (form strings, JSON) to typed inputs; Chinese errors per field."""
    raw = dict(raw or {})
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in trigger.inputs:
        value = raw.pop(spec.name, None)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, "", []):
            needed = spec.required or any(
                str(raw.get(k, clean.get(k))) == v for k, v in spec.required_if
            )
            if needed:
                verb = "请选择" if spec.type in ("choice", "unit") else "请填写"
                errors[spec.name] = f"{verb}“{spec.label}”。"
            elif spec.type == "bool":
                clean[spec.name] = False
            continue
        try:
            clean[spec.name] = _coerce(spec, value, today)
        except ValueError as exc:
            errors[spec.name] = str(exc)
            continue
        if spec.not_before and view is not None:
            floor, why = _lower_bound(spec.not_before, view)
            if floor is not None and clean[spec.name] < floor:
                errors[spec.name] = (f"“{spec.label}”不能早于{why}"
                                     f"（{floor.year}年{floor.month}月{floor.day}日）。")
    for extra in raw:
        errors[extra] = f"“{trigger.label}”不接受字段“{extra}”。"
    if errors:
        raise ValidationError("输入有误，请检查标出的字段。", fields=errors)
    return clean


def _coerce(spec: InputSpec, value: Any, today: date) -> Any:
    if spec.type == "text":
        text = str(value)
        problem = text_problem(text, f"“{spec.label}”", limit=4000, multiline=True)
        if problem:
            raise ValueError(problem)
        return text
    if spec.type == "bool":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "y", "yes", "on", "是"):
            return True
        if str(value).lower() in ("0", "false", "n", "no", "off", "否"):
            return False
        raise ValueError(f"“{spec.label}”应为是或否。")
    if spec.type == "choice":
        if spec.choice_label(value) is None:
            options = "、".join(label for _, label in spec.choices)
            raise ValueError(f"“{spec.label}”应为以下之一：{options}。")
        return str(value)
    if spec.type in ("int", "unit"):
        try:
            number = int(str(value))
        except ValueError:
            raise ValueError(f"“{spec.label}”应为整数。") from None
        if spec.type == "unit" and not 1 <= number <= MAX_ID:
            raise ValueError(f"“{spec.label}”不存在。")  # no id out there; keeps the query sane
        if spec.min is not None and number < spec.min:
            raise ValueError(f"“{spec.label}”不能小于{spec.min}。")
        if spec.max is not None and number > spec.max:
            raise ValueError(f"“{spec.label}”不能大于{spec.max}。")
        return number
    if spec.type == "date":
        try:
            if isinstance(value, datetime):
                value = value.date()
            day = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"“{spec.label}”应为日期，格式如 2026-10-09。") from None
        if spec.not_after_today and day > today:
            raise ValueError(f"“{spec.label}”不能晚于今天。")
        return day
    raise ValueError(f"“{spec.label}”类型未知。")


def mermaid(spec: WorkflowSpec) -> str:
    """The workflow as a Mermaid state diagram, states grouped by step."""
    lines = ["stateDiagram-v2", f"    %% {spec.title} ({spec.source}, {spec.version})",
             f"    [*] --> {spec.initial}"]
    for step in spec.steps:
        title = f"第{step.key}步 {step.label}" if step.key.isdigit() else step.label
        lines.append(f'    state "{title}" as step_{step.key} {{')
        for state in spec.states.values():
            if state.step == step.key:
                lines.append(f"        {state.name}: {state.label}")
        lines.append("    }")
    for t in spec.transitions:
        label = spec.triggers[t.trigger].label
        lines.append(f"    {t.source} --> {t.dest}: {label}")
    for state in spec.states.values():
        if state.final:
            lines.append(f"    {state.name} --> [*]")
    return "\n".join(lines) + "\n"
