"""One-time tokens on the pages' action forms: a double submit is one action.

Every action form carries a hidden ``form_once`` token made when the page was drawn. The
action, its audit entries and the token are committed in one transaction
(services/idempotency.py); a second submit of the same form (a double click, a browser
retry, "back" and submit again) finds the token used and is sent where the first went,
with a note, instead of acting twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import Flask, flash, redirect, request

from ..services.idempotency import answer_once
from .common import actor, db, now

FIELD = "form_once"


def once_token() -> str:
    return secrets.token_urlsafe(18)


def submit_once(act: Callable[[], tuple[str, str]]):
    """Run ``act`` (the action; it returns where to go next and what to tell the user) at
    most once per form token; a refused action raises as before and uses nothing up."""
    token = (request.form.get(FIELD) or "").strip()[:64] or None

    def work():
        location, message = act()
        return 303, {"location": location, "message": message}

    answer = answer_once(db(), actor(), now(), work,
                         key=f"form:{token}" if token else None, request_fingerprint="form")
    if answer.replayed:
        flash("该表单已经提交过，操作只执行了一次。", "info")
    else:
        flash(answer.body["message"], "success")
    return redirect(answer.body["location"])


def install(app: Flask) -> None:
    app.add_template_global(once_token)
    app.add_template_global(FIELD, "once_field")
