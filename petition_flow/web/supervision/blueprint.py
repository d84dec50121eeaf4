"""督办: per-county figures for county and city supervisors, each one click from its list."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template

from ...errors import PetitionFlowError
from ...services.casefile import default_spec
from ...services.digest import warning_figures
from ...services.oversight import listed_by_county
from ...services.queries import DUE_SOON_DAYS, county_figures
from ..common import actor, db, now, raise_http, require_permission, today
from ..handling.views import case_list

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


@bp.before_request
def _guard():
    return require_permission("supervise")


@bp.route("/")
def dashboard():
    try:
        figures = county_figures(db(), actor(), today())
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    spec = default_spec()
    steps = [s for s in spec.steps if any(s.key in f.open_by_step for f in figures)
             or s.key.isdigit()]
    return render_template("supervision/dashboard.html", figures=figures, steps=steps,
                           today=today(), soon=today() + timedelta(days=DUE_SOON_DAYS),
                           soon_days=DUE_SOON_DAYS, warn=warning_figures(db(), actor(), now()),
                           listed=listed_by_county(db(), actor()))


@bp.route("/cases")
def case_list_view():
    return case_list("supervision/cases.html")
