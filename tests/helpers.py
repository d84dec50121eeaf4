"""Time helpers shared by the tests (importable as ``helpers``; pytest puts tests/ on the path)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from petition_flow.clock import CHINA_TZ


def at(day: date | str, hour: int = 10, minute: int = 0) -> datetime:
    """An aware instant at a China local wall-clock time."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime.combine(day, time(hour, minute), CHINA_TZ)


def days_after(instant: datetime | date, days: int, hour: int = 10) -> datetime:
    """China-local ``hour`` o'clock, ``days`` calendar days after an instant or a date."""
    day = instant.astimezone(CHINA_TZ).date() if isinstance(instant, datetime) else instant
    return at(day + timedelta(days=days), hour)


# Who needs to know a petitioner's identity (may reveal it, with a reason), per role, for a
# case of their county that their unit (for unit roles) now handles. The service, page and
# API tests all read this one table, so the channels are held to the same answer.
NEED_TO_KNOW = {"reception": True, "county_supervisor": True, "handler": True,
                "unit_leader": False, "city_supervisor": False, "admin": False}
def as_database_admin(session) -> None:
    """Drop the append-only triggers in ``session``'s transaction, as someone holding the
    database's admin rights could, before tampering with the audit log (the next test's
    reset puts them back)."""
    from petition_flow import appendonly

    appendonly.drop(session.connection())


# --- what an integrator sends to the API ----------------------------------------------------

ID_BASE = "61032619800101"


def id_number(n: int) -> str:
    from petition_flow.domain.identity import id_check_digit

    first17 = f"{ID_BASE}{n:03d}"
    return first17 + id_check_digit(first17)


def petition(n: int = 1, **overrides) -> dict:
    """A registration body as an integrator would send it."""
    body = {
        "channel": "web", "received_at": "2026-03-02T08:30:00+08:00",
        "summary": f"反映第{n}号事项：小区供暖不达标", "request": "请求督促供热公司整改",
        "facts_and_reasons": "今冬室温长期低于18度，多次向供热公司反映未果。",
        "petitioners": [{"name": "李秀英", "id_number": id_number(n), "phone": "13812345678",
                         "address": "眉县首善街道某小区"}],
    }
    body.update(overrides)
    return body


# --- a refused request changes nothing --------------------------------------------------------

def database_state(Session) -> dict:
    """What a refused request must leave as it was: the audit log, every case's state and
    version, and the rows a request may add (orders, notices, sessions, inbox items, alerts)."""
    from sqlalchemy import func, select

    from petition_flow.models import (
        Alert,
        AuditEntry,
        Case,
        InboxItem,
        Notice,
        SupervisionOrder,
        UserSession,
    )

    with Session() as s:
        counts = {model.__tablename__: s.execute(select(func.count()).select_from(model))
                  .scalar_one()
                  for model in (AuditEntry, Notice, SupervisionOrder, UserSession, InboxItem,
                                Alert)}
        cases = s.execute(select(Case.id, Case.state, Case.version_id).order_by(Case.id)).all()
        return {**counts, "cases": [tuple(row) for row in cases]}


@contextmanager
def nothing_changes(Session):
    """``with nothing_changes(Session): …``: fails if the block changed the database state."""
    before = database_state(Session)
    yield
    assert database_state(Session) == before
