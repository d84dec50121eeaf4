"""The endpoints. Each view authenticates (once, in ``before_request``), reads its input
against the published schema, calls one service and shapes the answer."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, g, request

from .. import clock
from ..clock import local_date
from ..db import get_session
from ..domain.registry import DEFAULT_WORKFLOW
from ..errors import NotFoundError, PermissionDenied
from ..services import inbox, queries, statistics
from ..services.calendars import current_calendar, plain_due
from ..services.disclosure import reveal_petitioners
from ..services.idempotency import HEADER, answer_once, fingerprint
from ..services.org import require_own_county
from ..services.petitions import (
    all_engines,
    available_triggers,
    engine_for,
    fire_transition,
    get_case,
    register_petition,
)
from ..services.tokens import authenticate
from . import serialize
from .blueprint import bp, jsonify
from .openapi import document
from .validation import parse_query, path_id, read_json

PUBLIC = {"api.openapi"}


def now() -> datetime:
    """The request's instant; tests may set PETITION_FLOW_CLOCK to a callable."""
    return current_app.config.get("PETITION_FLOW_CLOCK", clock.now)()


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC or request.endpoint is None:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    g.api_actor = authenticate(get_session(), token.strip() if scheme.lower() == "bearer"
                               else None, now())


def _viewable_case(case_id: int):
    """The case if the caller handles cases and may see it; otherwise "not found", not 403."""
    if not g.api_actor.may("cases"):
        raise NotFoundError("未找到该信访事项。")
    try:
        return get_case(get_session(), g.api_actor, case_id)
    except PermissionDenied:
        raise NotFoundError("未找到该信访事项。") from None


def _detail_body(case, *, revealed=None) -> dict:
    """The case as the disclosure policy shows it (services/disclosure.py): petitioners masked,
    as on the pages, unless an audited reveal just returned them. A read never writes."""
    session, actor, instant = get_session(), g.api_actor, now()
    spec = engine_for(case).spec
    triggers = available_triggers(session, actor, case, instant)
    return serialize.case_detail(session, actor, case, spec, triggers, local_date(instant),
                                 revealed)


def _detail(case, status: int = 200):
    return jsonify(_detail_body(case), status)


def _answer_once(work, body) -> object:
    """One write transaction for the change, its audit, the answer and the Idempotency-Key
    (services/idempotency.py); a replay answers with the stored first answer."""
    key = request.headers.get(HEADER)
    answer = answer_once(get_session(), g.api_actor, now(), work, key=key,
                         request_fingerprint=fingerprint(request.method, request.path, body))
    response = jsonify(answer.body, answer.status)
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.post("/petitions")
def petition_register():
    body = read_json(request, "RegistrationRequest")
    sent = dict(body)
    session, actor = get_session(), g.api_actor
    county = body.pop("county", None)
    if county is not None:
        require_own_county(session, actor, county)
    instant = now()

    def work():
        result = register_petition(session, actor, instant, body)
        spec = engine_for(result.case).spec
        return 201, serialize.registered(result.case, spec, result.matches, local_date(instant))

    return _answer_once(work, sent)


@bp.get("/petitions")
def petition_list():
    args = parse_query(request, "list_petitions")
    today = local_date(now())
    filters = queries.CaseFilters(
        state=args.get("state"), step=args.get("step"), category=args.get("category"),
        county=args.get("county"), overdue=bool(args.get("overdue")),
        due_before=args.get("due_before"), q=args.get("q"), page=args["page"],
        per_page=args["per_page"],
    )
    session = get_session()
    page = queries.list_cases(session, g.api_actor, filters, today)
    return jsonify(serialize.case_page(session, g.api_actor, page,
                                       all_engines()[DEFAULT_WORKFLOW].spec))


@bp.get("/petitions/<case_id>")
def petition_detail(case_id: str):
    return _detail(_viewable_case(path_id(case_id)))


@bp.post("/petitions/<case_id>/events")
def petition_fire(case_id: str):
    number = path_id(case_id)
    body = read_json(request, "EventRequest")
    _viewable_case(number)

    def work():
        case = fire_transition(get_session(), g.api_actor, now(), number, body["trigger"],
                               body.get("data") or {}, body.get("version"))
        return 200, _detail_body(case)

    return _answer_once(work, body)


@bp.post("/petitions/<case_id>/reveal")
def petition_reveal(case_id: str):
    """Petitioners in full, with a reason, audited — the page's 查看完整信息, same policy."""
    number = path_id(case_id)
    body = read_json(request, "RevealRequest")
    _viewable_case(number)
    # The audit entry is committed before anything is shown; the answer is never stored (an
    # Idempotency-Key's stored answer would keep the full identity in plaintext), and a
    # repeated reveal is simply another audited reveal.
    parties = reveal_petitioners(get_session(), g.api_actor, now(), number, body["reason"])
    return jsonify(_detail_body(_viewable_case(number), revealed=parties))


@bp.get("/stats")
def stats():
    """Today's per-county 督办 figures (``counties``), and every defined figure for a period,
    grouped (``groups``, ``total``, ``definitions``; services/statistics.py)."""
    args = parse_query(request, "stats")
    session, today = get_session(), local_date(now())
    figures = queries.county_figures(session, g.api_actor, today)
    report = statistics.statistics(session, g.api_actor, today, start=args.get("from"),
                                   end=args.get("to"), group_by=args["group_by"],
                                   county=args.get("county"))
    return jsonify({**serialize.county_figures(figures, today), **serialize.report(report)})


@bp.get("/alerts")
def alert_list():
    args = parse_query(request, "list_alerts")
    filters = inbox.AlertFilters(unread_only=bool(args.get("unread")), level=args.get("level"),
                                 case_id=args.get("case_id"), page=args["page"],
                                 per_page=args["per_page"])
    return jsonify(serialize.alert_page(inbox.list_alerts(get_session(), g.api_actor, filters)))


@bp.post("/alerts/<item_id>/acknowledge")
def alert_acknowledge(item_id: str):
    number = path_id(item_id, "预警消息编号")
    entry = inbox.acknowledge_alert(get_session(), g.api_actor, now(), number)
    return jsonify(serialize.alert(entry))


@bp.get("/calendar/due")
def calendar_due():
    args = parse_query(request, "calendar_due")
    due = plain_due(current_calendar(get_session()), args["from"], args["days"], args["unit"])
    return jsonify({"from": args["from"].isoformat(), "days": args["days"], "unit": args["unit"],
                    "due_date": due.due_date.isoformat(), "provisional": due.provisional,
                    "explanation": due.explanation, "calendar_version": due.calendar_version})


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())
