from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.exceptions import BadRequest

from ...errors import ConcurrentChangeError, PetitionFlowError, ValidationError
from ...services import documents, exports, noticefiles
from ...services.casefile import (
    case_file,
    default_spec,
    notice_for,
    unit_names,
    urgencies,
)
from ...services.digest import warning_figures
from ...services.disclosure import reveal_petitioners
from ...services.escalation import levels_view, report_up
from ...services.exclusions import declare_recusal, exclusions_view, record_accused
from ...services.feedback import RATINGS, staff_feedback
from ...services.oversight import orders_of_case
from ...services.petitioner_history import other_cases
from ...services.petitions import engine_for, fire_transition, get_case
from ...services.preview import preview_transition
from ...services.queries import CaseFilters, list_cases
from ...services.search import masked_petitioners
from ...services.statistics import SETS
from ..common import actor, apply_errors, date_arg, db, now, page_arg, raise_http, today
from ..downloads import download, with_own_session
from ..once import submit_once
from .blueprint import bp
from .casework import casework_context
from .forms import AccusedForm, RecusalForm, ReportUpForm, RevealForm, trigger_form


def filters_from_args() -> CaseFilters:
    """The list's filters. Concluded cases (已办结、已终结) are hidden unless asked for
    (``closed=1``), or the list is a search (a person's earlier matters matter most), a
    statistic's figure or a state's, which count them themselves."""
    args = request.args
    figure = any(args.get(k) for k in ("state", "stat", "completed", "q"))
    return CaseFilters(
        state=args.get("state") or None, step=args.get("step") or None,
        category=args.get("category") or None, county=args.get("county") or None,
        overdue=args.get("overdue") == "1",
        open_only=args.get("open") == "1" or not (figure or args.get("closed") == "1"),
        completed=args.get("completed") or None, level=args.get("level") or None,
        listed=args.get("listed") == "1",
        due_before=date_arg("due_before"), due_after=date_arg("due_after"),
        stat=args.get("stat") or None, period_from=date_arg("from"), period_to=date_arg("to"),
        unit=args.get("unit") or None, channel=args.get("channel") or None,
        q=args.get("q") or None,
        page=page_arg(), per_page=50,
    )


def case_list(template: str, **extra):
    """A scoped, urgency-ordered list of cases with colours and days left."""
    filters = filters_from_args()
    errors = []
    try:
        page = list_cases(db(), actor(), filters, today())
    except ValidationError as exc:
        errors = list(exc.fields.values()) or [exc.message]
        page = list_cases(db(), actor(), CaseFilters(), today())
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    ids = [r.id for r in page.rows]
    return render_template(
        template, page=page, filters=filters, errors=errors, spec=default_spec(),
        petitioners=masked_petitioners(db(), actor(), ids) if filters.q else {},
        stat_label=SETS[filters.stat].label if filters.stat in SETS else None,
        urgency=urgencies(db(), ids, today()),
        units=unit_names(db(), [r.responsible_unit_id for r in page.rows]), **extra)


@bp.route("/cases")
def inbox():
    return case_list("handling/inbox.html", warn=warning_figures(db(), actor(), now()))


def _forms(file, failed):
    """One form per action the user may take now; a failed one keeps its input and errors."""
    forms, loose = [], []
    for trigger in file.triggers:
        if failed is not None and failed[0] == trigger.name:
            form = trigger_form(trigger, file.unit_choices, version=file.case.version_id,
                                formdata=request.form)
            loose = apply_errors(form, failed[1], prefix=f"{trigger.name}-")
        else:
            form = trigger_form(trigger, file.unit_choices, version=file.case.version_id)
        forms.append(form)
    return forms, loose


def render_case(case_id: int, *, failed=None, errors=(), reveal=None, status=200,
                reveal_form=None, reveal_url=None, accused_form=None, recusal_form=None,
                report_form=None):
    try:
        file = case_file(db(), actor(), case_id, now(), reveal=reveal)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    forms, loose = _forms(file, failed)
    ex = exclusions_view(db(), actor(), file.case)
    return render_template(
        "handling/case.html", file=file, forms=forms, errors=[*errors, *loose],
        orders=orders_of_case(db(), actor(), file.case, today()),
        feedback=staff_feedback(db(), file.case), ratings=RATINGS,
        reveal_form=reveal_form or RevealForm(),
        reveal_url=reveal_url or url_for("handling.case_reveal", case_id=case_id),
        ex=ex, accused_form=accused_form or _accused_form(ex, file.case.version_id),
        recusal_form=recusal_form or _recusal_form(ex),
        others=other_cases(db(), actor(), file.case),
        other_states=engine_for(file.case).spec.states, **casework_context(file.case),
        levels=levels_view(db(), actor(), file.case),
        report_form=report_form or ReportUpForm(prefix="report_up")), status


