"""One disclosure policy for petitioners' identity, used by every channel (信访人信息保密:
信访工作条例第三十条、第四十七条; 个人信息保护法第六条 "最小必要").

Given (actor, case, purpose) the policy answers *unmasked*, *masked* or *refused*:

- a case the actor may not view is refused for every purpose (it does not exist for them);
- reading a case — its page, the API detail, a list, an export — shows petitioners masked, by
  one masking function (``mask_party``): the surname only, the ID number and phone with their
  middle digits hidden, the first six characters of the address;
- revealing (an explicit act with a non-empty reason, written to the audit log before the
  details are returned) is allowed only to those who need to know: the roles table's
  ``parties`` column (domain/roles.py) — the county's reception and supervisors, and the
  handlers of the unit now responsible; everyone else is refused;
- a notice is shown as issued (the petitioner's name, the query code) to those same people,
  and masked to everyone else who may view the case;
- the petitioner's channel (purpose ``public``: the public query page, its notices and
  messages, 信访工作条例第二十一条) is open only to the roles table's public role, whose
  query code was matched before; it gets notices with every identifying value masked
  (``petitioner_notice_text``), because whoever holds the code need not be the petitioner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ..db import retry_conflicts, write_transaction
from ..domain.identity import (
    mask_address,
    mask_code,
    mask_free_text,
    mask_id_number,
    mask_name,
    mask_phone,
)
from ..errors import PermissionDenied, ValidationError
from ..models import Case, Party
from . import scope
from .actor import Actor, can_view, require_view
from .audit import AuditBatch
from .petitions import load_case

UNMASKED, MASKED, REFUSED = "unmasked", "masked", "refused"
PURPOSES = ("read", "reveal", "notice", "export", "public")
REASON_MAX = 200


def needs_to_know(actor: Actor, case: Case) -> bool:
    """Whether the actor may see this case's petitioners in full (after an audited reveal)."""
    return can_view(actor, case) and _role_allows(actor, case)


def _role_allows(actor: Actor, case) -> bool:
    """The roles table's ``parties`` condition, for a case already known to be in view."""
    match actor.role_def.parties:
        case "scope":  # the county that holds the case: not the city bureau that sent it
            # down or was told of it (信访工作条例第四十七条: only those who need to know)
            return actor.role_def.scope != "county" or case.region_id == actor.region_id
        case "responsible_unit":
            return case.responsible_unit_id is not None and \
                actor.unit_id == case.responsible_unit_id
    return False


def decide(actor: Actor, case: Case, purpose: str) -> str:
    """unmasked, masked or refused: what ``actor`` gets of the petitioners for ``purpose``."""
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    if purpose == "public":
        return MASKED if actor.role_def.public else REFUSED
    if not can_view(actor, case):
        return REFUSED
    full = needs_to_know(actor, case)
    if purpose == "reveal":
        return UNMASKED if full else REFUSED
    if purpose == "notice":
        return UNMASKED if full else MASKED
    return MASKED


@dataclass(frozen=True)
class PartyRecord:
    id: int
    name: str
    id_number: str
    phone: str
    address: str
    representative: bool
    masked: bool


@dataclass(frozen=True)
class Parties:
    masked: bool
    anonymous: bool
    items: list[PartyRecord]


def mask_party(p: Party) -> PartyRecord:
    """The one masking of a petitioner, for pages, API, notices and exports alike."""
    return PartyRecord(p.id, mask_name(p.name), mask_id_number(p.id_number),
                       mask_phone(p.phone), mask_address(p.address), p.representative, True)


def full_party(p: Party) -> PartyRecord:
    return PartyRecord(p.id, p.name, p.id_number or "", p.phone or "", p.address or "",
                       p.representative, False)


def parties_for(case: Case, revealed: list[Party] | None = None) -> Parties:
    """The case's petitioners as shown: in full only when just revealed, else masked."""
    if revealed is not None:
        return Parties(False, case.anonymous, [full_party(p) for p in revealed])
    return Parties(True, case.anonymous, [mask_party(p) for p in case.parties])


def query_code_for(actor: Actor, case: Case) -> str | None:
    """The query code (查询码) is for the petitioner: shown only to those who need to know."""
    return case.query_code if needs_to_know(actor, case) else None


def _identifying_values(case: Case, hidden: str | None = None,
                        code: bool = True) -> list[tuple[str, str]]:
    """Each identifying value of the case with its masked form; ``hidden`` replaces ID
    numbers and phones outright (the petitioner's channel shows none, masked or not)."""
    pairs = [(case.query_code, mask_code(case.query_code))] if code else []
    for p in case.parties:
        pairs += [(p.id_number, hidden or mask_id_number(p.id_number)),
                  (p.phone, hidden or mask_phone(p.phone)),
                  (p.address, mask_address(p.address)), (p.name, mask_name(p.name))]
    return pairs


def notice_text(actor: Actor, case: Case, body: str) -> str:
    """A notice as this actor may read it: as issued, or with every identifying value masked."""
    if decide(actor, case, "notice") == UNMASKED:
        return body
    return mask_free_text(body, _identifying_values(case))


def petitioner_notice_text(actor: Actor, case: Case, body: str) -> str:
    """A notice on the petitioner's channel: names and addresses masked, ID numbers and
    phones left out (the page never shows an ID number, masked or not)."""
    if decide(actor, case, "public") != MASKED:
        raise PermissionDenied("未找到该信访事项。")
    return mask_free_text(body, _identifying_values(case, hidden="（略）", code=False),
                          hidden="（略）")


def text_for(actor: Actor, case: Case, text: str | None) -> str:
    """A free-text field of the case (summary, request, facts, attachments note) as this actor
    may read it: petitioners often write their ID number or phone into the facts, so readers
    without need to know get those masked as in the parties table."""
    if needs_to_know(actor, case):
        return text or ""
    return mask_free_text(text, _identifying_values(case))


def row_text_for(actor: Actor, row, text: str | None) -> str:
    """The same for a list row (no parties loaded): ID- and phone-shaped runs masked."""
    shown = scope.matches(actor, row) and _role_allows(actor, row)  # rows come from a scoped list
    return (text or "") if shown else mask_free_text(text)


def check_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        message = "查看信访人完整信息须填写查看理由。"
        raise ValidationError(message, fields={"reason": message})
    if len(reason) > REASON_MAX:
        message = f"查看理由不能超过{REASON_MAX}字。"
        raise ValidationError(message, fields={"reason": message})
    return reason


@retry_conflicts
def reveal_petitioners(session: Session, actor: Actor, now: datetime, case_id: int,
                       reason: str = "") -> list[Party]:
    """Audit the reveal, commit, and return the case's petitioners unmasked."""
    with write_transaction(session):
        case = load_case(session, case_id)
        require_view(actor, case)
        if decide(actor, case, "reveal") != UNMASKED:
            raise PermissionDenied(
                "您无权查看信访人完整信息：仅本县（区）信访局接访员、督办人员和当前承办单位的承办人可以查看。")
        reason = check_reason(reason)
        audit = AuditBatch(actor, now)
        audit.add("petitioner_details_revealed", case_id=case.id, case_no=case.case_no,
                  parties=[p.id for p in case.parties], reason=reason)
        audit.flush(session)
    return list(case.parties)
