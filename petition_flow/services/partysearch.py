"""Finding the cases of a petitioner by ID number or phone (exact match), although both are
encrypted at rest: through their keyed blind indexes (issue 12). Only cases the actor may
view are returned."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..errors import ValidationError
from ..models import Case, Party, blind_index
from .actor import Actor, can_view


def cases_of_petitioner(session: Session, actor: Actor, *, id_number: str = "",
                        phone: str = "", limit: int = 50) -> list[Case]:
    id_number, phone = id_number.strip().upper(), phone.strip().replace(" ", "")
    if not id_number and not phone:
        raise ValidationError("请填写身份证号或手机号。")
    clauses = []
    if id_number:
        clauses.append(Party.id_number_index == blind_index("id_number", id_number))
    if phone:
        clauses.append(Party.phone_index == blind_index("phone", phone))
    rows = session.execute(
        select(Case).where(Case.id.in_(select(Party.case_id).where(or_(*clauses))))
        .order_by(Case.received_at.desc()).limit(limit)).scalars()
    return [case for case in rows if can_view(actor, case)]
