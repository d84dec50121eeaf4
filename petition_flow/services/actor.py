"""Who is acting: a user with a role in a unit of a county (or the city), and what the roles
table (domain/roles.py) lets that role see and do."""

from __future__ import annotations

from ..domain.roles import SYSTEM_ROLE
from ..errors import NotFoundError, PermissionDenied
from ..models import Case
from . import scope
from .acting import CONSOLE_NAME, SYSTEM, Actor, console_actor  # noqa: F401  (re-exported)
from .confidentiality import hidden_from
from .recusal import is_recused, require_not_recused

CASE_NOT_FOUND = "未找到该信访事项。"


def can_view(actor: Actor, case: Case) -> bool:
    """County isolation and 首办责任制, per the role's scope (services/scope.py), and never a
    检举控告 the actor or their unit is accused in (第三十条第三款)."""
    return scope.matches(actor, case) and not hidden_from(actor, case)


def can_act(actor: Actor, case: Case) -> bool:
    """Whoever handles cases and may see one may act on it, except that among units only the
    currently responsible one acts (the first handler keeps watching), and never a user who
    has declared or been recorded a conflict of interest (回避, 第二十八条第三款). A bureau that
    sent a matter down to a county (第二十二条第二项、第三项) watches and supervises it from there
    on; the county that now holds it acts."""
    if not can_view(actor, case) or not (actor.may("cases") or actor.role == SYSTEM_ROLE):
        return False
    if is_recused(actor, case):
        return False
    if actor.role_def.scope == "county":
        return actor.region_id == case.region_id
    return actor.role_def.scope != "unit" or actor.unit_id == case.responsible_unit_id


def require_view(actor: Actor, case: Case) -> None:
    """A case outside the actor's view does not exist for them: the same answer as a missing
    one, so that a 403 never tells anyone that a case number is in use."""
    if not can_view(actor, case):
        raise NotFoundError(CASE_NOT_FOUND)


def require_act(actor: Actor, case: Case) -> None:
    require_view(actor, case)
    require_not_recused(actor, case)
    if not can_act(actor, case):
        if actor.role_def.scope == "county":
            raise PermissionDenied("该信访事项已交办、转送下级办理，您只能查看，不能操作。")
        raise PermissionDenied("该信访事项已移交其他单位办理，您的单位只能查看，不能操作。")


def require_permission(actor: Actor, permission: str) -> None:
    if not (actor.may(permission) or actor.role == SYSTEM_ROLE and permission == "administer"):
        raise PermissionDenied("您的角色无权执行此操作。")
