"""Petitioners as a reader may see them: in full for those who need to know
(``actor.can_see_parties``), otherwise masked — the surname only, ID number and phone
with their middle digits hidden, no address. Pages and API both show parties through here."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.identity import mask_id_number, mask_phone
from ..models import Case
from .actor import Actor, can_see_parties


@dataclass(frozen=True)
class PartyRecord:
    name: str
    id_number: str | None
    phone: str | None
    address: str | None
    representative: bool


@dataclass(frozen=True)
class Parties:
    masked: bool
    anonymous: bool
    items: list[PartyRecord]


def mask_name(name: str) -> str:
    return name[:1] + "某" if name else ""


def parties_for(actor: Actor, case: Case) -> Parties:
    """The case's petitioners, masked unless ``actor`` may see them."""
    full = can_see_parties(actor, case)
    items = []
    for p in case.parties:
        if full:
            items.append(PartyRecord(p.name, p.id_number, p.phone, p.address, p.representative))
        else:
            items.append(PartyRecord(mask_name(p.name), mask_id_number(p.id_number) or None,
                                     mask_phone(p.phone) or None, None, p.representative))
    return Parties(masked=not full, anonymous=case.anonymous, items=items)
