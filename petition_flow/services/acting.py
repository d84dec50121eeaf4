"""Who is acting (Actor): a user with a role in a unit of a county (or the city), or the
system. Apart from the access rules of actor.py, which build on scope.py, confidentiality.py
and recusal.py, so that those modules can name the Actor they take without an import circle."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.roles import SYSTEM_NAME, SYSTEM_ROLE, Role, role
from ..models import User


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    role: str
    unit_id: int | None
    region_id: int | None
    region_kind: str = "county"
    # The client's network address when the actor acts through a page or the API (behind a
    # proxy: as TRUSTED_PROXIES lets proxy.py read it); every audit entry records it.
    address: str | None = None
    # The unit's name as read with the user for this request: a notice names its issuer
    # without reading the unit again (issue 18).
    unit_name: str | None = None

    @classmethod
    def of(cls, user: User, address: str | None = None) -> Actor:
        return cls(user.id, user.username, user.role, user.unit_id, user.unit.region_id,
                   user.unit.region.kind, (address or None) and address[:64], user.unit.name)

    @property
    def role_def(self) -> Role:
        return role(self.role)

    def may(self, permission: str) -> bool:
        return self.role_def.may(permission)


SYSTEM = Actor(None, SYSTEM_NAME, SYSTEM_ROLE, None, None, "city")
CONSOLE_NAME = "控制台操作员"


def console_actor(os_user: str) -> Actor:
    """Whoever runs a ``petition-flow`` account or organisation command at the server's
    console: audited as 控制台操作员 with their operating-system user name."""
    return Actor(None, f"{CONSOLE_NAME}（{os_user or '未知'}）"[:64], SYSTEM_ROLE, None, None,
                 "city")
