"""督办单: the unit that received an order replies in writing; the supervisors of its county
(or the city) close it or send it back with a new due date."""

from . import views  # noqa: F401  (the routes register on bp)
from .blueprint import bp  # noqa: F401
