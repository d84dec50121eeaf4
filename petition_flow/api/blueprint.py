"""The API blueprint and its JSON answer; routes (views.py) and error handlers (errors.py)
register on it, and the package face (__init__.py) installs it."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def jsonify(body: Any, status: int = 200) -> Response:
    """JSON in plain UTF-8 (readable Chinese, not \\u escapes), as RFC 8259 asks."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return current_app.response_class(text, status=status, mimetype="application/json")


@bp.after_request
def _no_store(response: Response) -> Response:
    """Answers carry petitioners' names, ID numbers and phones: no cache keeps them."""
    if request.endpoint != "api.openapi":
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Pragma", "no-cache")
    return response
