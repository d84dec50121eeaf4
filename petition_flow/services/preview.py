"""What an irreversible step will do, before it is done (研判分类, 转送, 受理, 办结, 批准延期…).

The step is run exactly as ``fire_transition`` would run it — the same rules, guards,
deadline computations and notices — inside a write transaction that is then rolled back, so
the confirmation page shows the real effect and nothing is written, not even to the audit
log. Which steps ask for confirmation is workflow data (``confirm: true`` on a trigger).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..db import begin_write
from ..errors import ConcurrentChangeError
from ..models import Notice, Unit
from .actor import Actor, require_act
from .petitions import _fire, engine_for, load_case


@dataclass(frozen=True)
class DeadlineEffect:
    label: str
    due_date: date
    old_due_date: date | None = None  # set when an existing deadline moves (延期)
    stops: bool = False  # the deadline stops being counted


@dataclass
class Preview:
    case_no: str
    trigger: str
    label: str
    state_before: str
    state_after: str
    unit_before: str | None
    unit_after: str | None
    deadlines: list[DeadlineEffect] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    closes: bool = False

    @property
    def unit_changes(self) -> bool:
        return self.unit_after != self.unit_before


def _unit(session: Session, unit_id: int | None) -> str | None:
    return session.get(Unit, unit_id).name if unit_id else None


def preview_transition(session: Session, actor: Actor, now: datetime, case_id: int,
                       trigger: str, inputs: dict[str, Any] | None = None,
                       expected_version: int | None = None) -> Preview:
    """The effect of firing ``trigger`` now; raises what fire_transition would raise."""
    begin_write(session)
    try:
        case = load_case(session, case_id, for_update=True)
        if not actor.role_def.public:
            require_act(actor, case)
        if expected_version is not None and case.version_id != expected_version:
            raise ConcurrentChangeError()
        spec = engine_for(case).spec
        before = {c.id: (c.status, c.due_date) for c in case.clocks}
        state_before, unit_before = case.state, case.responsible_unit_id
        was_closed = case.closed_at is not None
        issued = set(session.execute(select(Notice.id).where(Notice.case_id == case.id))
                     .scalars())
        # A rolled-back step keeps no document: no notice's PDF is rendered inside a step
        # (notices.issue_notice), so a preview leaves no file on disk.
        _fire(session, actor, now, case, trigger, inputs or {})
        session.flush()
        deadlines = []
        for clock in case.clocks:
            label = clock.label
            if clock.id not in before:
                deadlines.append(DeadlineEffect(label, clock.due_date))
                continue
            status, due = before[clock.id]
            if status != "stopped" and clock.status == "stopped":
                deadlines.append(DeadlineEffect(label, clock.due_date, stops=True))
            elif due != clock.due_date:
                deadlines.append(DeadlineEffect(label, clock.due_date, old_due_date=due))
        notices = list(session.execute(
            select(Notice.title).where(Notice.case_id == case.id, Notice.id.notin_(issued))
            .order_by(Notice.id)).scalars())
        return Preview(
            case_no=case.case_no, trigger=trigger, label=spec.triggers[trigger].label,
            state_before=spec.states[state_before].label,
            state_after=spec.states[case.state].label,
            unit_before=_unit(session, unit_before),
            unit_after=_unit(session, case.responsible_unit_id),
            deadlines=deadlines, notices=notices,
            closes=not was_closed and case.closed_at is not None)
    except StaleDataError:
        raise ConcurrentChangeError() from None
    finally:
        session.rollback()  # nothing of the preview is kept
