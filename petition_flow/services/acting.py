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

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.username, user.role, user.unit_id, user.unit.region_id,
                   user.unit.region.kind)

    @property
    def role_def(self) -> Role:
        return role(self.role)

    def may(self, permission: str) -> bool:
        return self.role_def.may(permission)


SYSTEM = Actor(None, SYSTEM_NAME, SYSTEM_ROLE, None, None, "city")
