"""Revealing a petitioner's full ID number, phone and address (信访人信息保密, 第四十七条).

Pages show these fields masked. Seeing them in full is an act of its own: it is
written to the audit log, with the reason when one is given, before the details
are returned. An administrator (who does not handle cases) must give a reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..db import retry_conflicts, write_transaction
from ..errors import ValidationError
from ..models import Party
from .actor import Actor, require_view
from .audit import AuditBatch
from .petitions import load_case


@retry_conflicts
def reveal_petitioners(session: Session, actor: Actor, now: datetime, case_id: int,
                       reason: str = "") -> list[Party]:
    """Audit the reveal, commit, and return the case's petitioners unmasked."""
    reason = (reason or "").strip()
    with write_transaction(session):
        case = load_case(session, case_id)
        if actor.role != "admin":
            require_view(actor, case)
        elif not reason:
            message = "系统管理员查看信访人信息须填写事由。"
            raise ValidationError(message, fields={"reason": message})
        if len(reason) > 200:
            raise ValidationError("事由不能超过200字。", fields={"reason": "事由不能超过200字。"})
        audit = AuditBatch(actor, now)
        audit.add("petitioner_details_revealed", case_id=case.id, case_no=case.case_no,
                  parties=[p.id for p in case.parties], reason=reason or None)
        audit.flush(session)
    return list(case.parties)
