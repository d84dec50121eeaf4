"""Internal notes on a case (内部备注): what staff tell each other about a case — a phone
call, a lead, a caution. Staff only: they are read by no public page, no notice and no
printed document (the portal and the notice renderers never query this table), and they are
added, never edited or deleted, each audited with the SHA-256 of its text so the note shown
is provably the one written (等保 安全审计).

Who may read or write them: whoever may view the case among the roles that handle cases;
a user recused from the case (第二十八条第三款) may read but not write. Text is masked for
readers without need to know like every free-text field of the case (disclosure.text_for).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import retry_conflicts, write_transaction
from ..errors import PermissionDenied, ValidationError
from ..models import Case, CaseNote, User
from .actor import Actor, require_view
from .audit import AuditBatch
from .disclosure import text_for
from .petitions import load_case
from .recusal import require_not_recused

NOTE_MAX = 2000


@dataclass(frozen=True)
class NoteView:
    id: int
    body: str
    author: str
    created_at: datetime


def _require_staff(actor: Actor) -> None:
    if not actor.may("cases"):
        raise PermissionDenied("只有办理信访事项的工作人员可以查看和填写内部备注。")


@retry_conflicts
def add_note(session: Session, actor: Actor, now: datetime, case_id: int,
             body: str) -> CaseNote:
    """Add an internal note to a case; audited with the hash of its text."""
    _require_staff(actor)
    body = (body or "").strip()
    with write_transaction(session):
        case = load_case(session, case_id)
        require_view(actor, case)
        require_not_recused(actor, case)
        if not body:
            raise ValidationError("请填写备注内容。", fields={"body": "请填写备注内容。"})
        if len(body) > NOTE_MAX:
            message = f"备注不能超过{NOTE_MAX}字（现为{len(body)}字）。"
            raise ValidationError(message, fields={"body": message})
        note = CaseNote(case_id=case.id, body=body, created_at=now,
                        author_user_id=actor.user_id)
        session.add(note)
        session.flush()
        audit = AuditBatch(actor, now)
        audit.add("case_note_added", case_id=case.id, note_id=note.id, length=len(body),
                  sha256=hashlib.sha256(body.encode()).hexdigest())
        audit.flush(session)
    return note


def notes_for(session: Session, actor: Actor, case: Case) -> list[NoteView]:
    """The case's internal notes, oldest first, as this actor may read them."""
    _require_staff(actor)
    require_view(actor, case)
    rows = session.execute(select(CaseNote, User.display_name)
                           .outerjoin(User, User.id == CaseNote.author_user_id)
                           .where(CaseNote.case_id == case.id).order_by(CaseNote.id)).all()
    return [NoteView(n.id, text_for(actor, case, n.body), who or "—", n.created_at)
            for n, who in rows]
