"""The petitioner's public pages (信访人): progress query by case number and query code,
online petition (网上信访), evaluation and 复查/复核 requests. No staff login."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__)
