"""Small helpers shared by the blueprints: who is acting, now, and mapping service errors."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import current_app, g, redirect, request, url_for
from flask_login import current_user
from werkzeug.exceptions import Forbidden, NotFound

from .. import clock
from ..db import get_session
from ..errors import NotFoundError, PermissionDenied, PetitionFlowError
from ..models import MAX_ID
from ..services.actor import Actor

_CJK = re.compile(r"[\u4e00-\u9fff]")


def db():
    return get_session()


def actor() -> Actor:
    return current_user.actor


def now() -> datetime:
    """The request's instant, read once from the one wall clock (tests may set
    PETITION_FLOW_CLOCK to a callable, as for the API)."""
    if "now" not in g:
        g.now = current_app.config.get("PETITION_FLOW_CLOCK", clock.now)()
    return g.now


def today() -> date:
    return clock.local_date(now())


def chinese(text: str | None) -> bool:
    return bool(text and _CJK.search(text))


def require_permission(*permissions: str):
    """For a blueprint's before_request: log in first, then a role holding one of the
    permissions (domain/roles.py), else 403 (a whole section, so nothing is revealed)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not any(current_user.actor.may(p) for p in permissions):
        raise Forbidden(description="您的角色无权访问此页面。")
    return None


def raise_http(exc: PetitionFlowError):
    """Map refusals to 403/404 pages; anything else is for the form to show."""
    if isinstance(exc, NotFoundError):
        raise NotFound(description=exc.message)
    if isinstance(exc, PermissionDenied):
        raise Forbidden(description=exc.message)


def all_fields(form) -> dict:
    """Every field of a form by its HTML name, through FieldList and FormField."""
    out = {}

    def walk(field):
        out[field.name] = field
        entries = getattr(field, "entries", None)
        if entries is not None:
            for entry in entries:
                walk(entry)
        sub = getattr(field, "form", None)
        if sub is not None and hasattr(sub, "_fields"):
            for child in sub:
                walk(child)

    for field in form:
        walk(field)
    return out


def apply_errors(form, exc: PetitionFlowError, prefix: str = "") -> list[str]:
    """Put each field message next to its field; return the ones that belong to no field."""
    fields = all_fields(form)
    loose = []
    for key, message in exc.fields.items():
        field = fields.get(prefix + key)
        if field is None:
            loose.append(message)
        else:
            field.errors = [*(field.errors or []), message]
    return loose


MAX_PAGE = 100_000


def bounded_int(text: str | None, default: int | None = None) -> int | None:
    """An integer a database key or a page number can be; anything else is ``default``."""
    text = (text or "").strip()
    if not text or len(text) > 12:
        return default
    try:
        number = int(text)
    except ValueError:
        return default
    return number if -MAX_ID <= number <= MAX_ID else default


def int_arg(name: str, default: int | None = None) -> int | None:
    return bounded_int(request.args.get(name), default)


def page_arg() -> int:
    """?page=…, from 1 to MAX_PAGE (a larger one shows the last page there is, or nothing)."""
    return min(max(int_arg("page", 1) or 1, 1), MAX_PAGE)


def date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def options(pairs, *, placeholder: bool = True) -> list:
    """Field choices, with a "请选择" first unless ``placeholder`` is off (radio buttons);
    SelectChoice where WTForms has it (3.3+)."""
    pairs = [(str(v), label) for v, label in pairs]
    try:
        from wtforms.fields.choices import SelectChoice
    except ImportError:  # WTForms before 3.3 takes (value, label) tuples
        return [("", "请选择"), *pairs] if placeholder else pairs
    choices = [SelectChoice(v, label) for v, label in pairs]
    return [SelectChoice("", "请选择"), *choices] if placeholder else choices


def query_args(args, **changes) -> dict:
    """Request arguments to pass on to url_for: those url_for would take as its own options
    (``_method``, ``_anchor``, ``_external``, ``_scheme``) are dropped, not obeyed."""
    out = {k: v for k, v in args.items() if not k.startswith("_")}
    out.update(changes)
    return out
