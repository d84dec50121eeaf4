"""系统管理: users and units, the holiday calendar, workflows; and the audit log, which
only the 安全审计员 reads (三权分立: the administrator does not audit themselves)."""

from . import views  # noqa: F401  (the routes register on bp)
from .blueprint import bp  # noqa: F401