def _accused_form(ex, version: int, formdata=None) -> AccusedForm:
    form = AccusedForm(formdata=formdata, prefix="accused")
    form.units.choices = [(str(i), name) for i, name in ex.unit_choices]
    form.users.choices = [(str(i), name) for i, name in ex.user_choices]
    if formdata is None:
        form.version_id.data = str(version)
        form.units.data = [str(i) for i in ex.selected_units]
        form.users.data = [str(i) for i in ex.selected_users]
        form.names.data = "、".join(ex.names)
    return form


def _recusal_form(ex, formdata=None) -> RecusalForm:
    form = RecusalForm(formdata=formdata, prefix="recusal")
    mine = [] if ex.recused else [("", "本人")]
    form.member.choices = mine + [(str(i), name) for i, name in ex.member_choices]
    return form


def _exclusions_failed(case_id: int, exc: PetitionFlowError, make):
    """Show the case again with the refused form, its input and its Chinese reasons."""
    raise_http(exc)
    form = make(exclusions_view(db(), actor(), get_case(db(), actor(), case_id)))
    loose = [m for m in apply_errors(form, exc, prefix=form._prefix) if m != exc.message]
    kind = "accused_form" if isinstance(form, AccusedForm) else "recusal_form"
    return render_case(case_id, errors=[exc.message, *loose], status=400, **{kind: form})


@bp.route("/cases/<int:case_id>/accused", methods=["POST"])
def case_accused(case_id: int):
    """Record or change who a 检举控告 accuses (信访工作条例第三十条第三款)."""
    form = AccusedForm(prefix="accused")
    version = form.version_id.data or ""
    try:
        record_accused(db(), actor(), now(), case_id, unit_ids=form.units.data or [],
                       user_ids=form.users.data or [], names=form.names.data or "",
                       reason=form.reason.data or "",
                       expected_version=int(version) if version.isdigit() else None)
    except ConcurrentChangeError as exc:
        return render_case(case_id, errors=[exc.message], status=409)
    except PetitionFlowError as exc:
        return _exclusions_failed(case_id, exc, lambda ex: _accused_form(
            ex, 0, formdata=request.form))
    flash("已登记被检举控告对象：该事项对被检举控告的单位和人员不可见，也不能转送、交办给被检举控告单位。",
          "success")
    return redirect(url_for("handling.case_detail", case_id=case_id))


@bp.route("/cases/<int:case_id>/recusal", methods=["POST"])
def case_recusal(case_id: int):
    """回避 (第二十八条第三款): declare one's own conflict, or a unit leader records a member's."""
    form = RecusalForm(prefix="recusal")
    member = form.member.data or ""
    try:
        row = declare_recusal(db(), actor(), now(), case_id, form.reason.data or "",
                              user_id=int(member) if member.isdigit() else None)
    except ConcurrentChangeError as exc:
        return render_case(case_id, errors=[exc.message], status=409)
    except PetitionFlowError as exc:
        return _exclusions_failed(case_id, exc, lambda ex: _recusal_form(
            ex, formdata=request.form))
    own = row.user_id == actor().user_id
    flash("已登记回避：您不再办理该信访事项。" if own else "已为本单位工作人员登记回避。", "success")
    return redirect(url_for("handling.case_detail", case_id=case_id))


@bp.route("/cases/<int:case_id>/report-up", methods=["POST"])
def case_report_up(case_id: int):
    """A county reports a 重大紧急 matter to the city (信访工作条例第二十五条)."""
    form = ReportUpForm(prefix="report_up")
    try:
        report_up(db(), actor(), now(), case_id, form.reason.data or "")
    except ConcurrentChangeError as exc:
        return render_case(case_id, errors=[exc.message], status=409)
    except PetitionFlowError as exc:
        raise_http(exc)
        apply_errors(form, exc, prefix="report_up-")
        return render_case(case_id, errors=[exc.message], report_form=form, status=400)
    flash("已向市级报告重大紧急信访事项（信访工作条例第二十五条），市信访局和市信联办已收到消息。",
          "success")
    return redirect(url_for("handling.case_detail", case_id=case_id))


@bp.route("/cases/export")
def case_export():
    """The filtered list, every page, as CSV or XLSX; petitioners masked; audited."""
    fmt, filters, who, day = request.args.get("format", "csv"), filters_from_args(), actor(), today()
    labels = {s.name: s.label for s in default_spec().states.values()}
    try:
        exports.check_format(fmt)
        exports.case_rows(db(), who, filters, day, labels)  # checks filters and permission
    except PetitionFlowError as exc:
        raise_http(exc)
        raise BadRequest(description=exc.message) from None
    exports.record_export(db(), who, now(), "cases", fmt, exports.filters_record(filters))
    rows = with_own_session(lambda s: exports.case_rows(s, who, filters, day, labels))
    return download(exports.chunks(fmt, "信访事项", rows), fmt, f"信访事项_{day}")


