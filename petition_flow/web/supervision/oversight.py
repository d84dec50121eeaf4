"""督办单 issued from a case or an alert, and the 追责问责 list, for county and city supervisors."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for

from ...errors import PetitionFlowError, ValidationError
from ...services.accountability import decide_accountability
from ...services.oversight import RECORD_STATUSES, issue_context, record_views
from ...services.supervision import issue_supervision_order
from ..common import actor, apply_errors, bounded_int, db, int_arg, now, raise_http, today
from ..orders.forms import IssueOrderForm, parse_date
from .blueprint import bp


def _context(case_id: int, alert_id: int | None):
    try:
        return issue_context(db(), actor(), case_id, alert_id)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise


@bp.route("/cases/<int:case_id>/orders/new", methods=["GET", "POST"])
def order_new(case_id: int):
    form = IssueOrderForm()
    alert_id = int_arg("alert") if request.method == "GET" else (
        bounded_int(form.alert_id.data))
    ctx = _context(case_id, alert_id)
    errors: list[str] = []
    if request.method == "GET":
        form.alert_id.data = str(alert_id or "")
        form.due_date.data = (today() + timedelta(days=7)).isoformat()
        form.listed.data = bool(ctx.case.listed_supervision)
    else:
        try:
            order = issue_supervision_order(
                db(), actor(), now(), case_id, requirements=form.requirements.data or "",
                due_date=parse_date(form.due_date.data), listed=bool(form.listed.data),
                alert_id=alert_id)
        except PetitionFlowError as exc:
            raise_http(exc)
            errors = [exc.message, *apply_errors(form, exc)]
        else:
            flash(f"已下发督办单第{order.id}号。", "success")
            return redirect(url_for("orders.order_detail", order_id=order.id))
    return render_template("supervision/order_new.html", form=form, ctx=ctx,
                           errors=errors), 400 if errors else 200


def _records(errors=None, status=200):
    shown = request.args.get("status", "pending")
    problems = []
    try:
        records = record_views(db(), actor(), None if shown == "all" else shown)
    except ValidationError as exc:
        problems, shown = [exc.message], "pending"
        records = record_views(db(), actor(), "pending")
        status = 400
    return render_template("supervision/accountability.html", records=records, shown=shown,
                           statuses=RECORD_STATUSES, errors=errors or {}, problems=problems,
                           posted=request.form), status


@bp.route("/accountability")
def accountability_list():
    return _records()


@bp.route("/accountability/<int:record_id>/<decision>", methods=["POST"])
def accountability_decide(record_id: int, decision: str):
    try:
        record = decide_accountability(db(), actor(), now(), record_id, decision,
                                       request.form.get("reason", ""))
    except PetitionFlowError as exc:
        raise_http(exc)
        return _records({record_id: [*exc.fields.values()] or [exc.message]}, 400)
    flash("已认定追责问责。" if record.status == "confirmed" else "已决定不予追责。", "success")
    return redirect(url_for("supervision.accountability_list"))
