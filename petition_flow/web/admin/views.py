from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from werkzeug.exceptions import BadRequest

from ...domain.safefile import MAX_CALENDAR_BYTES
from ...domain.spec import MAX_ID
from ...domain.workcalendar import CalendarFileError
from ...errors import PetitionFlowError, ValidationError
from ...services import accounts, exports, noticetexts
from ...services.audit import verify_chain
from ...services.auditlog import ACTION_LABELS, AuditFilters, search_audit
from ...services.calendars import import_calendar
from ...services.casefile import calendar_years, last_calendar_effect, workflows_in_use
from ..auth import policy
from ..common import actor, apply_errors, date_arg, db, now, options, page_arg, raise_http
from ..downloads import download, with_own_session
from ..handling.views import render_case
from .blueprint import bp
from .forms import ActionForm, CalendarForm, ResetPasswordForm, UnitForm, UserForm


def _int(value) -> int:
    """A form's id field: 0 (no such row) unless it is a key a row can have."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 1 <= number <= MAX_ID else 0


def _users_page(form=None, errors=(), reset_errors=None, status=200):
    d = accounts.directory(db(), actor())
    form = form or UserForm(formdata=None)
    form.unit_id.choices = options((u.id, f"{u.region.name} · {u.name}") for u in d.units
                                   if u.active)
    return render_template("admin/users.html", d=d, form=form, errors=list(errors),
                           password_hint=policy().describe(),
                           sessions=accounts.session_counts(db(), actor()),
                           action=ActionForm(), reset=ResetPasswordForm(formdata=None),
                           reset_errors=reset_errors or {}), status


@bp.route("/users")
def users():
    return _users_page()


@bp.route("/users", methods=["POST"])
def user_create():
    form = UserForm()
    try:
        user = accounts.add_user(db(), actor(), now(), username=form.username.data or "",
                                 display_name=form.display_name.data or "",
                                 password=form.password.data or "",
                                 unit_id=_int(form.unit_id.data), role=form.role.data or "",
                                 policy=policy())
    except PetitionFlowError as exc:
        raise_http(exc)
        return _users_page(form, [exc.message, *apply_errors(form, exc)], status=400)
    flash(f"已新建用户 {user.username}。", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/<any(activate, deactivate):change>", methods=["POST"])
def user_active(user_id: int, change: str):
    if change == "deactivate" and request.form.get("confirmed") != "1":
        try:  # irreversible for the user's sessions: show what it does, and ask
            effect = accounts.deactivation_effect(db(), actor(), user_id)
        except PetitionFlowError as exc:
            raise_http(exc)
            flash(exc.message, "error")
            return redirect(url_for("admin.users"))
        return render_template("admin/confirm_deactivate.html", effect=effect,
                               action=ActionForm())
    try:
        user = accounts.set_user_active(db(), actor(), now(), user_id, change == "activate")
    except PetitionFlowError as exc:
        raise_http(exc)
        flash(exc.message, "error")
        return redirect(url_for("admin.users"))
    flash(f"已{'启用' if user.active else '停用'}用户 {user.username}。", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def user_password_reset(user_id: int):
    form = ResetPasswordForm()
    try:
        user = accounts.reset_password(db(), actor(), now(), user_id, form.password.data or "",
                                       policy())
    except PetitionFlowError as exc:
        raise_http(exc)
        return _users_page(reset_errors={user_id: [exc.message, *exc.fields.values()]},
                           status=400)
    flash(f"已重置用户 {user.username} 的密码：其登录会话均已结束，下次登录须修改密码。", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
def user_force_logout(user_id: int):
    """强制下线: end every session of a user at once."""
    try:
        count = accounts.force_logout(db(), actor(), now(), user_id)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    flash(f"已强制下线，结束了 {count} 个登录会话。", "success")
    return redirect(url_for("admin.users"))


def _units_page(form=None, errors=(), status=200):
    d = accounts.directory(db(), actor())
    form = form or UnitForm(formdata=None)
    form.region_id.choices = options((r.id, r.name) for r in d.regions)
    return render_template("admin/units.html", d=d, form=form, errors=list(errors),
                           action=ActionForm(), kinds=accounts.UNIT_KINDS), status


@bp.route("/units")
def units():
    return _units_page()


@bp.route("/units", methods=["POST"])
def unit_create():
    form = UnitForm()
    try:
        unit = accounts.add_unit(db(), actor(), now(), code=form.code.data or "",
                                 name=form.name.data or "", kind=form.kind.data or "",
                                 region_id=_int(form.region_id.data))
    except PetitionFlowError as exc:
        raise_http(exc)
        return _units_page(form, [exc.message, *apply_errors(form, exc)], status=400)
    flash(f"已新建单位 {unit.name}。", "success")
    return redirect(url_for("admin.units"))


@bp.route("/units/<int:unit_id>/<any(activate, deactivate):change>", methods=["POST"])
def unit_active(unit_id: int, change: str):
    try:
        unit = accounts.set_unit_active(db(), actor(), now(), unit_id, change == "activate")
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    flash(f"已{'启用' if unit.active else '停用'}单位 {unit.name}。", "success")
    return redirect(url_for("admin.units"))


def _calendar_page(form=None, errors=(), status=200):
    return render_template("admin/calendar.html", form=form or CalendarForm(formdata=None),
                           years=calendar_years(db(), actor()), errors=list(errors),
                           effect=last_calendar_effect(db(), actor())), status


@bp.route("/calendar")
def calendar():
    return _calendar_page()


@bp.route("/calendar", methods=["POST"])
def calendar_upload():
    form = CalendarForm()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.file.errors = ["请选择要导入的节假日安排文件。"]
        return _calendar_page(form, status=400)
    try:
        text = upload.read(MAX_CALENDAR_BYTES + 1).decode("utf-8")  # parse_override refuses more
    except UnicodeDecodeError:
        form.file.errors = ["文件须为 UTF-8 编码的 YAML 文本。"]
        return _calendar_page(form, status=400)
    try:
        override, count = import_calendar(db(), actor(), now(), text, upload.filename)
    except CalendarFileError as exc:
        form.file.errors = [str(exc)]
        return _calendar_page(form, status=400)
    except PetitionFlowError as exc:
        raise_http(exc)
        return _calendar_page(form, [exc.message], status=400)
    flash(f"已导入 {override.year} 年节假日安排：放假 {len(override.holidays)} 天，"
          f"调休上班 {len(override.workdays)} 天；{count} 个未办结期限的截止日期因此改变。",
          "success")
    return redirect(url_for("admin.calendar"))


@bp.route("/health")
def health():
    """The instance's health: the checks of ``petition-flow doctor`` (services/health.py)."""
    from pathlib import Path

    from flask import current_app

    from ...services.health import instance_health

    report = instance_health(current_app.extensions["petition_flow.engine"], now(),
                             current_app.config, instance=Path(current_app.instance_path))
    return render_template("admin/health.html", report=report)


