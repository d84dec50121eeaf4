"""The allow-list of condition and action names a workflow file may use.

Conditions are pure predicates over a CaseView; each carries the Chinese
sentence shown when it does not hold. Actions are only names here: the
services implement them (they touch the database), and a test checks that
every name below has an implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

CATEGORIES = {"suggestion": "建议意见类", "accusation": "检举控告类", "appeal": "申诉求决类"}


@dataclass(frozen=True)
class ClockView:
    label: str
    status: str  # running | paused | stopped
    due_date: date
    extension_days: int
    max_extension_days: int
    trigger_date: date | None = None  # the day the period is counted from


@dataclass
class CaseView:
    """What a guard may look at. ``state`` is read and written by the transitions Machine."""

    state: str
    today: date
    category: str | None = None
    route: int | None = None
    litigation_related: bool = False
    simple: bool = False
    repeat_of_state: str | None = None
    repeat_of_final: bool = False
    repeat_of_pending: bool = False  # the earlier case still blocks a new one (Art. 19 ¶3)
    received_on: date | None = None  # the petition's receipt
    state_entered_on: date | None = None  # the day the case entered ``state``
    with_petition_bureau: bool = False  # the responsible unit is a 信访局 (sent to it from above)
    data: dict[str, Any] = field(default_factory=dict)
    clocks: dict[str, ClockView] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    # The workflow's trigger tags (WorkflowSpec.trigger_tags): ``data`` is keyed by trigger id,
    # and a guard finds the trigger it reads by what it does, not by its name.
    tagged: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def fired(self, tag: str) -> bool:
        return any(name in self.data for name in self.tagged.get(tag, ()))

    def recorded(self, tag: str) -> dict[str, Any]:
        """The stored inputs of the (first) fired trigger tagged ``tag``, or {}."""
        for name in self.tagged.get(tag, ()):
            if name in self.data:
                return self.data[name] or {}
        return {}


@dataclass(frozen=True)
class Guard:
    check: Callable[[CaseView, str | None], bool]
    message: Callable[[CaseView, str | None], str]
    arg: str | None = None  # "clock" | "category" | "routes" | None


def _route_set(arg: str) -> set[int]:
    lo, _, hi = arg.partition("-")
    return set(range(int(lo), int(hi or lo) + 1))


def _clock_label(view: CaseView, arg: str | None) -> str:
    clock = view.clocks.get(arg or "")
    return clock.label if clock else (arg or "")


def _within(view: CaseView, arg: str | None) -> bool:
    clock = view.clocks.get(arg or "")
    return clock is not None and clock.status != "stopped" and view.today <= clock.due_date


def _within_message(view: CaseView, arg: str | None) -> str:
    clock = view.clocks.get(arg or "")
    if clock is None or clock.status == "stopped":
        return f"{_clock_label(view, arg)}未在计算中。"
    return f"已超过{clock.label}（截止日期{clock.due_date.isoformat()}）。"


def _received_on(view: CaseView) -> date:
    # The day the request reached the organ (收到请求之日), which staff may record later.
    day = view.inputs.get("received_on")
    return day if isinstance(day, date) else view.today


def _received_within(view: CaseView, arg: str | None) -> bool:
    clock = view.clocks.get(arg or "")
    return clock is not None and clock.status != "stopped" and _received_on(view) <= clock.due_date


def _received_within_message(view: CaseView, arg: str | None) -> str:
    clock = view.clocks.get(arg or "")
    if clock is None or clock.status == "stopped":
        return f"{_clock_label(view, arg)}未在计算中。"
    return (f"请求于{_received_on(view).isoformat()}收到，已超过{clock.label}"
            f"（截止日期{clock.due_date.isoformat()}）。")


def _expired(view: CaseView, arg: str | None) -> bool:
    clock = view.clocks.get(arg or "")
    return clock is not None and view.today > clock.due_date


def _expired_message(view: CaseView, arg: str | None) -> str:
    clock = view.clocks.get(arg or "")
    if clock is None:
        return f"{_clock_label(view, arg)}尚未开始计算。"
    return f"{clock.label}尚未届满（截止日期{clock.due_date.isoformat()}），不能终结。"


def _within_cap(view: CaseView, arg: str | None) -> bool:
    clock = view.clocks.get(arg or "")
    if clock is None:
        return False
    requested = int(view.inputs.get("days") or 0)
    return clock.extension_days + requested <= clock.max_extension_days


def _classified_for_letters_and_visits(view: CaseView, _arg: str | None) -> bool:
    # Art. 31(6) matters, suggestions (Art. 29) and accusations to a competent organ (Art. 30)
    # stay in the petition procedure, and so do Art. 31(5) requests that an organ perform its
    # statutory duty (依法履行或者答复, domain.md §8); routes 1-4 go to their own procedure.
    if view.category in ("suggestion", "accusation"):
        return True
    return view.category == "appeal" and view.route in (5, 6)


def earlier_case_pending(answered: bool, final: bool, overdue_duty_clock: bool) -> bool:
    """信访工作条例第十九条第三款: a new petition on the same matter is a repeat only while the
    earlier one has been accepted or is being handled within its time limit, or is pending
    with a higher organ (复查/复核). A finished, not-accepted or diverted case (a final state),
    an answered one (a state flagged ``answered`` in the workflow: the petitioner's route is
    复查/复核, although Art. 36 ¶3 may apply after 复核), or one whose running period has passed
    does not make it a repeat."""
    return not final and not answered and not overdue_duty_clock


def _opens_review(view: CaseView, _arg: str | None) -> bool:
    # Arts. 35-36 open 复查/复核 only on a 信访处理意见: an Art. 31(6) matter handled in the
    # petition procedure and answered by a handling opinion (ordinary or 简易办理). Replies to
    # suggestions (Art. 29), accusations (Art. 30), routes 1-5 and mediation agreements do not.
    if view.category != "appeal" or view.route != 6:
        return False
    return view.fired("opinion")


def _followed_up_if_dissatisfied(view: CaseView, _arg: str | None) -> bool:
    rating = view.recorded("evaluation").get("rating")
    return rating != "dissatisfied" or view.fired("follows_up")


CONDITIONS: dict[str, Guard] = {
    "simple": Guard(lambda v, a: v.simple, lambda v, a: "该事项未标记为适用简易办理。"),
    "not_simple": Guard(
        lambda v, a: not v.simple, lambda v, a: "该事项已标记为简易办理，请按简易办理程序处理。"
    ),
    "litigation_related": Guard(
        lambda v, a: v.litigation_related, lambda v, a: "该事项未标记为涉法涉诉。"
    ),
    "not_litigation_related": Guard(
        lambda v, a: not v.litigation_related,
        lambda v, a: "涉法涉诉事项应导入法律程序，由政法机关依法处理（第二十二条、第二十八条）。",
    ),
    "category_is": Guard(
        lambda v, a: v.category == a,
        lambda v, a: f"该操作仅适用于{CATEGORIES.get(a or '', a)}事项。",
        arg="category",
    ),
    "route_in": Guard(
        lambda v, a: v.category == "appeal" and v.route in _route_set(a or ""),
        lambda v, a: f"该操作仅适用于第三十一条第（{a}）项途径的申诉求决类事项。",
        arg="routes",
    ),
    "classified_for_letters_and_visits": Guard(
        _classified_for_letters_and_visits,
        lambda v, a: "该事项尚未分类，或应通过法定程序处理，不能转送交办。",
    ),
    "within": Guard(_within, _within_message, arg="clock"),
    "received_within": Guard(_received_within, _received_within_message, arg="clock"),
    "expired": Guard(_expired, _expired_message, arg="clock"),
    "not_extended": Guard(
        lambda v, a: a in v.clocks and v.clocks[a].extension_days == 0,
        lambda v, a: f"{_clock_label(v, a)}已经延长过，不能再次延期。",
        arg="clock",
    ),
    "extension_within_cap": Guard(
        _within_cap,
        lambda v, a: f"延长天数超过上限（{v.clocks[a].max_extension_days}日）。"
        if a in v.clocks else "期限未在计算中。",
        arg="clock",
    ),
    "not_repeat": Guard(
        lambda v, a: not v.repeat_of_pending and not v.repeat_of_final,
        lambda v, a: "该事项已关联为重复信访事项，请作重复信访处理或不再受理。",
    ),
    "repeat_of_open_case": Guard(
        lambda v, a: v.repeat_of_pending and not v.repeat_of_final,
        lambda v, a: "关联的原信访事项未受理、已办结、已导入其他程序或已超过办理期限，"
        "不构成重复信访（第十九条第三款），请按新信访事项研判分类。",
    ),
    "repeat_of_final_case": Guard(
        lambda v, a: v.repeat_of_final,
        lambda v, a: "该事项未关联已经复核终结的原信访事项（第三十六条第三款）。",
    ),
    "opens_review": Guard(
        _opens_review,
        lambda v, a: "复查、复核仅适用于对第三十一条第六项事项出具的信访处理意见（第三十五条、第三十六条）；"
        "本事项的答复不适用复查。",
    ),
    "not_opens_review": Guard(
        lambda v, a: not _opens_review(v, a),
        lambda v, a: "本事项已出具信访处理意见，送达后应计算申请复查期限。",
    ),
    # A matter the city sent to a county's 信访局 is routed on by that bureau within its county
    # (信访工作条例第二十二条第一项、第二项): the bureau transfers it to the competent unit.
    "with_petition_bureau": Guard(
        lambda v, a: v.with_petition_bureau,
        lambda v, a: "只有转送、交办到信访局的事项，才能由信访局再转送本县（区）承办单位。",
    ),
    "followed_up_if_dissatisfied": Guard(
        _followed_up_if_dissatisfied,
        lambda v, a: "信访人评价为不满意，须先回访后才能办结。",
    ),
}

# Implemented in petition_flow/services/actions.py.
ACTIONS = frozenset({
    "assign_responsible_unit",  # the unit named by the "unit" input becomes responsible
    "clear_responsible_unit",  # a returned matter goes back to the petition bureau
    "take_over_by_actor_unit",  # the acting unit handles the matter itself
    "record_first_handler",  # 首办责任制: set once, never overwritten
    "hand_over_to_unit",  # pass on after acceptance, with a reason; the first handler stays
    "mark_recheck_concluded",  # Art. 36 ¶3: the same matter will not be accepted again
})
