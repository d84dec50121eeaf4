"""Who sees a petitioner's identity: one rule (services.actor.can_see_parties), used by the
API and meant for the pages too (services.parties.parties_for)."""

from __future__ import annotations

import pytest

from petition_flow.services.actor import can_see_parties
from petition_flow.services.parties import mask_name, parties_for


@pytest.mark.parametrize("role, county, full", [
    ("reception", "meixian", True), ("county_supervisor", "meixian", True),
    ("handler", "meixian", True), ("unit_leader", "meixian", False),
    ("city_supervisor", "meixian", False), ("admin", "meixian", False),
    ("reception", "jintai", False), ("handler", "jintai", False),
])
def test_only_the_county_bureau_and_the_responsible_handlers_see_petitioners_in_full(
    cases, world, role, county, full
):
    case = cases.walk(["classify", "transfer", "accept"])
    actor = world.actor(role, county)
    assert can_see_parties(actor, case) is full
    (party,) = parties_for(actor, case).items
    if full:
        assert party.id_number == case.parties[0].id_number and party.address
    else:
        assert party.name == mask_name(case.parties[0].name) and party.address is None
        assert "*" in party.id_number and "*" in party.phone


def test_handlers_see_no_identity_before_their_unit_is_responsible(cases, world):
    case = cases.walk(["classify"])
    assert not can_see_parties(world.actor("handler"), case)


def test_an_anonymous_petition_discloses_nobody(cases, world):
    case = cases.register(anonymous=True, petitioners=[])
    shown = parties_for(world.actor("reception"), case)
    assert (shown.anonymous, shown.items) == (True, [])
