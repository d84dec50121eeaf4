"""系统管理: users and units, the holiday calendar, workflows; and the audit log, which
only the 安全审计员 reads (三权分立: the administrator does not audit themselves)."""

from flask import Blueprint, request

from ..common import require_permission

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_ENDPOINTS = {"admin.audit", "admin.audit_export", "admin.audit_verify"}


@bp.before_request
def _guard():
    if request.endpoint in AUDIT_ENDPOINTS:  # 三权分立: the log is the auditor's alone
        return require_permission("read_audit")
    return require_permission("administer")
