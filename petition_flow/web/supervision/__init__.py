"""督办: per-county figures for county and city supervisors, each one click from its list."""

from . import oversight, stats  # noqa: F401  (the routes register on bp)
from .blueprint import bp  # noqa: F401
