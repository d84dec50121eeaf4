"""Two people acting on one case at the same moment: one wins, the other is told to reload;
many writers at once still extend one unbroken audit chain. Real threads, real database."""

from __future__ import annotations

import threading

import pytest
from helpers import days_after
from sqlalchemy import func, select

from petition_flow.devtools.demo import APPEAL6
from petition_flow.errors import ConcurrentChangeError, TransitionNotAllowed
from petition_flow.models import AuditEntry, Case
from petition_flow.services.audit import verify_chain
from petition_flow.services.petitions import fire_transition, register_petition

pytestmark = pytest.mark.slow  # pyproject.toml: `-m "not slow"` leaves it out


def race(n, work):
    """Run ``work(i)`` in ``n`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # the assertion is on what each thread got
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_transitions_on_one_case_at_once_give_one_success_and_one_reload_message(
    cases, world, Session
):
    case = cases.walk(["classify"])
    version, when = case.version_id, days_after(case.updated_at, 1)
    reception = world.actor("reception")
    unit = world.unit("meixian.hrss")

    def transfer(_):
        with Session() as s:
            return fire_transition(s, reception, when, case.id, "transfer", {"unit": unit},
                                   expected_version=version).state

    results = race(2, transfer)
    assert sorted(map(type, results), key=str) == sorted([str, ConcurrentChangeError], key=str)
    err = next(r for r in results if isinstance(r, Exception))
    assert "请刷新后重试" in err.message
    with Session() as s:
        assert s.get(Case, case.id).version_id > version
        transitions = s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.case_id == case.id, AuditEntry.action == "transition"))
        assert transitions == 2  # classify, and exactly one transfer


def test_two_acceptances_without_a_version_never_lose_an_update(cases, world, Session):
    case = cases.walk(["classify", "transfer"])
    when = days_after(case.updated_at, 1)
    handler, leader = world.actor("handler"), world.actor("unit_leader")

    def accept(i):
        with Session() as s:
            return fire_transition(s, (handler, leader)[i], when, case.id, "accept", {}).state

    results = race(2, accept)
    assert results.count("under_handling") == 1
    assert any(isinstance(r, TransitionNotAllowed) for r in results)
    with Session() as s:
        stored = s.get(Case, case.id)
        assert stored.first_handler_user_id in (handler.user_id, leader.user_id)
        assert len([c for c in stored.clocks if c.rule == "handling"]) == 1


def test_many_concurrent_registrations_and_transitions_keep_one_unbroken_audit_chain(
    cases, world, Session
):
    forms = [cases.form() for _ in range(16)]
    reception = world.actor("reception")
    start = days_after(world.session.get(Case, cases.register().id).updated_at, 1)

    def work(i):
        with Session() as s:
            case = register_petition(s, reception, start, forms[i]).case
            fire_transition(s, reception, start, case.id, "classify", dict(APPEAL6))
            return case.case_no

    results = race(8, work) + race(8, lambda i: work(i + 8))
    assert all(isinstance(r, str) for r in results), results
    assert len(set(results)) == 16  # case numbers never collide
    with Session() as s:
        result = verify_chain(s)
        assert result.ok, result.message
        seqs = s.execute(select(AuditEntry.seq).order_by(AuditEntry.seq)).scalars().all()
        assert seqs == list(range(1, len(seqs) + 1))
