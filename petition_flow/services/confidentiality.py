"""检举控告 kept from the accused (信访工作条例第三十条第三款: 检举控告材料不得透露、转送给
被检举控告的人员或者单位; a breach is sanctioned under 第四十六条第五项).

Once staff record who a 检举控告 accuses (services/exclusions.py), a user of an accused unit
and an accused user cannot see the case anywhere: it does not exist for them (404 on every
page and in the API, absent from every list, count, inbox and alert), it cannot be transferred,
assigned or handed over to an accused unit, and they are never told about it.

The rule is written once, in two renderings kept side by side: ``hidden_from`` for one case in
Python and ``hidden_clause`` for SQL; a property test checks over generated data that they
agree on both databases. Accused persons named in free text are not users and hide nothing.

Only models are imported here, so services/actor.py can build on this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from ..errors import NotFoundError, ValidationError
from ..models import Case, CaseAccused, Recusal

if TYPE_CHECKING:
    from .acting import Actor

ARTICLE = "信访工作条例第三十条第三款"
NOT_FOUND = "未找到该信访事项。"  # exactly what a missing case answers


# --- the rule, twice ----------------------------------------------------------------------

def hidden_from(actor: Actor, case: Case) -> bool:
    """True when ``actor`` belongs to an accused unit of ``case`` or is an accused user."""
    if actor.unit_id is None and actor.user_id is None:
        return False
    return any((a.unit_id is not None and a.unit_id == actor.unit_id)
               or (a.user_id is not None and a.user_id == actor.user_id)
               for a in case.accused)


def hidden_clause(actor: Actor, case_id=Case.id):
    """SQL twin of ``hidden_from``: true for the cases hidden from ``actor``. ``case_id`` is the
    column naming the case (``Case.id``, or e.g. ``InboxItem.case_id`` for rows about cases)."""
    if actor.unit_id is None and actor.user_id is None:
        return false()
    return case_id.in_(accusing(actor))


def accusing(actor: Actor):
    """The ids of the cases accusing the actor's unit or the actor (ix_case_accused_*)."""
    return select(CaseAccused.case_id).where(or_(
        CaseAccused.unit_id == actor.unit_id if actor.unit_id is not None else false(),
        CaseAccused.user_id == actor.user_id if actor.user_id is not None else false()))


# --- what follows from it -----------------------------------------------------------------

def require_not_hidden(actor: Actor, case: Case, message: str = NOT_FOUND) -> None:
    """Answer exactly as for a case (or, with its ``message``, an order…) that does not exist."""
    if hidden_from(actor, case):
        raise NotFoundError(message)


def accused_units(case_id: int):
    """The ids of the units a case accuses, for ``Unit.id.notin_(…)`` (a form's choices)."""
    return select(CaseAccused.unit_id).where(CaseAccused.case_id == case_id,
                                             CaseAccused.unit_id.is_not(None))


def is_accused_unit(case: Case, unit_id: int | None) -> bool:
    return unit_id is not None and any(a.unit_id == unit_id for a in case.accused)


def require_not_accused_unit(case: Case, unit_id: int, field: str = "unit") -> None:
    """A matter never goes to a unit it accuses: transfer, assignment and hand-over."""
    if is_accused_unit(case, unit_id):
        message = (f"该单位是本检举控告事项的被检举控告单位。依照{ARTICLE}，检举控告材料不得"
                   "转送、交办或移交给被检举控告的单位，请另选承办单位。")
        raise ValidationError(message, fields={field: message})


def kept_out_by_case(session: Session, case_ids) -> dict[int, tuple[set[int], set[int]]]:
    """For each case, (accused unit ids, user ids never to be told about it: accused or
    recused); two queries however many cases (the sweep reads a batch's at once)."""
    out: dict[int, tuple[set[int], set[int]]] = {i: (set(), set()) for i in case_ids}
    if not out:
        return out
    for case_id, unit_id, user_id in session.execute(
            select(CaseAccused.case_id, CaseAccused.unit_id, CaseAccused.user_id)
            .where(CaseAccused.case_id.in_(out))):
        if unit_id is not None:
            out[case_id][0].add(unit_id)
        if user_id is not None:
            out[case_id][1].add(user_id)
    for case_id, user_id in session.execute(
            select(Recusal.case_id, Recusal.user_id).where(Recusal.case_id.in_(out))):
        out[case_id][1].add(user_id)
    return out


def kept_out_user_ids(session: Session, case_id: int) -> tuple[set[int], set[int]]:
    """(accused unit ids, user ids never to be told about the case: accused or recused)."""
    return kept_out_by_case(session, [case_id])[case_id]


def without_kept_out(recipients: list, kept_out: tuple[set[int], set[int]]) -> list:
    """The recipients who are neither of an accused unit nor accused or recused themselves."""
    units, users = kept_out
    if not units and not users:
        return recipients
    return [r for r in recipients if r.unit_id not in units and r.user_id not in users]


def told_about(session: Session, case_id: int | None, recipients: list) -> list:
    """The recipients (inbox.Recipient) who may be told about a case: not of an accused unit,
    not accused (Art. 30 ¶3), not recused (Art. 28 ¶3: a recused member is not tasked)."""
    if case_id is None or not recipients:
        return recipients
    return without_kept_out(recipients, kept_out_user_ids(session, case_id))
