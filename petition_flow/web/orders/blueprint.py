"""督办单: the unit that received an order replies in writing; the supervisors of its county
(or the city) close it or send it back with a new due date."""

from flask import Blueprint
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from ..common import require_permission

bp = Blueprint("orders", __name__, url_prefix="/orders")


@bp.before_request
def _guard():
    """Roles that answer or decide orders (domain/roles.py ``order_sides``)."""
    refused = require_permission("cases")
    if refused is None and not current_user.actor.role_def.order_sides:
        raise Forbidden(description="您的角色无权访问此页面。")
    return refused
