"""The endpoints. Each view authenticates (once, in ``before_request``), reads its input
against the published schema, calls one service and shapes the answer."""

from __future__ import annotations

from dataclasses import replace
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
from .openapi import document, operation
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
    actor = authenticate(get_session(), token.strip() if scheme.lower() == "bearer"
                         else None, now())
    g.api_actor = replace(actor, address=(request.remote_addr or "")[:64] or None)


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


@operation(bp, "/petitions", "POST", operation_id="register_petition", summary="登记信访事项",
           description="在调用者所在县（区）登记；发现疑似重复时返回 422 和 repeats，"
                       "须以 repeat_of_id 关联或以 repeat_reason 说明后重新提交。"
                       "重试请带 Idempotency-Key，以免重复登记。",
           idempotent=True, body="RegistrationRequest", answer="Registered", status=201,
           answer_description="已登记", errors=(400, 401, 403, 409, 422))
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


@operation(bp, "/petitions", "GET", operation_id="list_petitions",
           summary="信访事项列表（按最近截止日期排序）", query="list_petitions", answer="CaseList",
           errors=(400, 401, 403, 422))
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


@operation(bp, "/petitions/<case_id>", "GET", operation_id="get_petition",
           summary="信访事项详情与可执行的操作", answer="CaseDetail", errors=(400, 401, 404))
def petition_detail(case_id: str):
    return _detail(_viewable_case(path_id(case_id)))


@operation(bp, "/petitions/<case_id>/events", "POST", operation_id="fire_event",
           summary="执行操作（状态转换）", description="重试请带 Idempotency-Key，以免同一操作执行两次。",
           idempotent=True, body="EventRequest", answer="CaseDetail",
           answer_description="已执行，返回事项的新状态", errors=(400, 401, 403, 404, 409, 422))
def petition_fire(case_id: str):
    number = path_id(case_id)
    body = read_json(request, "EventRequest")
    _viewable_case(number)

    def work():
        case = fire_transition(get_session(), g.api_actor, now(), number, body["trigger"],
                               body.get("data") or {}, body.get("version"))
        return 200, _detail_body(case)

    return _answer_once(work, body)


@operation(bp, "/petitions/<case_id>/reveal", "POST", operation_id="reveal_petitioners",
           summary="查看信访人完整信息（须填写事由，记入操作日志）",
           description="详情中的信访人信息一律脱敏；本县（区）信访局接访员、督办人员和当前承办单位的"
                       "承办人可说明事由后查看完整信息，其他角色返回 403。",
           body="RevealRequest", answer="CaseDetail", answer_description="返回事项详情，信访人信息完整显示",
           errors=(400, 401, 403, 404, 422))
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


@operation(bp, "/stats", "GET", operation_id="stats",
           summary="统计：各县（区）督办数字与按期间、分组的各项指标",
           description="counties 为今天各县（区）在办、超期等督办数字；groups 与 total 为统计期间内"
                       "各项指标（口径见 definitions[].formula，与统计页面、导出相同）。"
                       "期间按北京时间整日计算；登记类指标按收到日期，办结类指标按办结日期。",
           query="stats", answer="Stats", errors=(400, 401, 403, 422))
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


@operation(bp, "/alerts", "GET", operation_id="list_alerts",
           summary="我的预警消息（红黄蓝预警，未读在前、新的在前）",
           description="只列出发给调用者本人的预警：责任单位的承办人员与负责人、督办人员"
                       "按预警级别收到的站内消息。",
           query="list_alerts", answer="AlertList", errors=(400, 401))
def alert_list():
    args = parse_query(request, "list_alerts")
    filters = inbox.AlertFilters(unread_only=bool(args.get("unread")), level=args.get("level"),
                                 case_id=args.get("case_id"), page=args["page"],
                                 per_page=args["per_page"])
    return jsonify(serialize.alert_page(inbox.list_alerts(get_session(), g.api_actor, filters)))


@operation(bp, "/alerts/<item_id>/acknowledge", "POST", operation_id="acknowledge_alert",
           summary="确认（已读）一条预警消息",
           description="记入审计日志；重复确认不改变首次确认时间。他人的消息视为不存在（404）。",
           answer="Alert", answer_description="已确认，返回该消息", errors=(400, 401, 404))
def alert_acknowledge(item_id: str):
    number = path_id(item_id, "预警消息编号")
    entry = inbox.acknowledge_alert(get_session(), g.api_actor, now(), number)
    return jsonify(serialize.alert(entry))


@operation(bp, "/calendar/due", "GET", operation_id="calendar_due",
           summary="计算截止日期（与 petition-flow calendar due 相同）", query="calendar_due",
           answer="Due", errors=(400, 401, 422))
def calendar_due():
    args = parse_query(request, "calendar_due")
    due = plain_due(current_calendar(get_session()), args["from"], args["days"], args["unit"])
    return jsonify({"from": args["from"].isoformat(), "days": args["days"], "unit": args["unit"],
                    "due_date": due.due_date.isoformat(), "provisional": due.provisional,
                    "explanation": due.explanation, "calendar_version": due.calendar_version})


@operation(bp, "/openapi.json", "GET", operation_id="openapi", summary="本说明文档（OpenAPI 3.1）",
           answer_description="OpenAPI 文档", public=True)
def openapi():
    return jsonify(document())
