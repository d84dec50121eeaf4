"""审批: a unit leader approves or refuses the extension requests of their unit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ...errors import PetitionFlowError
from ...services.casefile import extension_requests
from ...services.petitions import fire_transition
from ...services.preview import preview_transition
from ...services.rules import default_spec
from ..common import actor, db, now, raise_http, require_permission, today

bp = Blueprint("approval", __name__, url_prefix="/approvals")


def _decisions() -> dict[str, str]:
    """The leader's two answers, as the workflow names them (WorkflowSpec.extension_approval)."""
    pending = default_spec().extension_approval()
    if pending is None or len(pending.refuse) != 1:
        return {}
    return {"approve": pending.approve, "refuse": pending.refuse[0]}


@bp.before_request
def _guard():
    return require_permission("lead_unit")


def _effect(case_id: int):
    """What approving would do (the new deadline, the notice), shown before one decides."""
    trigger = _decisions().get("approve")
    if trigger is None:
        return None
    try:
        return preview_transition(db(), actor(), now(), case_id, trigger, {})
    except PetitionFlowError:
        return None  # the page says why when the leader tries


def _render(errors=None, status=200):
    requests = extension_requests(db(), actor(), today())
    effects = {r.case.id: _effect(r.case.id) for r in requests}
    return render_template("approval/list.html", requests=requests, effects=effects,
                           errors=errors or {}, posted=request.form), status


@bp.route("/")
def extension_list():
    return _render()


@bp.route("/<int:case_id>/<decision>", methods=["POST"])
def extension_decide(case_id: int, decision: str):
    trigger = _decisions().get(decision)
    if trigger is None:
        return _render({case_id: ["未知的审批意见。"]}, 404)
    inputs = {"reason": request.form.get("reason", "")} if decision == "refuse" else {}
    version = request.form.get("version_id", "")
    try:
        fire_transition(db(), actor(), now(), case_id, trigger, inputs,
                        int(version) if version.isdigit() else None)
    except PetitionFlowError as exc:
        raise_http(exc)
        return _render({case_id: [exc.message, *exc.fields.values()]}, 400)
    flash("已批准延期，并出具延长办理期限告知书。" if decision == "approve"
          else "已不批准延期，承办人须在原期限内办结。", "success")
    return redirect(url_for("approval.extension_list"))
