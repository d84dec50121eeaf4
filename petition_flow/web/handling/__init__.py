"""办理: the inbox by urgency, the case page, actions, audited reveal, printable notices."""

from flask import Blueprint

from ..common import require_roles

bp = Blueprint("handling", __name__)
CASE_ROLES = ("reception", "handler", "unit_leader", "county_supervisor", "city_supervisor")


@bp.before_request
def _guard():
    return require_roles(*CASE_ROLES)


from . import views  # noqa: E402,F401
