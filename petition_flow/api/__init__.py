"""The JSON API under /api/v1 (Open311 GeoReport v2 in spirit): bearer tokens, the same
services as the pages, JSON errors with Chinese messages, an OpenAPI 3.1 description."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def jsonify(body: Any, status: int = 200) -> Response:
    """JSON in plain UTF-8 (readable Chinese, not \\u escapes), as RFC 8259 asks."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return current_app.response_class(text, status=status, mimetype="application/json")


from . import errors, views  # noqa: E402,F401  (routes and handlers register on bp)


@bp.after_request
def _no_store(response: Response) -> Response:
    """Answers carry petitioners' names, ID numbers and phones: no cache keeps them."""
    if request.endpoint != "api.openapi":
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Pragma", "no-cache")
    return response


def init_app(app: Flask) -> None:
    """Register the blueprint, exempt it from CSRF (no cookies), route /api errors to JSON."""
    from ..extensions import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)
    errors.register_app_handlers(app)
