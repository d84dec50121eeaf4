"""系统管理: users and units, the holiday calendar, workflows, the audit log."""

from flask import Blueprint

from ..common import require_permission

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _guard():
    return require_permission("administer", "read_audit")


from . import views  # noqa: E402,F401
