"""The one place that reads the wall clock.

Everything else takes ``now`` as an argument, so tests pass explicit times and
a supervisor can ask "what would happen at …" (`petition-flow sweep --now`).
China has no daylight saving time, so local time is a fixed UTC+8 offset.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), name="CST")


def now() -> datetime:
    """Current instant, timezone-aware (UTC)."""
    return datetime.now(UTC)


def local_date(instant: datetime) -> date:
    """The calendar date in China at ``instant`` (which must be aware)."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: pass an aware instant")
    return instant.astimezone(CHINA_TZ).date()


def parse_instant(text: str) -> datetime:
    """Parse an ISO date-time; a value without offset is taken as China local time."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA_TZ)
    return value.astimezone(UTC)
