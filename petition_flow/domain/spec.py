"""Frozen descriptions of a workflow, as loaded from workflows/*.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field

from .levels import WarningLevel
from .roles import ROLE_LABELS, WORKFLOW_ROLES

__all__ = ["ROLE_LABELS", "ROLES"]

# Role names and labels come from the one roles table.
ROLES = WORKFLOW_ROLES
INPUT_TYPES = ("text", "choice", "bool", "date", "int", "unit")
MAX_ID = 2**31 - 1  # the largest key a row can have (PostgreSQL INTEGER); the one definition

# The case columns a trigger's inputs may fill (``case_fields:`` in the YAML): the rest of a
# trigger's inputs stay in the case's data under the trigger's name.
CASE_COLUMNS = ("category", "route", "litigation_related", "simple", "major_urgent")

# Flags a state may carry (``states.<id>.<flag>: true``), read by code instead of state ids.
STATE_FLAGS = {
    "closes_case": "the case counts as 办结 when it enters this state (final states always do)",
    "answered": "the matter has been answered: a new petition on it is no repeat under Art. 19 ¶3",
    "refusal": "the unit decided not to accept the matter (不予受理, Art. 23)",
}

# What a clock measures (``clocks.<id>.measures``): the figures and lists count by it.
CLOCK_MEASURES = ("handling_time",)  # 办理期限 (Art. 34, and 简易办理)

# What a trigger does, for code that must find it (``triggers.<id>.tags``) instead of its id.
TRIGGER_TAGS = {
    "classifies": "records the classification (研判分类); its roles are the triage staff",
    "opinion": "issues the written handling opinion whose outcome 复查 compares against",
    "delivery": "serves the written reply; its delivered_on input is the day of service",
    "evaluation": "records the petitioner's rating (满意度评价) in its rating input",
    "follows_up": "records the follow-up visit (回访) a dissatisfied rating needs",
    "requests_review": "records a 复查 request (Art. 35)",
    "decides_review": "records the 复查 opinion, with an outcome input",
    "requests_recheck": "records a 复核 request (Art. 36)",
}


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
    closes_case_flag: bool = False
    answered: bool = False
    refusal: bool = False

    @property
    def closes_case(self) -> bool:
        return self.final or self.closes_case_flag


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
    measures: str | None = None  # one of CLOCK_MEASURES, e.g. "handling"


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
    doc_type: str = "告"  # the type in its 发文字号 (GB/T 9704-2012 §7.2.4): 告、意、函…
    served: bool = True  # handed to the petitioner against a 送达回证 (签收)
    internal: bool = False  # sent to an organ, never shown to the petitioner (e.g. 异议函)


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
    tags: frozenset[str] = frozenset()
    case_fields: tuple[tuple[str, str], ...] = ()  # (input, case column) pairs
    public: str | None = None  # the petitioner's plain words for the event; {unit} is filled in
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
class ExtensionApproval:
    state: str  # the case waits here for the leader
    request: str  # the trigger whose inputs (days, reason) hold the request
    approve: str
    refuse: tuple[str, ...]


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

    def tagged(self, tag: str) -> tuple[str, ...]:
        """The ids of the triggers carrying ``tag`` (TRIGGER_TAGS), in file order."""
        return tuple(name for name, t in self.triggers.items() if tag in t.tags)

    def trigger_tags(self) -> dict[str, tuple[str, ...]]:
        """Every tag of TRIGGER_TAGS with the triggers carrying it (what a CaseView holds)."""
        return {tag: self.tagged(tag) for tag in TRIGGER_TAGS}

    def tagged_one(self, tag: str) -> str | None:
        found = self.tagged(tag)
        return found[0] if found else None

    def states_where(self, flag: str) -> tuple[str, ...]:
        """The ids of the states with ``flag`` (STATE_FLAGS) set, in file order."""
        return tuple(name for name, s in self.states.items() if getattr(s, flag))

    def clocks_measuring(self, what: str) -> tuple[ClockRule, ...]:
        return tuple(c for c in self.clocks.values() if c.measures == what)

    def states_measured(self, what: str) -> frozenset[str]:
        """The states in which a clock measuring ``what`` runs (e.g. the handling states)."""
        return frozenset().union(*(c.runs_while for c in self.clocks_measuring(what)))

    def extension_approval(self) -> ExtensionApproval | None:
        """The extension request a leader decides, read from the transitions: the transition
        that extends a clock is the approval; its source is the pending state; the other
        transitions out of that state are the refusals; ``days_from`` names the request."""
        approve = next((t for t in self.transitions if t.extend is not None), None)
        if approve is None:
            return None
        refuse = tuple(dict.fromkeys(t.trigger for t in self.transitions_from(approve.source)
                                     if t.trigger != approve.trigger))
        request = approve.extend.days_from.partition(".")[0]
        return ExtensionApproval(approve.source, request, approve.trigger, refuse)

    def step_of(self, state: str) -> StepSpec:
        key = self.states[state].step
        return next(s for s in self.steps if s.key == key)

    def transitions_from(self, state: str) -> list[TransitionSpec]:
        return [t for t in self.transitions if t.source == state]
