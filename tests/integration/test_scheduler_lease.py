"""Only one scheduler is active; another takes over when its lease expires."""

from __future__ import annotations

import time as wall
from datetime import timedelta
from pathlib import Path

from helpers import at
from sqlalchemy import select

from petition_flow.models import AuditEntry
from petition_flow.scheduler import JOB_IDS, SchedulerRunner, start_embedded_scheduler
from petition_flow.services.lease import acquire_lease, lease_holder, release_lease
from petition_flow.services.notify import NotifyConfig

TTL = timedelta(seconds=90)
T0 = at("2026-10-09", 9)


def test_a_second_scheduler_waits_while_the_lease_is_renewed_and_takes_over_when_it_expires(
    session
):
    assert acquire_lease(session, "a", T0, TTL)
    assert not acquire_lease(session, "b", T0 + timedelta(seconds=5), TTL)
    assert acquire_lease(session, "a", T0 + timedelta(seconds=60), TTL)  # renewed to 09:02:30
    assert not acquire_lease(session, "b", T0 + timedelta(seconds=149), TTL)
    assert lease_holder(session, T0 + timedelta(seconds=149)) == "a"

    # "a" died at 09:01 and renewed nothing since: at 09:02:30 its lease is gone.
    assert acquire_lease(session, "b", T0 + timedelta(seconds=150), TTL)
    assert lease_holder(session, T0 + timedelta(seconds=151)) == "b"
    assert not acquire_lease(session, "a", T0 + timedelta(seconds=160), TTL)
    taken = session.execute(select(AuditEntry.details).where(
        AuditEntry.action == "scheduler_lease_taken").order_by(AuditEntry.seq)).scalars()
    assert [(d["holder"], d["previous"]) for d in taken] == [("a", None), ("b", "a")]


def test_a_released_lease_is_taken_over_at_once(session):
    assert acquire_lease(session, "a", T0, TTL)
    release_lease(session, "a", T0 + timedelta(seconds=10))
    assert lease_holder(session, T0 + timedelta(seconds=10)) is None
    assert acquire_lease(session, "b", T0 + timedelta(seconds=11), TTL)


def wait_until(condition, seconds: float = 10) -> bool:
    deadline = wall.monotonic() + seconds
    while wall.monotonic() < deadline:
        if condition():
            return True
        wall.sleep(0.05)
    return False


def test_two_running_schedulers_have_one_active_and_the_standby_takes_over_on_shutdown(
    engine, Session, tmp_path
):
    # The one test that starts scheduler threads: real APScheduler, real lease, short times.
    # The standby is the web process's embedded scheduler, configured from the app.
    from petition_flow.app import create_app

    options = dict(lease_ttl=3, renew_every=0.2, sweep_every=3600, deliver_every=3600)
    first = SchedulerRunner(engine, holder="first", config=NotifyConfig(), **options)
    assert sorted(job.id for job in first.scheduler.get_jobs()) == sorted(JOB_IDS)
    app = create_app({"ENGINE": engine,
                      "PETITION_FLOW_WEBHOOK_URLS": "http://127.0.0.1:9/robot"}, tmp_path)
    second = None
    try:
        first.start()
        assert wait_until(lambda: first.active)
        second = start_embedded_scheduler(app, holder="second", **options)
        assert second.config.webhook_urls == ("http://127.0.0.1:9/robot",)
        wall.sleep(1)  # five renewals each
        assert first.active and not second.active
        assert first.shutdown()
        assert wait_until(lambda: second.active)
        assert not first.active
    finally:
        first.shutdown()
        if second is not None:
            second.shutdown()
    with Session() as s:
        taken = s.execute(select(AuditEntry.details).where(
            AuditEntry.action == "scheduler_lease_taken").order_by(AuditEntry.seq)).scalars()
        assert [(d["holder"], d["previous"]) for d in taken] == [
            ("first", None), ("second", "first")]


def test_a_standby_replaces_a_dead_scheduler_within_the_readme_figure_and_sweeps_at_once(
    engine, Session, cases
):
    # The README promises "takes over within a minute"; the defaults give LEASE_TTL +
    # RENEW_EVERY. Here the times are scaled down twentyfold and measured for real.
    from petition_flow import scheduler

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "takes over within a minute" in readme
    assert scheduler.TAKEOVER_WITHIN <= 60
    cases.walk(["classify", "transfer", "accept"])
    scale = 20
    options = dict(lease_ttl=scheduler.LEASE_TTL / scale, renew_every=scheduler.RENEW_EVERY / scale,
                   sweep_every=3600, deliver_every=3600)
    swept = []
    first = SchedulerRunner(engine, holder="dead", config=NotifyConfig(), **options)
    second = SchedulerRunner(engine, holder="standby", config=NotifyConfig(), **options)
    second._sweep = lambda session, now: swept.append(now)
    try:
        first.start()
        assert wait_until(lambda: first.active)
        second.start()
        wall.sleep(1)
        assert not second.active
        first.scheduler.shutdown(wait=False)  # killed: no release, the lease runs out
        died = wall.monotonic()
        assert wait_until(lambda: second.active, 10)
        assert wait_until(lambda: swept, 5)
        took = wall.monotonic() - died
    finally:
        second.shutdown()
        first._lease_until = None
    # Within the scaled minute (3 s), which leaves a second of slack for a busy machine.
    assert took <= 60 / scale, took


def test_the_holders_sweep_is_recorded_on_the_lease_for_the_doctor(engine, Session):
    from petition_flow.models import SchedulerLease

    runner = SchedulerRunner(engine, holder="sweeper", config=NotifyConfig())
    assert runner.renew_lease()  # taking the lease sweeps at once
    with Session() as session:
        lease = session.execute(select(SchedulerLease)).scalar_one()
        assert lease.holder == "sweeper" and lease.last_sweep_at is not None
        assert lease.last_sweep_at >= lease.acquired_at
    other = SchedulerRunner(engine, holder="standby", config=NotifyConfig())
    assert not other.renew_lease()
    with Session() as session:
        from petition_flow.services.lease import record_sweep

        before = session.execute(select(SchedulerLease.last_sweep_at)).scalar_one()
        record_sweep(session, "standby", T0)  # not the holder: nothing recorded
        assert session.execute(select(SchedulerLease.last_sweep_at)).scalar_one() == before
    runner.shutdown(wait=False)
