"""Template filters and globals: Chinese dates, labels, role names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import Flask, url_for
from flask_login import current_user

from ..clock import CHINA_TZ
from ..domain.levels import LEVEL_LABELS
from ..domain.roles import NAV, ROLE_LABELS
from ..services.disclosure import row_text_for
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


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str


def nav_entries(actor) -> list[NavLink]:
    """The top navigation of the actor's role, from the roles table."""
    return [NavLink(NAV[key].label, url_for(NAV[key].endpoint, **dict(NAV[key].args)))
            for key in actor.role_def.nav]


def case_url(case_id: int) -> str:
    """Where this user reads a case: the handling page, or the administration's read-only view."""
    if current_user.actor.may("cases"):
        return url_for("handling.case_detail", case_id=case_id)
    return url_for("admin.case_view", case_id=case_id)


_MARKER = 2_147_483_647  # an id no row has: where the id goes in a built URL


def id_url(endpoint: str, name: str = "case_id"):
    """``url_for(endpoint, **{name: id})`` for many ids, built once per page: a list of fifty
    cases made fifty url_for calls (issue 18: a sixth of the inbox's time in a profile)."""
    head, _, tail = url_for(endpoint, **{name: _MARKER}).partition(str(_MARKER))
    return lambda value: f"{head}{int(value)}{tail}"


def notice_url(case_id: int, notice_id: int) -> str:
    if current_user.actor.may("cases"):
        return url_for("handling.notice_print", case_id=case_id, notice_id=notice_id)
    return url_for("admin.notice_print", case_id=case_id, notice_id=notice_id)


def notice_pdf_url(case_id: int, notice_id: int) -> str:
    if current_user.actor.may("cases"):
        return url_for("handling.notice_pdf", case_id=case_id, notice_id=notice_id)
    return url_for("admin.notice_pdf", case_id=case_id, notice_id=notice_id)


def shown_text(case_or_row, text: str | None) -> str:
    """Free text of a case as the disclosure policy lets the signed-in user read it."""
    return row_text_for(current_user.actor, case_or_row, text)


def install(app: Flask) -> None:
    app.add_template_global(shown_text, "shown_text")
    app.add_template_global(nav_entries, "nav_entries")
    app.add_template_global(case_url, "case_url")
    app.add_template_global(id_url, "id_url")
    app.add_template_global(notice_url, "notice_url")
    app.add_template_global(notice_pdf_url, "notice_pdf_url")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(days_left, "days_left")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(lambda v: cn_date(v) if isinstance(v, date | str) else "", "cn_date")
    app.add_template_global(ROLE_LABELS, "ROLE_LABELS")
    app.add_template_global(LEVEL_LABELS, "LEVEL_LABELS")
    app.add_template_global(CHANNELS, "CHANNELS")
    app.add_template_global({code: name for code, _, name, _ in COUNTIES}, "COUNTY_NAMES")
