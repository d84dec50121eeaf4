"""The scheduler lease: one row naming the active scheduler process and until when.

The active scheduler renews it well before it expires; another scheduler started by mistake
finds it held and waits, and takes it over once it has expired (the first one died or lost
the database). Taking and renewing are single conditional UPDATEs (or an INSERT that a
primary key makes unique), so two processes can never both believe they hold it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from ..db import write_transaction
from ..models import SchedulerLease
from .actor import SYSTEM
from .audit import AuditBatch
from .dbutil import insert_ignore

LEASE = "scheduler"


def acquire_lease(session: Session, holder: str, now: datetime, ttl: timedelta,
                  name: str = LEASE) -> bool:
    """Take or renew the lease for ``holder``; False while another live holder has it."""
    with write_transaction(session):
        previous = session.execute(
            select(SchedulerLease.holder).where(SchedulerLease.name == name)
        ).scalar_one_or_none()
        taken = session.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == name,
                   or_(SchedulerLease.holder == holder, SchedulerLease.expires_at <= now))
            .values(holder=holder, expires_at=now + ttl,
                    acquired_at=case((SchedulerLease.holder == holder,
                                      SchedulerLease.acquired_at), else_=now))
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if not taken:
            taken = insert_ignore(session, SchedulerLease, dict(
                name=name, holder=holder, acquired_at=now, expires_at=now + ttl)) is not None
            previous = None
        if taken and previous != holder:
            audit = AuditBatch(SYSTEM, now)
            audit.add("scheduler_lease_taken", lease=name, holder=holder, previous=previous)
            audit.flush(session)
    return taken


def release_lease(session: Session, holder: str, now: datetime, name: str = LEASE) -> None:
    """Give the lease up at shutdown so a standby takes over at once."""
    with write_transaction(session):
        session.execute(update(SchedulerLease)
                        .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
                        .values(expires_at=now).execution_options(synchronize_session=False))


def record_sweep(session: Session, holder: str, now: datetime, name: str = LEASE) -> None:
    """The holder swept the deadlines at ``now`` (read by the doctor and the health page)."""
    with write_transaction(session, audited=False):
        session.execute(update(SchedulerLease)
                        .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
                        .values(last_sweep_at=now).execution_options(synchronize_session=False))


def lease_holder(session: Session, now: datetime, name: str = LEASE) -> str | None:
    row = session.get(SchedulerLease, name, populate_existing=True)
    return row.holder if row is not None and row.expires_at > now else None
