"""Named handlers (承办人): the leader of the responsible unit assigns a case to one of the
unit's handlers, and may reassign it; each assignment is audited and shown on the case page,
and the handler's lists put the cases assigned to them first ("我的").

首办责任制 and 限时办结 make a unit answerable for a case; naming the person inside the unit
makes that answer concrete, and lets each handler see their own work first. An
assignment holds while its handler's unit is responsible: once the case moves to another
unit, the old name is no longer shown and that unit's leader names its own handler.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import retry_conflicts, write_transaction
from ..domain.roles import ASSIGNABLE_ROLES
from ..errors import ConcurrentChangeError, ValidationError
from ..models import Case, User
from .actor import Actor, can_act, require_act, require_permission
from .audit import AuditBatch
from .confidentiality import hidden_from
from .petitions import load_case
from .recusal import is_recused

CHOOSE = "请选择本单位的承办人。"


def _candidates(session: Session, unit_id: int | None, case: Case) -> list[User]:
    if unit_id is None:
        return []
    users = session.execute(select(User).where(User.unit_id == unit_id,
                                               User.active.is_(True),
                                               User.role.in_(ASSIGNABLE_ROLES))
                            .order_by(User.display_name, User.id)).scalars().all()
    return [u for u in users if not is_recused(Actor.of(u), case)
            and not hidden_from(Actor.of(u), case)]


def may_assign(actor: Actor, case: Case) -> bool:
    return actor.may("lead_unit") and can_act(actor, case) \
        and actor.unit_id == case.responsible_unit_id and case.closed_at is None


def handler_choices(session: Session, actor: Actor, case: Case) -> list[tuple[int, str]]:
    """Whom this actor may name as the case's handler (empty: they may not assign)."""
    if not may_assign(actor, case):
        return []
    return [(u.id, u.display_name) for u in _candidates(session, actor.unit_id, case)]


def assigned_handler(session: Session, case: Case) -> User | None:
    """The named handler, while their unit is the responsible one."""
    if case.assigned_user_id is None:
        return None
    user = session.get(User, case.assigned_user_id)
    return user if user is not None and user.unit_id == case.responsible_unit_id else None


@retry_conflicts
def assign_handler(session: Session, actor: Actor, now: datetime, case_id: int, user_id: int,
                   expected_version: int | None = None) -> User:
    """指派承办人: name (or rename) the handler of the unit for this case; audited."""
    with write_transaction(session):
        case = load_case(session, case_id, for_update=True)
        require_act(actor, case)
        require_permission(actor, "lead_unit")
        if expected_version is not None and case.version_id != expected_version:
            raise ConcurrentChangeError()
        if not may_assign(actor, case):
            raise ValidationError("该信访事项已办结或不由本单位承办，不能指派承办人。")
        target = next((u for u in _candidates(session, actor.unit_id, case)
                       if u.id == user_id), None)
        if target is None:
            raise ValidationError(CHOOSE, fields={"assignee": CHOOSE})
        before = assigned_handler(session, case)
        if before is not None and before.id == target.id:
            message = f"该信访事项已指派给{target.display_name}。"
            raise ValidationError(message, fields={"assignee": message})
        case.assigned_user_id = target.id
        case.updated_at = now
        audit = AuditBatch(actor, now)
        audit.add("handler_assigned", case_id=case.id, unit_id=actor.unit_id,
                  user_id=target.id, username=target.username, name=target.display_name,
                  previous_user_id=before.id if before else None,
                  previous_name=before.display_name if before else None)
        audit.flush(session)
    return target
