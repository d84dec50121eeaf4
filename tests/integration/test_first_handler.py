"""首办责任制: the first unit to accept a matter, and the person who accepted it, are fixed
once; later hand-overs move the work, never the accountability."""

from __future__ import annotations

import pytest
from helpers import days_after
from sqlalchemy import select

from petition_flow.errors import PermissionDenied, ValidationError
from petition_flow.models import AuditEntry
from petition_flow.services.queries import CaseFilters, list_cases

BASE = ["classify", "transfer", "accept"]


def test_the_first_handler_is_recorded_at_acceptance_with_the_accepting_person(cases, world):
    case = cases.walk(["classify", "transfer"])
    assert case.first_handler_unit_id is None
    case = cases.fire(case, "accept")
    assert case.first_handler_unit_id == world.unit("meixian.hrss")
    assert case.first_handler_user_id == world.actor("handler").user_id
    assert case.first_handled_at is not None


def test_the_first_handler_never_changes_across_hand_overs(cases, world, session):
    case = cases.walk(BASE)
    first = (case.first_handler_unit_id, case.first_handler_user_id, case.first_handled_at)
    case = cases.fire(case, "hand_over")
    assert case.responsible_unit_id == world.unit("meixian.housing")
    assert (case.first_handler_unit_id, case.first_handler_user_id,
            case.first_handled_at) == first
    entry = session.execute(select(AuditEntry).where(
        AuditEntry.action == "responsible_unit_changed", AuditEntry.case_id == case.id)
        .order_by(AuditEntry.seq.desc())).scalars().first()
    assert entry.details["reason"] == "handed_over" and entry.details["note"]


def test_a_hand_over_needs_a_reason_and_another_unit_of_the_same_county(cases, world):
    case = cases.walk(BASE)
    with pytest.raises(ValidationError) as err:
        cases.fire(case, "hand_over", {"unit": world.unit("meixian.housing")})
    assert "reason" in err.value.fields
    with pytest.raises(ValidationError, match="相同"):
        cases.fire(case, "hand_over", {"unit": world.unit("meixian.hrss"), "reason": "x"})
    with pytest.raises(ValidationError, match="本县"):
        cases.fire(case, "hand_over", {"unit": world.unit("jintai.housing"), "reason": "x"})


def test_the_first_handler_keeps_seeing_the_case_and_its_deadlines_but_cannot_act(
    cases, world, session
):
    case = cases.walk(BASE)
    case = cases.fire(case, "hand_over")
    handler = world.actor("handler")
    page = list_cases(session, handler, CaseFilters(), days_after(case.updated_at, 0).date())
    assert [r.id for r in page.rows] == [case.id]
    assert page.rows[0].next_due is not None
    with pytest.raises(PermissionDenied, match="已移交其他单位"):
        cases.fire(case, "reply")


def test_a_matter_returned_after_an_objection_has_no_first_handler_until_a_unit_accepts(
    cases, world
):
    case = cases.walk(["classify", "transfer", "object", "approve_return"])
    assert case.state == "triaged"
    assert case.responsible_unit_id is None and case.first_handler_unit_id is None
    case = cases.walk(["classify", "transfer", "object", "reject_objection", "accept"])
    assert case.first_handler_unit_id == world.unit("meixian.hrss")
