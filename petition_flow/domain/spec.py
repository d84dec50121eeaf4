"""Frozen descriptions of a workflow, as loaded from workflows/*.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field

from .levels import WarningLevel
from .roles import ROLE_LABELS, WORKFLOW_ROLES

__all__ = ["ROLE_LABELS", "ROLES"]

# Role names and labels come from the one roles table.
ROLES = WORKFLOW_ROLES
INPUT_TYPES = ("text", "choice", "bool", "date", "int", "unit")


LOCAL_SUFFIX = "@local"  # the stored rule id of a county's stricter 限时办结 clock


def base_clock_id(clock_rule_id: str) -> str:
    return clock_rule_id.split("@", 1)[0]


def is_local_clock(clock_rule_id: str) -> bool:
    return clock_rule_id.endswith(LOCAL_SUFFIX)


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
    statutory: str = ""  # the key of the code-owned limit (domain/statutory.py) it enforces


@dataclass(frozen=True)
class AccountabilityRule:
    """追责问责: the rule an organ breaks when this duty clock goes red (Arts. 43-45)."""

    clock: str
    article: str
    ground: str  # what was not done, as a supervisor reads it
    kind: str = "statutory"  # "statutory" (Arts. 43-45) | "local_limit" (限时办结超时)


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
    # A received-on date may not precede the step it answers: "state_entered" (the day the case
    # entered its current state, e.g. the reply for a delivery), "received" (the petition's
    # receipt) or "clock:<id>" (the day that clock was counted from). The petition's receipt
    # is always a lower bound too.
    not_before: str | None = None

    def choice_label(self, value) -> str | None:
        return dict(self.choices).get(str(value))


@dataclass(frozen=True)
class TriggerSpec:
    name: str
    label: str
    roles: frozenset[str]
    inputs: tuple[InputSpec, ...]
    # Irreversible: the page shows the step's effect (new deadlines, the unit that receives
    # the case, the notices issued) and asks for confirmation before it is taken.
    confirm: bool = False


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
    # For a limit the law lets the assigning bureau set (Art. 22(3) 交办): the date input that
    # holds the due date it set.
    until: str | None = None


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
        """The statutory clock rule; a county's stricter limit runs beside it (local_clock_for)."""
        return self.clocks[clock_id]

    def local_clock_for(self, clock_id: str, region_code: str | None) -> ClockRule | None:
        """The county's stricter 限时办结 limit as a clock of its own, or None.

        It runs beside the statutory clock: missing it is a breach of the local rule (限时办结超时),
        while an Art. 45 basis arises only when the statutory period is missed (domain.md §8).
        """
        rule = self.clocks[clock_id]
        local = self.local_limits.get(region_code or "", {}).get(clock_id)
        if local is None:
            return None
        return ClockRule(**{**rule.__dict__, "id": clock_id + LOCAL_SUFFIX,
                            "label": f"{rule.label}（限时办结）", "days": local.days,
                            "basis": local.basis})

    def rule_of(self, clock_rule_id: str) -> ClockRule | None:
        """The workflow rule behind a stored clock (a local clock maps to its statutory rule)."""
        return self.clocks.get(base_clock_id(clock_rule_id))

    def step_of(self, state: str) -> StepSpec:
        key = self.states[state].step
        return next(s for s in self.steps if s.key == key)

    def transitions_from(self, state: str) -> list[TransitionSpec]:
        return [t for t in self.transitions if t.source == state]
