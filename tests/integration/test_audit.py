"""The audit chain: every change is recorded in its own transaction, and tampering with
any entry — altering, deleting or reordering — is found and named."""

from __future__ import annotations

from helpers import as_database_admin
from sqlalchemy import delete, select, update

from petition_flow.models import AuditEntry
from petition_flow.services.audit import verify_chain

BASE = ["classify", "transfer", "accept"]


def _chain(cases, session):
    cases.walk(BASE + ["reply"])
    session.expire_all()
    result = verify_chain(session)
    assert result.ok and result.checked >= 20
    return result.checked


def test_a_normal_history_verifies(cases, session):
    _chain(cases, session)


def test_every_change_is_recorded_with_who_what_and_when(cases, session, world):
    case = cases.walk(BASE)
    actions = [e.action for e in session.execute(
        select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(AuditEntry.seq)
    ).scalars()]
    for expected in ("case_registered", "deadline_set", "notice_issued", "transition",
                     "responsible_unit_changed", "first_handler_recorded", "deadline_stopped"):
        assert expected in actions
    accept = session.execute(select(AuditEntry).where(
        AuditEntry.case_id == case.id, AuditEntry.details["trigger"].as_string() == "accept")
    ).scalar_one()
    handler = world.actor("handler")
    assert (accept.actor_user_id, accept.actor_unit_id, accept.actor_role) == (
        handler.user_id, handler.unit_id, "handler")
    assert (accept.from_state, accept.to_state) == ("transferred", "under_handling")


def test_an_altered_entry_is_named(cases, session):
    _chain(cases, session)
    as_database_admin(session)
    session.execute(update(AuditEntry).where(AuditEntry.seq == 7)
                    .values(details={"forged": True}))
    session.commit()
    result = verify_chain(session)
    assert not result.ok and result.bad_seq == 7 and "篡改" in result.message


def test_a_deleted_entry_in_the_middle_is_named(cases, session):
    _chain(cases, session)
    as_database_admin(session)
    session.execute(delete(AuditEntry).where(AuditEntry.seq == 5))
    session.commit()
    result = verify_chain(session)
    assert not result.ok and result.bad_seq == 5 and "缺失" in result.message


def test_a_deleted_last_entry_is_found(cases, session):
    total = _chain(cases, session)
    as_database_admin(session)
    session.execute(delete(AuditEntry).where(AuditEntry.seq == total))
    session.commit()
    result = verify_chain(session)
    assert not result.ok and "末尾" in result.message


def test_two_entries_swapped_out_of_order_are_named(cases, session):
    _chain(cases, session)
    as_database_admin(session)
    session.execute(update(AuditEntry).where(AuditEntry.seq == 9).values(seq=-1))
    session.execute(update(AuditEntry).where(AuditEntry.seq == 10).values(seq=9))
    session.execute(update(AuditEntry).where(AuditEntry.seq == -1).values(seq=10))
    session.commit()
    result = verify_chain(session)
    assert not result.ok and result.bad_seq == 9


def test_a_refused_action_writes_no_audit_entry(cases, session):
    import pytest

    from petition_flow.errors import TransitionNotAllowed

    case = cases.register()
    before = verify_chain(session).checked
    with pytest.raises(TransitionNotAllowed):
        cases.fire(case, "finalize")
    assert verify_chain(session).checked == before
