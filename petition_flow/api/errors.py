"""Every API failure is ``{"error": {"code", "message", "fields"}}`` with a Chinese message.

Service errors map to statuses here and nowhere else. A request on /api that Flask itself
refuses (unknown path, wrong method) is answered in JSON too; any other path keeps the
application's own handling. An unexpected exception is logged and answered with a bare
500 — never a traceback.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from ..errors import (
    DATABASE_UNAVAILABLE,
    AuthenticationError,
    ConcurrentChangeError,
    NotFoundError,
    PermissionDenied,
    PetitionFlowError,
    RepeatDecisionRequired,
    TransitionNotAllowed,
    ValidationError,
)
from .blueprint import bp, jsonify
from .serialize import repeat
from .validation import BadRequest

STATUS = {
    AuthenticationError: 401,
    PermissionDenied: 403,
    NotFoundError: 404,
    ConcurrentChangeError: 409,
    TransitionNotAllowed: 409,
    ValidationError: 422,
    RepeatDecisionRequired: 422,
}
HTTP_MESSAGES = {
    400: ("bad_request", "请求无效。"),
    401: ("unauthorized", "需要认证。"),
    403: ("forbidden", "无权访问。"),
    404: ("not_found", "接口路径不存在。"),
    405: ("method_not_allowed", "该路径不支持此请求方法。"),
    413: ("too_large", "请求体过大（超过 MAX_CONTENT_LENGTH）。"),
    415: ("bad_request", "不支持的请求内容类型。"),
}


def error_response(status: int, code: str, message: str, fields: dict | None = None,
                   **extra):
    body = {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}
    response = jsonify(body, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="petition_flow"'
    return response


@bp.errorhandler(PetitionFlowError)
def _service_error(exc: PetitionFlowError):
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 422)
    extra = {}
    fields = dict(exc.fields)
    if isinstance(exc, RepeatDecisionRequired):
        extra["repeats"] = [repeat(m) for m in exc.matches]
        fields.setdefault("repeat_reason", "请以 repeat_of_id 关联其中一件，或填写继续登记的理由。")
    return error_response(status, exc.code, exc.message, fields, **extra)


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest):
    return error_response(400, exc.code, exc.message, exc.fields)


def _http_error(exc: HTTPException):
    code, message = HTTP_MESSAGES.get(exc.code or 500, ("error", "请求无法处理。"))
    response = error_response(exc.code or 500, code, message)
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


@bp.errorhandler(HTTPException)
def _bp_http_error(exc: HTTPException):
    return _http_error(exc)


@bp.errorhandler(OperationalError)
def _database_unavailable(exc: OperationalError):
    current_app.logger.error("数据库不可用：%s", exc.orig)
    return error_response(503, "database_unavailable", DATABASE_UNAVAILABLE)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    current_app.logger.exception("API 请求处理失败：%s %s", request.method, request.path)
    return error_response(500, "internal_error", "服务器内部错误，请稍后重试或联系系统管理员。")


def register_app_handlers(app: Flask) -> None:
    """Routing errors happen before any blueprint is chosen; answer those on /api in JSON."""

    def _routing_error(exc: HTTPException):
        if request.path.startswith(bp.url_prefix + "/") or request.path == bp.url_prefix:
            return _http_error(exc)
        # Elsewhere, the pages' own handler (registered for HTTPException) answers, in Chinese;
        # a handler for the code itself would otherwise always win over it.
        general = app.error_handler_spec.get(None, {}).get(None, {}).get(HTTPException)
        return general(exc) if general is not None else exc

    app.register_error_handler(404, _routing_error)
    app.register_error_handler(405, _routing_error)
