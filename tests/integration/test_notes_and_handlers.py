"""Internal notes (staff only, audited, never in a notice) and named handlers (承办人)."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime

import pytest
from helpers import at, days_after
from sqlalchemy import select

from petition_flow.clock import CHINA_TZ, local_date
from petition_flow.errors import NotFoundError, PermissionDenied, ValidationError
from petition_flow.models import AuditEntry, Notice, User
from petition_flow.services.actor import Actor
from petition_flow.services.assignment import assign_handler, assigned_handler, handler_choices
from petition_flow.services.notes import add_note, notes_for
from petition_flow.services.petitions import case_facts
from petition_flow.services.queries import CaseFilters, list_cases

NOTE = "内部备注：信访人情绪激动，电话联系时注意方式 13912345678"


def _note(world, case, role="reception", body=NOTE, county="meixian"):
    return add_note(world.session, world.actor(role, county), days_after(case.updated_at, 1),
                    case.id, body)


def test_a_note_is_audited_with_the_hash_of_its_text(cases, world, session):
    case = cases.register()
    note = _note(world, case)
    entry = session.execute(select(AuditEntry).where(
        AuditEntry.action == "case_note_added")).scalar_one()
    assert entry.details["note_id"] == note.id
    assert entry.details["sha256"] == hashlib.sha256(NOTE.encode()).hexdigest()
    assert NOTE not in str(entry.details)


def test_notes_are_read_masked_by_those_without_need_to_know(cases, world, session):
    case = cases.walk(["classify", "transfer", "accept"])
    _note(world, case)
    assert notes_for(session, world.actor("handler"), case)[0].body == NOTE
    masked = notes_for(session, world.actor("unit_leader"), case)[0].body
    assert "13912345678" not in masked and "138" not in masked and "内部备注" in masked


def test_another_county_neither_reads_nor_writes_a_cases_notes(cases, world, session):
    case = cases.register()
    with pytest.raises(NotFoundError):
        _note(world, case, county="jintai")
    with pytest.raises(NotFoundError):
        notes_for(session, world.actor("reception", "jintai"), case)


def test_an_empty_or_overlong_note_is_refused(cases, world):
    case = cases.register()
    with pytest.raises(ValidationError):
        _note(world, case, body="   ")
    with pytest.raises(ValidationError, match="2000"):
        _note(world, case, body="长" * 2001)


def test_the_auditor_and_the_administrator_cannot_read_notes(cases, world, session):
    case = cases.register()
    _note(world, case)
    for role in ("auditor", "admin"):
        with pytest.raises(PermissionDenied):
            notes_for(session, world.actor(role), case)


def test_no_notice_issued_after_a_note_carries_its_text(cases, world, session):
    """Notices render from the case's facts (services/notices.py): a note is not one of them."""
    case = cases.walk(["classify", "transfer"])
    _note(world, case, body="内部：勿告知信访人，转送前已电话沟通")
    case = cases.fire(case, "accept")
    bodies = session.execute(select(Notice.body).where(Notice.case_id == case.id)).scalars().all()
    assert len(bodies) >= 3  # 两告知 at registration, the transfer's and the acceptance notice
    assert all("勿告知信访人" not in b for b in bodies)
    assert "勿告知信访人" not in str(dataclasses.asdict(case_facts(session, case)))


@pytest.fixture
def second_handler(session, world):
    unit = world.unit("meixian.hrss")
    user = User(username="handler2", display_name="李承办", password_hash="x", unit_id=unit,
                role=world.actor("handler").role, active=True, failed_logins=0,
                created_at=datetime(2026, 1, 1, tzinfo=CHINA_TZ))
    session.add(user)
    session.commit()
    return Actor.of(user)


