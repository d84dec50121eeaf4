"""Helpers shared by the API tests (plain functions; fixtures live in conftest.py)."""

from __future__ import annotations

from datetime import date, datetime, time

from petition_flow.clock import CHINA_TZ


def at(day: date | str, hour: int = 10) -> datetime:
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime.combine(day, time(hour), CHINA_TZ)


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
