"""Template filters and globals: Chinese dates, labels, role names."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from ..clock import CHINA_TZ
from ..domain.spec import ROLE_LABELS
from ..services.casefile import LEVEL_LABELS
from ..services.notices import CHANNELS, cn_date
from ..services.org import COUNTIES


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else value.astimezone(CHINA_TZ).strftime(fmt)


def days_left(n: int | None) -> str:
    if n is None:
        return ""
    if n > 0:
        return f"剩余{n}天"
    if n == 0:
        return "今日到期"
    return f"超期{-n}天"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def install(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(days_left, "days_left")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(lambda v: cn_date(v) if isinstance(v, date | str) else "", "cn_date")
    app.add_template_global(ROLE_LABELS, "ROLE_LABELS")
    app.add_template_global(LEVEL_LABELS, "LEVEL_LABELS")
    app.add_template_global(CHANNELS, "CHANNELS")
    app.add_template_global({code: name for code, _, name, _ in COUNTIES}, "COUNTY_NAMES")
