"""Time helpers shared by the tests (importable as ``helpers``; pytest puts tests/ on the path)."""

from __future__ import annotations

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