@bp.route("/cases/<int:case_id>")
def case_detail(case_id: int):
    return render_case(case_id)


CONFIRMED = "confirmed"  # set by the confirmation page of an irreversible step


def _asks_confirmation(case_id: int, trigger: str) -> bool:
    try:
        spec = engine_for(get_case(db(), actor(), case_id)).spec
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    found = spec.triggers.get(trigger)
    return found is not None and found.confirm


@bp.route("/cases/<int:case_id>/actions/<trigger>", methods=["POST"])
def case_fire(case_id: int, trigger: str):
    prefix = f"{trigger}-"
    inputs = {k.removeprefix(prefix): v for k, v in request.form.items()
              if k.startswith(prefix) and k not in (prefix + "version_id", prefix + "csrf_token")}
    # (the confirmation field is not the trigger's: it carries no prefix)
    version = request.form.get(prefix + "version_id", "")

    expected = int(version) if version.isdigit() else None
    if request.form.get(CONFIRMED) != "1" and _asks_confirmation(case_id, trigger):
        try:  # irreversible: show what it will do, and ask (works without JavaScript)
            effect = preview_transition(db(), actor(), now(), case_id, trigger, inputs, expected)
        except ConcurrentChangeError as exc:
            return render_case(case_id, errors=[exc.message], status=409)
        except PetitionFlowError as exc:
            raise_http(exc)
            return render_case(case_id, failed=(trigger, exc), errors=[exc.message], status=400)
        hidden = [(k, v) for k, v in request.form.items(multi=True) if k != CONFIRMED]
        return render_template("handling/confirm.html", effect=effect, hidden=hidden,
                               case_id=case_id, trigger=trigger, confirmed=CONFIRMED)

    def act() -> tuple[str, str]:
        case = fire_transition(db(), actor(), now(), case_id, trigger, inputs, expected)
        label = engine_for(case).spec.triggers[trigger].label
        return url_for("handling.case_detail", case_id=case.id), f"已完成“{label}”。"

    try:
        return submit_once(act)  # a double submit of the same form acts once
    except ConcurrentChangeError as exc:
        return render_case(case_id, errors=[exc.message], status=409)
    except PetitionFlowError as exc:
        raise_http(exc)
        return render_case(case_id, failed=(trigger, exc), errors=[exc.message], status=400)


def reveal_case(case_id: int, reveal_url: str | None = None):
    """Audit the reveal and show the case with its petitioners in full (pages of any role)."""
    form = RevealForm()
    try:
        parties = reveal_petitioners(db(), actor(), now(), case_id, form.reason.data or "")
    except PetitionFlowError as exc:
        raise_http(exc)
        apply_errors(form, exc)
        return render_case(case_id, errors=[exc.message], reveal_form=form, status=400,
                           reveal_url=reveal_url)
    return render_case(case_id, reveal=parties, reveal_url=reveal_url)


@bp.route("/cases/<int:case_id>/reveal", methods=["POST"])
def case_reveal(case_id: int):
    return reveal_case(case_id)


@bp.route("/cases/<int:case_id>/notices/<int:notice_id>")
def notice_print(case_id: int, notice_id: int):
    try:
        notice = notice_for(db(), actor(), case_id, notice_id)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    if notice is None:
        abort(404)
    return render_template("handling/notice.html", notice=notice, case_id=case_id,
                           document=Markup(documents.document_html(documents.Document(
                               notice.body, notice.doc_no, notice.issued_at, notice.served))))


def pdf_response(data: bytes, name: str) -> Response:
    """A PDF download with a Chinese file name (RFC 5987); never cached by the browser."""
    return Response(data, content_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=notice.pdf; filename*=UTF-8''"
                               f"{quote(name + '.pdf')}",
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@bp.route("/cases/<int:case_id>/notices/<int:notice_id>.pdf")
def notice_pdf(case_id: int, notice_id: int):
    """The notice's PDF through the disclosure policy: as issued (the kept file) to those who
    need to know, a masked copy to other readers of the case."""
    try:
        pdf = noticefiles.notice_pdf(db(), actor(), now(), case_id, notice_id)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    return pdf_response(pdf.data, pdf.filename)


@bp.route("/notices/daily")
def daily_notices():
    """当日文书: the day's notices of the cases in view, and the batch print as one PDF."""
    day = date_arg("date") or today()
    try:
        listed = noticefiles.daily_notices(db(), actor(), day)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    return render_template("handling/daily_notices.html", day=day, listed=listed)


@bp.route("/notices/daily.pdf")
def daily_notices_pdf():
    day = date_arg("date") or today()
    try:
        data = noticefiles.daily_notices_pdf(db(), actor(), now(), day)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    if data is None:
        flash(f"{day.year}年{day.month}月{day.day}日没有出具文书。", "info")
        return redirect(url_for("handling.daily_notices", date=day.isoformat()))
    return pdf_response(data, f"{day.isoformat()}当日文书")
