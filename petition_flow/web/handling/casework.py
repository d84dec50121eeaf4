"""The case page's attachments (附件), internal notes (内部备注) and named handler (承办人):
their context for the page and their routes. Uploads are checked by content and size in
services/attachments.py; files go out only as downloads, never rendered by the browser."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import Response, flash, redirect, request, url_for

from ...errors import PetitionFlowError
from ...services.actor import can_act
from ...services.assignment import assign_handler, assigned_handler, handler_choices
from ...services.attachments import (
    add_attachments,
    attachment_thumbnail,
    download_attachment,
    list_attachments,
)
from ...services.notes import add_note, notes_for
from ..common import actor, bounded_int, db, now, raise_http
from ..uploads import max_bytes, store, uploads_from
from .blueprint import bp


def casework_context(case) -> dict:
    """What the case page's partials _attachments, _notes and _assignment show."""
    session, who = db(), actor()
    return {"attachments": list_attachments(session, who, case, can_act(who, case)),
            # Staff who handle cases only: the administrators' read-only view shows none.
            "notes": notes_for(session, who, case) if who.may("cases") else None,
            "assigned": assigned_handler(session, case),
            "handler_choices": handler_choices(session, who, case),
            "attachment_limit": max_bytes()}


def _back(case_id: int, anchor: str):
    return redirect(url_for("handling.case_detail", case_id=case_id, _anchor=anchor))


def _refused(exc: PetitionFlowError, case_id: int, anchor: str):
    raise_http(exc)
    flash(exc.message, "error")
    return _back(case_id, anchor)


@bp.route("/cases/<int:case_id>/attachments", methods=["POST"])
def case_attach(case_id: int):
    try:
        rows = add_attachments(db(), actor(), now(), case_id, uploads_from(), store(),
                               max_bytes())
    except PetitionFlowError as exc:
        return _refused(exc, case_id, "attachments")
    flash(f"已上传{len(rows)}个附件。", "success")
    return _back(case_id, "attachments")


def _file_response(data: bytes, mime: str, filename: str | None) -> Response:
    """Bytes that a browser saves, never renders: attachment disposition, no sniffing, and a
    sandbox should anything still try to display them."""
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
               "Content-Security-Policy": "default-src 'none'; sandbox"}
    if filename is not None:
        ascii_name = "attachment" + (Path(filename).suffix if Path(filename).suffix.isascii()
                                     else "")
        headers["Content-Disposition"] = (f"attachment; filename={ascii_name}; "
                                          f"filename*=UTF-8''{quote(filename)}")
    else:
        headers["Content-Disposition"] = "attachment; filename=thumbnail.png"
    return Response(data, content_type=mime, headers=headers)


@bp.route("/cases/<int:case_id>/attachments/<int:attachment_id>")
def attachment_download(case_id: int, attachment_id: int):
    try:
        out = download_attachment(db(), actor(), now(), case_id, attachment_id, store())
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    return _file_response(out.data, out.mime, out.filename)


@bp.route("/cases/<int:case_id>/attachments/<int:attachment_id>/thumbnail")
def attachment_thumb(case_id: int, attachment_id: int):
    try:
        data = attachment_thumbnail(db(), actor(), case_id, attachment_id, store())
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    return _file_response(data, "image/png", None)  # an <img> shows it all the same


@bp.route("/cases/<int:case_id>/notes", methods=["POST"])
def case_note(case_id: int):
    try:
        add_note(db(), actor(), now(), case_id, request.form.get("body", ""))
    except PetitionFlowError as exc:
        return _refused(exc, case_id, "notes")
    flash("已添加内部备注（仅工作人员可见）。", "success")
    return _back(case_id, "notes")


@bp.route("/cases/<int:case_id>/handler", methods=["POST"])
def case_assign(case_id: int):
    version = bounded_int(request.form.get("version_id"))
    try:
        user = assign_handler(db(), actor(), now(), case_id,
                              bounded_int(request.form.get("assignee"), 0) or 0, version)
    except PetitionFlowError as exc:  # ConcurrentChangeError too: reload and choose again
        return _refused(exc, case_id, "assignment")
    flash(f"已指派承办人：{user.display_name}。", "success")
    return _back(case_id, "assignment")
