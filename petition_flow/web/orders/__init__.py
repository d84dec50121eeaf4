"""督办单: the unit that received an order replies in writing; the supervisors of its county
(or the city) close it or send it back with a new due date."""

from flask import Blueprint

from ..common import require_roles

bp = Blueprint("orders", __name__, url_prefix="/orders")
ORDER_ROLES = ("handler", "unit_leader", "county_supervisor", "city_supervisor")


@bp.before_request
def _guard():
    return require_roles(*ORDER_ROLES)


from . import views  # noqa: E402,F401