@bp.route("/workflows")
def workflows():
    return render_template("admin/workflows.html", workflows=workflows_in_use(actor()))


AUDIT_ARGS = ("case_no", "action", "username", "date_from", "date_to")
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def _audit_date(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None or not EARLIEST <= day <= LATEST:
        raise BadRequest(description=f"日期“{raw[:20]}”无效：应为 {EARLIEST} 至 {LATEST} 之间的日期，"
                                     "格式如 2026-10-09。")
    return day


def _audit_filters() -> AuditFilters:
    args = request.args
    return AuditFilters(case_no=args.get("case_no", "").strip()[:32],
                        action=args.get("action", "")[:64],
                        username=args.get("username", "").strip()[:64],
                        date_from=_audit_date("date_from"), date_to=_audit_date("date_to"),
                        page=page_arg())


def audit_query(filters: AuditFilters, **changes) -> dict:
    """The filters as query arguments for url_for: only the known ones (never ``_method``,
    ``_anchor`` or ``_external`` from the request)."""
    values = {name: getattr(filters, name) for name in AUDIT_ARGS}
    values.update(changes)
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v}


def _audit_page(result=None):
    filters = _audit_filters()
    page = search_audit(db(), actor(), filters)
    return render_template("admin/audit.html", page=page, filters=filters, query=audit_query,
                           labels=ACTION_LABELS, verify=result, action=ActionForm())