def test_the_unit_leader_assigns_and_reassigns_a_handler_each_audited(
        cases, world, session, second_handler):
    case = cases.walk(["classify", "transfer", "accept"])
    leader, first = world.actor("unit_leader"), world.actor("handler")
    assert {uid for uid, _ in handler_choices(session, leader, case)} == \
        {first.user_id, second_handler.user_id}
    assign_handler(session, leader, days_after(case.updated_at, 1), case.id, first.user_id)
    assert assigned_handler(session, case).id == first.user_id
    assign_handler(session, leader, days_after(case.updated_at, 2), case.id,
                   second_handler.user_id)
    assert assigned_handler(session, case).id == second_handler.user_id
    entries = session.execute(select(AuditEntry).where(AuditEntry.action == "handler_assigned")
                              .order_by(AuditEntry.seq)).scalars().all()
    assert [e.details["user_id"] for e in entries] == [first.user_id, second_handler.user_id]
    assert entries[1].details["previous_user_id"] == first.user_id


def test_only_the_responsible_units_leader_assigns_and_only_its_handlers(
        cases, world, session):
    case = cases.walk(["classify", "transfer", "accept"])
    handler = world.actor("handler")
    when = days_after(case.updated_at, 1)
    for role in ("handler", "reception", "county_supervisor"):
        with pytest.raises(PermissionDenied):
            assign_handler(session, world.actor(role), when, case.id, handler.user_id)
    leader = world.actor("unit_leader")
    for other in (world.actor("reception").user_id, world.actor("handler", "jintai").user_id,
                  leader.user_id):
        with pytest.raises(ValidationError, match="请选择本单位的承办人"):
            assign_handler(session, leader, when, case.id, other)
    assert case.assigned_user_id is None


def test_a_recused_handler_cannot_be_assigned(cases, world, session):
    from petition_flow.services.exclusions import declare_recusal

    case = cases.walk(["classify", "transfer", "accept"])
    handler = world.actor("handler")
    declare_recusal(session, handler, days_after(case.updated_at, 1), case.id, "与信访人系亲属")
    assert handler_choices(session, world.actor("unit_leader"), case) == []
    with pytest.raises(ValidationError):
        assign_handler(session, world.actor("unit_leader"), days_after(case.updated_at, 2),
                       case.id, handler.user_id)


def test_a_handlers_list_puts_their_assigned_cases_first(cases, world, session,
                                                         second_handler):
    # Registered first and a week later than the others: by urgency alone it would come last.
    mine = cases.walk(["classify", "transfer", "accept"], start=at("2026-03-09", 9))
    others = [cases.walk(["classify", "transfer", "accept"]) for _ in range(2)]
    leader = world.actor("unit_leader")
    assign_handler(session, leader, days_after(mine.updated_at, 1), mine.id,
                   world.actor("handler").user_id)
    assign_handler(session, leader, days_after(others[0].updated_at, 1), others[0].id,
                   second_handler.user_id)
    today = local_date(days_after(mine.updated_at, 2))
    by_urgency = list_cases(session, world.actor("reception"), CaseFilters(), today).rows
    assert by_urgency[-1].id == mine.id
    rows = list_cases(session, world.actor("handler"), CaseFilters(), today).rows
    assert rows[0].id == mine.id and rows[0].mine
    assert not any(r.mine for r in rows[1:])
    theirs = list_cases(session, second_handler, CaseFilters(), today).rows
    assert theirs[0].id == others[0].id and theirs[0].mine


def test_an_assignment_lapses_when_the_case_moves_to_another_unit(cases, world, session):
    case = cases.walk(["classify", "transfer", "accept"])
    handler = world.actor("handler")
    assign_handler(session, world.actor("unit_leader"), days_after(case.updated_at, 1), case.id,
                   handler.user_id)
    case = cases.fire(case, "hand_over", {"unit": world.unit("meixian.housing"),
                                          "reason": "该事项由住建部门主管"},
                      when=days_after(case.updated_at, 2))
    assert assigned_handler(session, case) is None
    rows = list_cases(session, handler, CaseFilters(), local_date(case.updated_at)).rows
    assert [r.mine for r in rows if r.id == case.id] == [False]
