"""Errors raised by services and the domain; every message is Chinese, for the user."""

from __future__ import annotations

# A lost or unreachable database (PostgreSQL restarting, a locked SQLite file): the request
# fails with this message and a 503; the connection pool pre-pings, so the next one recovers.
DATABASE_UNAVAILABLE = "数据库暂时无法访问，请稍后重试；如持续出现，请联系系统管理员。"


class PetitionFlowError(Exception):
    """Base class. ``message`` is shown to the user as is."""

    code = "error"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationError(PetitionFlowError):
    """Bad input: one message per field in ``fields``."""

    code = "invalid"


class AuthenticationError(PetitionFlowError):
    """No credentials, or credentials that are unknown, revoked or of an inactive user."""

    code = "unauthorized"


class NotFoundError(PetitionFlowError):
    code = "not_found"


class PermissionDenied(PetitionFlowError):
    """Wrong role, or a case of another county/unit."""

    code = "forbidden"


class TransitionNotAllowed(PetitionFlowError):
    """The trigger cannot fire now: wrong state, failed guard or missing input."""

    code = "not_allowed"


class ConcurrentChangeError(PetitionFlowError):
    """Someone else changed the case first; the user must reload."""

    code = "conflict"

    def __init__(self, message: str = "该信访事项已被他人修改，请刷新后重试。"):
        super().__init__(message)


class RepeatDecisionRequired(PetitionFlowError):
    """Possible repeats were found; staff must link or proceed with a reason."""

    code = "repeat_decision_required"

    def __init__(self, matches):
        super().__init__("发现可能的重复信访事项，请选择关联或说明继续登记的理由。")
        self.matches = matches


class WorkflowError(PetitionFlowError):
    """A workflow file is invalid; the message names the file and the key."""

    code = "workflow_invalid"
