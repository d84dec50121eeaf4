from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from ...clock import CHINA_TZ
from ...errors import PetitionFlowError, RepeatDecisionRequired
from ...services.attachments import add_attachments, check_uploads
from ...services.casefile import case_file, default_spec
from ...services.petitioner_history import other_cases
from ...services.petitions import register_petition
from ...services.portal import reissue_query_code
from ...services.registration import MAX_PETITIONERS
from ..common import actor, apply_errors, db, now, raise_http
from ..once import submit_once
from ..uploads import max_bytes, store, uploads_from
from .blueprint import bp
from .forms import PetitionForm


def _render(form, *, errors=(), matches=(), status=200):
    return render_template("reception/petition_form.html", form=form, errors=list(errors),
                           matches=list(matches), spec=default_spec()), status


@bp.route("/petitions/new", methods=["GET"])
def petition_new():
    form = PetitionForm(formdata=None)
    form.received_at.data = now().astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M")
    return _render(form)


@bp.route("/petitions/new", methods=["POST"])
def petition_create():
    form = PetitionForm()
    if "add_petitioner" in request.form:
        if len(form.petitioners) < MAX_PETITIONERS:
            form.petitioners.append_entry()
        return _render(form)
    if "remove_petitioner" in request.form:
        if len(form.petitioners) > 1:
            form.petitioners.pop_entry()
        return _render(form)
    def act() -> tuple[str, str]:
        result = register_petition(db(), actor(), now(), form.command())
        if uploads:  # in the registration's transaction: both or neither
            add_attachments(db(), actor(), now(), result.case.id, uploads, store(), max_bytes())
        return (url_for("reception.receipt", case_id=result.case.id),
                f"已登记，信访件编号 {result.case.case_no}。请打印登记回执交信访人。"
                + (f"附件{len(uploads)}个已保存。" if uploads else ""))

    try:
        uploads = uploads_from()
        check_uploads(uploads, max_bytes())  # a refused file refuses nothing else yet
        return submit_once(act)  # a double submit of the same form registers once
    except RepeatDecisionRequired as exc:
        return _render(form, errors=[exc.message], matches=exc.matches, status=409)
    except PetitionFlowError as exc:
        raise_http(exc)
        return _render(form, errors=[exc.message, *apply_errors(form, exc)], status=400)


@bp.route("/cases/<int:case_id>/receipt")
def receipt(case_id: int):
    try:
        file = case_file(db(), actor(), case_id, now())
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    # 两告知: the notices the workflow issues on registration (on_register.notices)
    notices = [n for n in file.notices if n.kind in file.spec.register_notices]
    if not notices:
        abort(404)
    return render_template("reception/receipt.html", file=file, notices=notices,
                           others=other_cases(db(), actor(), file.case),
                           other_states=default_spec().states)


@bp.route("/cases/<int:case_id>/query-code", methods=["POST"])
def query_code_reissue(case_id: int):
    """重新生成查询码 (audited); the old code stops working at once."""
    try:
        code = reissue_query_code(db(), actor(), now(), case_id)
    except PetitionFlowError as exc:
        raise_http(exc)
        flash(exc.message, "error")
    else:
        flash(f"已重新生成查询码：{code}。原查询码已作废，请告知信访人新的查询码。", "success")
    return redirect(url_for("handling.case_detail", case_id=case_id))
