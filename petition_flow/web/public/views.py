"""Public views. The query code never travels in a URL: a matched code is remembered in the
(signed, HttpOnly) session as its SHA-256, and checked against the case's current code on
every page, so a re-issued code ends every session opened with the old one."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import NotFound

from ...errors import NotFoundError, PetitionFlowError
from ...services import feedback, online, portal
from ...services.petitions import engine_for
from ...services.throttle import public_throttle
from ..common import apply_errors, db, now, today
from .blueprint import bp
from .forms import EvaluationForm, LeaveForm, QueryForm, RequestForm, SubmitForm

SESSION_KEY = "public_case"
MIN_FILL_SECONDS = 2  # a person needs longer than this to fill the online form
MAX_FILL_SECONDS = 24 * 3600
REFUSED = "提交未成功，请稍后重新提交。"


def _address() -> str:
    return request.remote_addr or "unknown"


def _window_days() -> int:
    return int(current_app.config.get("EVALUATION_WINDOW_DAYS", 30))


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"  # a petitioner may be on a shared phone
    return response


@bp.route("/query", methods=["GET", "POST"])
def query():
    form = QueryForm()
    error, status = None, 200
    if request.method == "POST":
        try:
            case = portal.open_case(db(), public_throttle(), now(), form.case_no.data or "",
                                    form.query_code.data or "", _address())
        except portal.Throttled as exc:
            error, status = exc.message, 429
        except NotFoundError as exc:
            error, status = exc.message, 200
        else:
            session[SESSION_KEY] = {"case_id": case.id,
                                    "code": portal.code_digest(case.query_code)}
            return redirect(url_for("public.query_case"))
        form.query_code.data = ""
    return render_template("public/query.html", form=form, error=error), status


def _case():
    held = session.get(SESSION_KEY) or {}
    try:
        return portal.authorised_case(db(), int(held.get("case_id", 0)), held.get("code", ""))
    except (NotFoundError, TypeError, ValueError):
        session.pop(SESSION_KEY, None)
        return None


def _render_case(case, *, eval_form=None, request_form=None, errors=(), status=200):
    file = portal.petitioner_file(db(), case, now(), _window_days())
    return render_template("public/case.html", file=file,
                           eval_form=eval_form or EvaluationForm(formdata=None),
                           request_form=request_form or RequestForm(formdata=None),
                           ratings=feedback.RATINGS, errors=list(errors),
                           leave_form=LeaveForm()), status


@bp.route("/query/case")
def query_case():
    case = _case()
    if case is None:
        flash("请输入信访件编号和查询码。", "info")
        return redirect(url_for("public.query"))
    return _render_case(case)


@bp.route("/query/case/notices/<int:notice_id>")
def query_notice(notice_id: int):
    case = _case()
    if case is None:
        return redirect(url_for("public.query"))
    file = portal.petitioner_file(db(), case, now(), _window_days())
    notice = next((n for n in file.notices if n.id == notice_id), None)
    if notice is None:
        raise NotFound(description="未找到该文书。")
    return render_template("public/notice.html", file=file, notice=notice)


@bp.route("/query/case/evaluate", methods=["POST"])
def query_evaluate():
    case = _case()
    if case is None:
        return redirect(url_for("public.query"))
    form = EvaluationForm()
    try:
        feedback.evaluate(db(), now(), case, request.form, window_days=_window_days(),
                          address=_address())
    except PetitionFlowError as exc:
        return _render_case(case, eval_form=form, status=400,
                            errors=[exc.message, *apply_errors(form, exc)])
    flash("评价已提交，感谢您的评价。", "success")
    return redirect(url_for("public.query_case"))


@bp.route("/query/case/requests/<trigger>", methods=["POST"])
def query_request(trigger: str):
    case = _case()
    if case is None:
        return redirect(url_for("public.query"))
    form = RequestForm()
    try:
        row = feedback.request_review(db(), now(), case, trigger, form.reasons.data,
                                      address=_address(), settings=current_app.config)
    except PetitionFlowError as exc:
        return _render_case(case, request_form=form, status=400,
                            errors=[exc.message, *apply_errors(form, exc)])
    return render_template("public/request_receipt.html", row=row,
                           label=feedback.request_label(case, trigger),
                           file=portal.petitioner_file(db(), case, now(), _window_days()))


@bp.route("/query/leave", methods=["POST"])
def query_leave():
    LeaveForm().validate_on_submit()
    session.pop(SESSION_KEY, None)
    flash("已退出查询。", "info")
    return redirect(url_for("public.query"))


# --- 网上信访 -----------------------------------------------------------------------------

def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="public-submit-start")


def _submit_form(formdata=None) -> SubmitForm:
    form = SubmitForm(formdata=formdata) if formdata is not None else SubmitForm()
    form.set_counties(online.counties(db()))
    return form


def _render_submit(form, errors=(), status=200):
    form.started.data = _signer().dumps(now().timestamp())
    form.website.data = ""
    return render_template("public/submit.html", form=form, errors=list(errors),
                           rights=online.rights_duties_text(today())), status


def _looks_automated(form) -> bool:
    """A filled honeypot, or a form sent back sooner than a person could fill it."""
    if (form.website.data or "").strip():
        return True
    try:
        started = float(_signer().loads(form.started.data or "", max_age=MAX_FILL_SECONDS))
    except (BadSignature, TypeError, ValueError):
        return True
    return now().timestamp() - started < MIN_FILL_SECONDS


@bp.route("/submit", methods=["GET"])
def submit():
    return _render_submit(_submit_form(formdata=None))


@bp.route("/submit", methods=["POST"])
def submit_create():
    form = _submit_form()
    if _looks_automated(form):
        return _render_submit(form, [REFUSED], status=400)  # never say why
    try:
        case = online.submit_online(db(), public_throttle(), now(), form.command(),
                                    county=form.county.data or "",
                                    consent=bool(form.consent.data), address=_address(),
                                    settings=current_app.config)
    except portal.Throttled as exc:
        return _render_submit(form, [exc.message], status=429)
    except PetitionFlowError as exc:
        exc.fields = {k.removeprefix("petitioners-0-"): v for k, v in exc.fields.items()}
        return _render_submit(form, [exc.message, *apply_errors(form, exc)], status=400)
    file = portal.petitioner_file(db(), case, now(), _window_days())
    issued = engine_for(case).spec.register_notices  # 两告知: on_register.notices
    receipt = [n for n in file.notices if n.kind in issued]
    return render_template("public/submitted.html", case=case, file=file, receipt=receipt)
