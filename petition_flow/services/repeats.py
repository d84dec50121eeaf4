"""Repeat petitions (重复信访) and finality.

Candidates share a petitioner — the ID number, else name and phone — and the
matter reads alike. While the earlier case has been accepted or is being handled within its
time limit, or is pending with a higher organ (复查/复核), the new one is a repeat
(信访工作条例第十九条第三款); a finished, not-accepted, diverted or overdue one does not make it
one. After 复核 on the same facts and reasons it is not accepted again (第三十六条第三款).
Staff decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..clock import local_date
from ..domain.guards import earlier_case_pending
from ..domain.identity import similarity
from ..domain.spec import is_local_clock
from ..models import Case, Party, blind_index
from .actor import Actor, can_view
from .workflows import engine_for

SIMILAR = 0.4  # Dice over character bigrams; tuned on the demo and test matters


@dataclass(frozen=True)
class RepeatMatch:
    case_id: int
    case_no: str
    state: str
    received_on: date
    summary: str
    score: float
    open: bool  # accepted or in handling within its limit, or pending higher up (Art. 19 ¶3)
    finalized: bool  # concluded after 复核


def repeat_blocks(case: Case, today: date) -> bool:
    """Whether ``case`` makes a new petition on the same matter a repeat (Art. 19 ¶3)."""
    spec = engine_for(case).spec
    state = spec.states.get(case.state)
    # The statutory periods only: a missed local 限时办结 target does not end the handling.
    overdue = any(c.duty and c.status != "stopped" and c.due_date < today
                  and not is_local_clock(c.rule) for c in case.clocks)
    return earlier_case_pending(state is not None and state.answered,
                                state is None or state.final, overdue)


def _same_petitioner(ids: list[str], pairs: list[tuple[str, str]]) -> list:
    """Parties of the same person: the ID number, else name and phone. Both are encrypted at
    rest, so the blind indexes are matched (issue 12)."""
    clauses = [Party.id_number_index.in_([blind_index("id_number", i) for i in ids])] \
        if ids else []
    clauses += [and_(Party.name == n, Party.phone_index == blind_index("phone", ph))
                for n, ph in pairs]
    return clauses


def find_repeats(session: Session, actor: Actor, form) -> list[RepeatMatch]:
    ids = [p["id_number"] for p in form.petitioners if p["id_number"]]
    pairs = [(p["name"], p["phone"]) for p in form.petitioners
             if not p["id_number"] and p["phone"]]
    clauses = _same_petitioner(ids, pairs)
    if not clauses:
        return []
    rows = session.execute(
        select(Case).where(Case.id.in_(select(Party.case_id).where(or_(*clauses))))
        .order_by(Case.received_at.desc()).limit(50)
    ).scalars()
    text = f"{form.summary} {form.request} {form.facts_and_reasons}"
    out = []
    for case in rows:
        if not can_view(actor, case):
            continue
        score = similarity(text, f"{case.summary} {case.request} {case.facts_and_reasons}")
        if score >= SIMILAR:
            out.append(RepeatMatch(case.id, case.case_no, case.state,
                                   local_date(case.received_at), case.summary, round(score, 2),
                                   repeat_blocks(case, local_date(form.received_at)),
                                   bool(case.data.get("recheck_concluded"))))
    return sorted(out, key=lambda m: -m.score)
