"""The petitioner's public pages (信访人): progress query by case number and query code,
online petition (网上信访), evaluation and 复查/复核 requests. No staff login."""

from . import views  # noqa: F401  (the routes register on bp)
from .blueprint import bp  # noqa: F401
