"""登记: register a petition, decide on possible repeats, print the receipt."""

from . import views  # noqa: F401  (the routes register on bp)
from .blueprint import bp  # noqa: F401
