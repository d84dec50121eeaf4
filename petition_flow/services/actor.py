"""Who is acting: a user with a role in a unit of a county (or the city)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import PermissionDenied
from ..models import Case, User


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    role: str
    unit_id: int | None
    region_id: int | None
    region_kind: str = "county"

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.username, user.role, user.unit_id, user.unit.region_id,
                   user.unit.region.kind)


SYSTEM = Actor(None, "system", "system", None, None, "city")

COUNTY_ROLES = ("reception", "county_supervisor")
# 安全审计员 (等级保护 level 3, 三权分立): reads and verifies the audit log, sees no case.
AUDITOR = "auditor"
UNIT_ROLES = ("handler", "unit_leader")


def can_view(actor: Actor, case: Case) -> bool:
    """County isolation and 首办责任制: the first-handler unit keeps seeing its cases."""
    if actor.role in ("city_supervisor", "system"):
        return True
    if actor.role in COUNTY_ROLES:
        return case.region_id == actor.region_id
    if actor.role in UNIT_ROLES:
        return actor.unit_id in (case.responsible_unit_id, case.first_handler_unit_id)
    return False


def can_act(actor: Actor, case: Case) -> bool:
    """Whoever may see the case may act on it, except that among units only the currently
    responsible one acts; the first handler keeps watching."""
    if not can_view(actor, case):
        return False
    return actor.role not in UNIT_ROLES or actor.unit_id == case.responsible_unit_id


def can_see_parties(actor: Actor, case: Case) -> bool:
    """Who sees a petitioner's identity unmasked (need to know): the county's reception and
    supervisors, and the handlers of the unit now responsible. Everyone else who may view the
    case (unit leaders, a first-handler unit after hand-over, the city) sees it masked."""
    if actor.role in COUNTY_ROLES:
        return case.region_id == actor.region_id
    if actor.role == "handler":
        return case.responsible_unit_id is not None and actor.unit_id == case.responsible_unit_id
    return False


def require_view(actor: Actor, case: Case) -> None:
    if not can_view(actor, case):
        raise PermissionDenied("该信访事项不属于您所在的县（区）或单位，无权查看。")


def require_act(actor: Actor, case: Case) -> None:
    require_view(actor, case)
    if not can_act(actor, case):
        raise PermissionDenied("该信访事项已移交其他单位办理，您的单位只能查看，不能操作。")


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise PermissionDenied("您的角色无权执行此操作。")
