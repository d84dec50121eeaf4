from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ...errors import PetitionFlowError, ValidationError
from ...services.oversight import ORDER_STATUSES, get_order, orders_page
from ...services.supervision import (
    close_supervision_order,
    reply_supervision_order,
    return_supervision_order,
)
from ..common import actor, apply_errors, db, now, raise_http, today
from .blueprint import bp
from .forms import CloseForm, ReplyForm, ReturnForm, parse_date

FORMS = {"reply": ReplyForm, "close": CloseForm, "return": ReturnForm}


@bp.route("/")
def order_list():
    status = request.args.get("status") or None
    errors = []
    try:
        orders = orders_page(db(), actor(), status, today())
    except ValidationError as exc:
        errors, status = [exc.message], None
        orders = orders_page(db(), actor(), None, today())
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    return render_template("orders/list.html", orders=orders, status=status,
                           statuses=ORDER_STATUSES, errors=errors), 400 if errors else 200


def render_order(order_id: int, *, failed: str | None = None, form=None, errors=(), status=200):
    try:
        view = get_order(db(), actor(), order_id, today())
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    forms = {name: (form if name == failed else cls(formdata=None)) for name, cls in FORMS.items()}
    return render_template("orders/detail.html", o=view, forms=forms, errors=list(errors),
                           failed=failed), status


@bp.route("/<int:order_id>")
def order_detail(order_id: int):
    return render_order(order_id)


DONE = {"reply": "已书面回复督办单。", "close": "督办单已办结。", "return": "督办单已退回，并重新设定督办期限。"}


@bp.route("/<int:order_id>/<step>", methods=["POST"])
def order_step(order_id: int, step: str):
    if step not in FORMS:
        return render_order(order_id, errors=["未知的督办操作。"], status=404)
    form = FORMS[step]()
    try:
        if step == "reply":
            reply_supervision_order(db(), actor(), now(), order_id, form.reply.data or "")
        elif step == "close":
            close_supervision_order(db(), actor(), now(), order_id, form.note.data or "")
        else:
            return_supervision_order(db(), actor(), now(), order_id, form.note.data or "",
                                     parse_date(form.due_date.data))
    except PetitionFlowError as exc:
        raise_http(exc)
        loose = apply_errors(form, exc)
        return render_order(order_id, failed=step, form=form, errors=[exc.message, *loose],
                            status=400)
    flash(DONE[step], "success")
    return redirect(url_for("orders.order_detail", order_id=order_id))
