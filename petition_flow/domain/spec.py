"""Frozen descriptions of a workflow, as loaded from workflows/*.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field

from .levels import WarningLevel

ROLES = (
    "reception", "handler", "unit_leader", "county_supervisor", "city_supervisor", "admin",
    "auditor", "petitioner",
)
# 三权分立 (等级保护 level 3): the security auditor reads and verifies the audit log and
# handles no petition; no workflow may give it a trigger or a notice.
NO_CASE_ROLES = ("auditor",)
ROLE_LABELS = {
    "reception": "接访员", "handler": "承办人", "unit_leader": "单位负责人",
    "county_supervisor": "县级督办人员", "city_supervisor": "市级督办人员",
    "admin": "系统管理员", "auditor": "安全审计员", "petitioner": "信访人", "system": "系统",
    "anonymous": "未登录",
}
INPUT_TYPES = ("text", "choice", "bool", "date", "int", "unit")


@dataclass(frozen=True)
class StepSpec:
    key: str
    label: str


@dataclass(frozen=True)
class StateSpec:
    name: str
    label: str
    step: str
    final: bool = False


@dataclass(frozen=True)
class ClockRule:
    """A time limit: days counted per domain.md §4 from a trigger date."""

    id: str
    label: str
    days: int
    unit: str  # "calendar" | "workday"
    article: str
    statutory_days: int | None
    runs_while: frozenset[str]
    paused_in: frozenset[str] = frozenset()
    max_extension_days: int = 0
    basis: str | None = None  # a stricter local rule's name, when it replaced the statutory days
    duty: bool = True  # an organ's obligation; False for a petitioner's window (复查/复核 request)
    # The role whose organ must act, when it is not the responsible unit: 复查 is decided a
    # level up (county supervisors here), 复核 by the city. Warnings and accountability go there.
    held_by: str | None = None


@dataclass(frozen=True)
class AccountabilityRule:
    """追责问责: the rule an organ breaks when this duty clock goes red (Arts. 43-45)."""

    clock: str
    article: str
    ground: str  # what was not done, as a supervisor reads it


@dataclass(frozen=True)
class NoticeSpec:
    id: str
    title: str
    template: str


@dataclass(frozen=True)
class InputSpec:
    name: str
    label: str
    type: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    min: int | None = None
    max: int | None = None
    required_if: tuple[tuple[str, str], ...] = ()
    not_after_today: bool = False

    def choice_label(self, value) -> str | None:
        return dict(self.choices).get(str(value))


@dataclass(frozen=True)
class TriggerSpec:
    name: str
    label: str
    roles: frozenset[str]
    inputs: tuple[InputSpec, ...]


@dataclass(frozen=True)
class GuardCall:
    name: str
    arg: str | None = None

    def __str__(self) -> str:
        return self.name if self.arg is None else f"{self.name}:{self.arg}"


@dataclass(frozen=True)
class ClockStart:
    clock: str
    from_: str = "event"  # "event" (today), "received", or an input name of type date


@dataclass(frozen=True)
class ClockExtend:
    clock: str
    days_from: str  # "<trigger>.<input>" stored in case data by an earlier transition


@dataclass(frozen=True)
class TransitionSpec:
    trigger: str
    source: str
    dest: str
    conditions: tuple[GuardCall, ...] = ()
    actions: tuple[str, ...] = ()
    start: tuple[ClockStart, ...] = ()
    extend: ClockExtend | None = None
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class LocalLimit:
    days: int
    basis: str


@dataclass(frozen=True)
class WorkflowSpec:
    """A validated workflow. ``warning_levels`` apply to every duty clock."""

    name: str
    title: str
    version: str  # first 12 hex of the file's SHA-256
    source: str  # file name
    initial: str
    steps: tuple[StepSpec, ...]
    states: dict[str, StateSpec]
    clocks: dict[str, ClockRule]
    notices: dict[str, NoticeSpec]
    triggers: dict[str, TriggerSpec]
    transitions: tuple[TransitionSpec, ...]
    local_limits: dict[str, dict[str, LocalLimit]] = field(default_factory=dict)
    register_start: tuple[ClockStart, ...] = ()
    register_notices: tuple[str, ...] = ()
    warning_levels: dict[str, WarningLevel] = field(default_factory=dict)
    accountability: dict[str, AccountabilityRule] = field(default_factory=dict)

    def clock_for(self, clock_id: str, region_code: str | None) -> ClockRule:
        """The clock rule as it applies in a county: a stricter local limit replaces the days."""
        rule = self.clocks[clock_id]
        local = self.local_limits.get(region_code or "", {}).get(clock_id)
        if local is None:
            return rule
        return ClockRule(**{**rule.__dict__, "days": local.days, "basis": local.basis})

    def step_of(self, state: str) -> StepSpec:
        key = self.states[state].step
        return next(s for s in self.steps if s.key == key)

    def transitions_from(self, state: str) -> list[TransitionSpec]:
        return [t for t in self.transitions if t.source == state]
