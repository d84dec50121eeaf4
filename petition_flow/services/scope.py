"""Which cases an actor sees: one predicate per scope, rendered twice side by side.

``matches(actor, case)`` answers for one loaded case (a page, an API detail, a use case);
``clause(actor)`` is the same rule as SQL for lists, counts, dashboards, exports and alerts.
Each scope's two renderings sit next to each other so they are read and changed together; a
property test over generated actors and cases checks on both databases that they agree.

- city: every county's cases (市级督办);
- county: the cases of the actor's county (县域), and for the city's own bureau the county cases
  it follows (``upper_region_id``): those it sent down (交办、转送, 信访工作条例第二十二条) and
  those a county reported up as major or urgent (第二十五条);
- unit: what the actor's unit handles now or first handled (首办责任制: the first-handler unit
  keeps seeing a case it handed over);
- none: nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import and_, false, or_, true

from ..domain.roles import role
from ..models import Case, Region
from .confidentiality import hidden_clause

if TYPE_CHECKING:
    from .acting import Actor


class _City:
    @staticmethod
    def matches(actor: Actor, case) -> bool:
        return True

    @staticmethod
    def clause(actor: Actor):
        return true()

    @staticmethod
    def region_clause(actor: Actor):
        return true()


class _County:
    @staticmethod
    def matches(actor: Actor, case) -> bool:
        return actor.region_id is not None and actor.region_id in (
            case.region_id, case.upper_region_id)

    @staticmethod
    def clause(actor: Actor):
        if actor.region_id is None:
            return false()
        return or_(Case.region_id == actor.region_id,
                   Case.upper_region_id == actor.region_id)

    @staticmethod
    def region_clause(actor: Actor):
        return Region.id == actor.region_id if actor.region_id is not None else false()


class _Unit:
    @staticmethod
    def matches(actor: Actor, case) -> bool:
        return actor.unit_id is not None and actor.unit_id in (
            case.responsible_unit_id, case.first_handler_unit_id)

    @staticmethod
    def clause(actor: Actor):
        if actor.unit_id is None:
            return false()
        return or_(Case.responsible_unit_id == actor.unit_id,
                   Case.first_handler_unit_id == actor.unit_id)

    @staticmethod
    def region_clause(actor: Actor):
        return _County.region_clause(actor)


class _Nothing:
    @staticmethod
    def matches(actor: Actor, case) -> bool:
        return False

    @staticmethod
    def clause(actor: Actor):
        return false()

    @staticmethod
    def region_clause(actor: Actor):
        return false()


SCOPE_RULES = {"city": _City, "county": _County, "unit": _Unit, "none": _Nothing}


def matches(actor: Actor, case) -> bool:
    """Whether the actor's scope covers the case (before confidentiality rules)."""
    return SCOPE_RULES[role(actor.role).scope].matches(actor, case)


def clause(actor: Actor):
    """The same rule as a WHERE clause on ``cases``."""
    return SCOPE_RULES[role(actor.role).scope].clause(actor)


def region_clause(actor: Actor):
    """The counties whose figures the actor may see, as a WHERE clause on ``regions``."""
    return SCOPE_RULES[role(actor.role).scope].region_clause(actor)


def visible_clause(actor: Actor):
    """The cases the actor may see, as SQL: the SQL twin of ``actor.can_view`` — the role's
    scope, and never a 检举控告 accusing the actor or their unit (第三十条第三款)."""
    return and_(clause(actor), ~hidden_clause(actor))
