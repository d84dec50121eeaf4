"""办理: the inbox by urgency, the case page, actions, audited reveal, printable notices."""

from . import casework, views  # noqa: F401  (the routes register on bp)
from .blueprint import bp  # noqa: F401
