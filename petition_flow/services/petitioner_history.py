"""同一信访人的其他信访事项: a returning petitioner's other cases, beside the new matter.

Kept apart from repeats.py (which registration imports) because it reads through the
disclosure policy, which itself depends on the case use cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..clock import local_date
from ..models import Case, Party
from . import disclosure, queries
from .actor import Actor


@dataclass(frozen=True)
class OtherCase:
    case_id: int
    case_no: str
    state: str
    received_on: date
    summary: str


OTHER_CASES_SHOWN = 20


def other_cases(session: Session, actor: Actor, case: Case) -> tuple[list[OtherCase], int]:
    """The same petitioners' other cases the reader may see, newest first, and how many there
    are: reception and handlers see a person's history beside the new matter (信访工作条例第十九条
    asks whether it was petitioned before). Matching uses identity, so only a reader who needs
    to know who the petitioner is (services/disclosure.py) is shown it."""
    if case.anonymous or not disclosure.needs_to_know(actor, case):
        return [], 0
    parties = list(case.parties)
    clauses = [Party.id_number_index == p.id_number_index for p in parties
               if p.id_number_index]
    clauses += [and_(Party.name == p.name, Party.phone_index == p.phone_index)
                for p in parties if not p.id_number_index and p.phone_index]
    if not clauses:
        return [], 0
    where = (Case.id.in_(select(Party.case_id).where(or_(*clauses))), Case.id != case.id,
             queries.scope_clause(actor))
    total = session.execute(select(func.count()).select_from(Case).where(*where)).scalar_one()
    if not total:
        return [], 0
    rows = session.execute(
        select(Case.id, Case.case_no, Case.state, Case.received_at, Case.summary,
               Case.region_id, Case.responsible_unit_id, Case.registered_unit_id,
               Case.upper_region_id)
        .where(*where).order_by(Case.received_at.desc(), Case.id.desc())
        .limit(OTHER_CASES_SHOWN)).all()
    return [OtherCase(r.id, r.case_no, r.state, local_date(r.received_at),
                      disclosure.row_text_for(actor, r, r.summary)) for r in rows], total
