"""站内消息: every signed-in member of staff reads and acknowledges their alerts and messages;
the unread count sits in the top navigation of every page."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ...errors import PetitionFlowError
from ...services.inbox import acknowledge, unread_count
from ...services.inbox import acknowledge_all as acknowledge_every_alert
from ...services.oversight import inbox_page
from ..common import actor, db, now, raise_http, require_permission

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
SHOW = ("all", "unread")


@bp.before_request
def _guard():
    return require_permission("inbox")


def install(app: Flask) -> None:
    @app.context_processor
    def _unread():
        if not current_user.is_authenticated:
            return {}
        try:
            return {"inbox_unread": unread_count(db(), current_user.actor)}
        except SQLAlchemyError:  # an error page must still render when the database fails
            return {"inbox_unread": None}


def _show() -> str:
    show = request.values.get("show", "all")
    return show if show in SHOW else "all"


@bp.route("/")
def message_list():
    show = _show()
    items, listed, states = inbox_page(db(), actor(), unread_only=show == "unread")
    return render_template("inbox/list.html", items=items, listed=listed, states=states,
                           show=show)


@bp.route("/acknowledge-all", methods=["POST"])
def acknowledge_all():
    """全部确认: every unread alert at once, each acknowledgement audited."""
    try:
        count = acknowledge_every_alert(db(), actor(), now())
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    flash(f"已确认收到 {count} 条预警。" if count else "没有未确认的预警。", "success")
    return redirect(url_for("inbox.message_list", show=_show()))


@bp.route("/<int:item_id>/acknowledge", methods=["POST"])
def message_acknowledge(item_id: int):
    try:
        acknowledge(db(), actor(), now(), item_id)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    flash("已确认收到该消息。", "success")
    return redirect(url_for("inbox.message_list", show=_show()))
