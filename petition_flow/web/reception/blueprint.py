"""登记: register a petition, decide on possible repeats, print the receipt."""

from flask import Blueprint

from ..common import require_permission

bp = Blueprint("reception", __name__, url_prefix="/reception")


@bp.before_request
def _guard():
    return require_permission("register")
