"""Chinese error pages; a stack trace never reaches the browser."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..errors import DATABASE_UNAVAILABLE
from .common import chinese

TITLES = {
    400: ("请求无效", "提交的内容无法处理，请返回上一页检查后重试。"),
    401: ("请先登录", "请登录后再访问此页面。"),
    403: ("无权访问", "您没有权限访问此页面或此信访事项。"),
    404: ("页面不存在", "您要找的页面或信访事项不存在，或已被移除。"),
    405: ("请求方式不被允许", "此页面不接受这种请求方式，请从页面上的按钮或链接进入。"),
    409: ("操作冲突", "该信访事项已被他人修改，请刷新后重试。"),
    413: ("提交的内容过大", "提交的内容超过大小限制，请删减后重试；文件请拆分后分别上传。"),
    500: ("系统内部错误", "系统处理您的请求时出错，已记录。请稍后重试，或联系系统管理员。"),
    503: ("服务暂时不可用", DATABASE_UNAVAILABLE),
}


def _page(code: int, description: str | None = None):
    title, default = TITLES.get(code, ("出错了", "请求未能完成。"))
    message = description if chinese(description) else default
    return render_template("errors/error.html", code=code, title=title, message=message), code


def install(app: Flask) -> None:
    @app.errorhandler(OperationalError)
    def _database_unavailable(exc: OperationalError):
        app.logger.error("数据库不可用：%s", exc.orig)
        return _page(503)

    @app.errorhandler(CSRFError)
    def _csrf(_exc):
        return _page(400, "页面已过期或表单校验失败（CSRF），请刷新页面后重新提交。")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return _page(exc.code or 500, exc.description)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        propagate = app.config.get("PROPAGATE_EXCEPTIONS")
        if propagate or (propagate is None and (app.testing or app.debug)):
            raise exc  # tests and the debugger see the real error
        app.logger.exception("unhandled error", exc_info=exc)
        return _page(InternalServerError.code)
