"""办理: the inbox by urgency, the case page, actions, audited reveal, printable notices."""

from flask import Blueprint

from ..common import require_permission

bp = Blueprint("handling", __name__)


@bp.before_request
def _guard():
    return require_permission("cases")