@bp.route("/audit")
def audit():
    return _audit_page()


@bp.route("/audit/export")
def audit_export():
    """The audit log of a date range with its chain hashes, for inspectors (read_audit only)."""
    fmt, who = request.args.get("format", "csv"), actor()
    start, end = date_arg("date_from"), date_arg("date_to")
    try:
        exports.check_format(fmt)
        if start is None or end is None:
            raise ValidationError("请填写导出的起止日期（YYYY-MM-DD）。",
                                  fields={"date_from": "请填写起止日期。"})
        exports.audit_rows(db(), who, start, end)  # checks the permission and the range
    except PetitionFlowError as exc:
        raise_http(exc)
        raise BadRequest(description=exc.message) from None
    exports.record_export(db(), who, now(), "audit_log", fmt,
                          {"date_from": start.isoformat(), "date_to": end.isoformat()})
    rows = with_own_session(lambda s: exports.audit_rows(s, who, start, end))
    return download(exports.chunks(fmt, "操作日志", rows), fmt, f"操作日志_{start}_{end}")


@bp.route("/audit/verify", methods=["POST"])
def audit_verify():
    return _audit_page(verify_chain(db()))


@bp.route("/cases/<int:case_id>")
def case_view(case_id: int):
    """A case read-only, petitioners masked: administrators cannot reveal them (三权分立)."""
    return render_case(case_id)


@bp.route("/cases/<int:case_id>/notices/<int:notice_id>")
def notice_print(case_id: int, notice_id: int):
    from ..handling.views import notice_print as show

    return show(case_id, notice_id)


@bp.route("/cases/<int:case_id>/notices/<int:notice_id>.pdf")
def notice_pdf(case_id: int, notice_id: int):
    from ..handling.views import notice_pdf as download_pdf

    return download_pdf(case_id, notice_id)


@bp.route("/notice-texts")
def notice_texts():
    """文书文本: each county's own text of a notice, or the package's."""
    regions = noticetexts.counties(db())
    code = request.args.get("county") or (regions[0].code if regions else "")
    try:
        listed = noticetexts.texts(db(), actor(), code)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    return render_template("admin/notice_texts.html", regions=regions, county=code,
                           listed=listed)


def _notice_text_page(county: str, kind: str, text: str | None = None, errors=(),
                      status=200):
    try:
        current = noticetexts.text_of(db(), actor(), county, kind)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    region = next(r for r in noticetexts.counties(db()) if r.code == county)
    return render_template("admin/notice_text.html", region=region, notice=current,
                           text=current.text if text is None else text, errors=list(errors),
                           action=ActionForm()), status


@bp.route("/notice-texts/<county>/<kind>")
def notice_text(county: str, kind: str):
    return _notice_text_page(county, kind)


@bp.route("/notice-texts/<county>/<kind>", methods=["POST"])
def notice_text_save(county: str, kind: str):
    text = request.form.get("text", "")
    try:
        noticetexts.save_text(db(), actor(), now(), county, kind, text)
    except ValidationError as exc:
        return _notice_text_page(county, kind, text, [exc.message], status=400)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    flash("已保存本县（区）的文书文本，自下一份文书起使用。", "success")
    return redirect(url_for("admin.notice_text", county=county, kind=kind))


@bp.route("/notice-texts/<county>/<kind>/reset", methods=["POST"])
def notice_text_reset(county: str, kind: str):
    try:
        noticetexts.reset_text(db(), actor(), now(), county, kind)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    flash("已恢复为系统默认文本。", "success")
    return redirect(url_for("admin.notice_text", county=county, kind=kind))
