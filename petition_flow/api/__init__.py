"""The JSON API under /api/v1 (Open311 GeoReport v2 in spirit): bearer tokens, the same
services as the pages, JSON errors with Chinese messages, an OpenAPI 3.1 description."""

from __future__ import annotations

from flask import Flask

from . import errors, views  # noqa: F401  (routes and handlers register on bp)
from .blueprint import bp, jsonify  # noqa: F401


def init_app(app: Flask) -> None:
    """Register the blueprint, exempt it from CSRF (no cookies), route /api errors to JSON."""
    from ..extensions import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)
    errors.register_app_handlers(app)
