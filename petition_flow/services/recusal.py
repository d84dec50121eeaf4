"""回避 (信访工作条例第二十八条第三款: 信访工作人员与信访事项或者信访人有直接利害关系的，应当回避).

A member of staff who declared a conflict of interest in a case, or for whom their unit
leader recorded one (services/exclusions.py), may still read the case but no longer acts on
it: every action is refused with the reason below, and they are not tasked with it (no
alerts or supervision orders about it reach them, services/confidentiality.told_about).

Only models are imported here, so services/actor.py can build on this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import PermissionDenied
from ..models import Case

if TYPE_CHECKING:
    from .acting import Actor

ARTICLE = "信访工作条例第二十八条第三款"
REFUSED = f"您已对该信访事项申请回避（{ARTICLE}），不能办理该事项，也不能被指派办理。"


def is_recused(actor: Actor, case: Case) -> bool:
    return actor.user_id is not None and any(r.user_id == actor.user_id for r in case.recusals)


def require_not_recused(actor: Actor, case: Case) -> None:
    if is_recused(actor, case):
        raise PermissionDenied(REFUSED)
