"""The OpenAPI 3.1 description of /api/v1, and the schemas the views validate against.

One source: request bodies and query parameters are checked against the very schemas
published here (see ``validation.py``), so the description cannot drift from what the
server accepts; tests check every response against it (schemathesis included).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .. import __version__
from ..domain.guards import CATEGORIES
from ..domain.levels import LEVELS
from ..domain.registry import DEFAULT_WORKFLOW
from ..domain.roles import ROLES_BY_ID
from ..domain.spec import INPUT_TYPES
from ..services.calendars import MAX_DUE_DAYS
from ..services.notices import CHANNELS
from ..services.org import COUNTIES
from ..services.registration import MAX_PETITIONERS
from ..services.statistics import DEFINITIONS, GROUPS

MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
MAX_PER_PAGE = 200
ERROR_CODES = {
    400: "请求格式错误（JSON 无效、类型不符、参数不合规定）",
    401: "缺少访问令牌，或令牌无效、已吊销",
    403: "角色或辖区无权执行此操作",
    404: "资源不存在，或不在调用者的辖区内（不泄露其是否存在）",
    405: "该路径不支持此 HTTP 方法",
    409: "并发修改冲突，或当前状态不能执行该操作",
    422: "数据不符合业务规则（逐字段说明）",
    500: "服务器内部错误（不含调试信息）",
    503: "数据库暂时无法访问（如数据库重启），稍后重试即可",
}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema["type"]
    return {**schema, "type": [kind, "null"] if isinstance(kind, str) else [*kind, "null"]}


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], required: list[str] | None = None,
         closed: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "required": list(properties) if required is None else required}
    if closed:
        schema["additionalProperties"] = False
    return schema


def _workflow_spec():
    from ..services.petitions import all_engines

    return all_engines()[DEFAULT_WORKFLOW].spec


def components() -> dict[str, Any]:
    spec = _workflow_spec()
    states = list(spec.states)
    steps = [s.key for s in spec.steps]
    step = _obj({"key": {"type": "string", "enum": steps}, "label": STR})
    deadline = _obj({
        "clock": STR, "label": STR, "basis": STR, "unit": {"enum": ["calendar", "workday"]},
        "days": INT, "extension_days": INT, "trigger_date": DATE, "due_date": DATE,
        "provisional": BOOL, "explanation": STR,
        "status": {"enum": ["running", "paused", "stopped"]}, "duty": BOOL,
        "level": {"enum": ["blue", "yellow", "red", None]},
    })
    repeat = _obj({"id": ID, "case_no": STR, "state": STR, "received_on": DATE, "summary": STR,
                   "score": {"type": "number"}, "open": BOOL, "finalized": BOOL})
    error = _obj({"error": _obj({
        "code": STR, "message": STR,
        "fields": {"type": "object", "additionalProperties": STR},
        "repeats": {"type": "array", "items": _ref("RepeatMatch")},
    }, required=["code", "message", "fields"])})
    petitioner_in = _obj({
        "name": {**STR, "description": "姓名"},
        "id_number": _nullable({**STR, "description": "18位公民身份号码"}),
        "phone": _nullable({**STR, "description": "手机号码或带区号的固定电话"}),
        "address": _nullable(STR),
        "representative": {**BOOL, "description": "集体访代表（≤5人）"},
    }, required=["name"])
    registration = _obj({
        "channel": {"type": "string", "enum": list(CHANNELS),
                    "description": "、".join(f"{k}={v}" for k, v in CHANNELS.items())},
        "received_at": _nullable({**STR, "description":
                                  "收到时间，ISO 8601；不带时区时按北京时间；缺省为现在"}),
        "summary": {**STR, "description": "事项摘要（≤200字）"},
        "request": {**STR, "description": "信访诉求"},
        "facts_and_reasons": {**STR, "description": "事实和理由"},
        "petitioners": {"type": "array", "items": _ref("PetitionerInput"),
                        "maxItems": MAX_PETITIONERS},
        "anonymous": BOOL, "collective": BOOL, "major_urgent": BOOL,
        "attachments": {**STR, "description": "附件说明（≤1000字）"},
        "repeat_of_id": _nullable({**ID, "description": "关联为该信访事项的重复信访"}),
        "repeat_reason": _nullable({**STR, "description": "发现疑似重复时继续登记的理由"}),
        "late_reason": _nullable({**STR, "description":
                                  "收到超过30日才登记时必填：延迟登记的理由（记入事项和审计）"}),
        "county": {**STR, "description": "县（区）代码；须为调用者所在县（区）"},
    }, required=["channel", "summary", "request", "facts_and_reasons"])
    registered = _obj({
        "id": ID, "case_no": STR, "query_code": STR, "state": STR, "state_label": STR,
        "step": step, "version": INT, "deadlines": {"type": "array", "items": _ref("Deadline")},
        "repeats": {"type": "array", "items": _ref("RepeatMatch")},
    })
    unit = _nullable(_obj({"id": ID, "name": STR}))
    summary = _obj({
        "id": ID, "case_no": STR, "state": STR, "state_label": STR, "step": step,
        "summary": STR, "county": STR, "received_at": DATETIME,
        "category": {"enum": [*CATEGORIES, None]}, "next_due": _nullable(DATE),
        "responsible_unit_id": _nullable(ID), "first_handler_unit_id": _nullable(ID),
    })
    case_list = _obj({"items": {"type": "array", "items": _ref("CaseSummary")},
                      "total": INT, "page": INT, "per_page": INT})
    field = _obj({
        "name": STR, "label": STR, "type": {"enum": list(INPUT_TYPES)}, "required": BOOL,
        "required_if": {"type": "object", "additionalProperties": STR},
        "choices": {"type": "array", "items": _obj({"value": {"type": ["string", "integer"]},
                                                    "label": STR})},
        "min": _nullable(INT), "max": _nullable(INT), "not_after_today": BOOL,
    })
    trigger = _obj({"trigger": STR, "label": STR,
                    "fields": {"type": "array", "items": _ref("Field")}})
    party = _obj({"name": STR, "id_number": _nullable(STR), "phone": _nullable(STR),
                  "address": _nullable(STR), "representative": BOOL})
    reveal = _obj({"reason": {"type": "string", "minLength": 1, "maxLength": 200,
                              "description": "查看信访人完整信息的事由（记入操作日志）"}},
                  required=["reason"])
    timeline = _obj({
        "seq": INT, "at": DATETIME, "action": STR, "label": STR,
        "actor": _obj({"username": STR, "role": {"enum": list(ROLES_BY_ID)}}),
        "from_state": _nullable(STR), "to_state": _nullable(STR), "trigger": _nullable(STR),
    })
    notice = _obj({"id": ID, "kind": STR, "title": STR, "issued_at": DATETIME})
    detail = _obj({
        "id": ID, "case_no": STR,
        "query_code": _nullable({**STR, "description": "仅对可查看信访人完整信息的调用者显示"}),
        "workflow": STR, "version": INT, "state": {"enum": states}, "state_label": STR,
        "step": step, "channel": {"enum": list(CHANNELS)}, "received_at": DATETIME,
        "summary": STR, "request": STR, "facts_and_reasons": STR,
        "category": {"enum": [*CATEGORIES, None]}, "route": _nullable(INT),
        "litigation_related": BOOL, "simple": BOOL, "major_urgent": BOOL, "collective": BOOL,
        "anonymous": BOOL, "county": _obj({"code": STR, "name": STR}),
        "registered_unit": unit, "responsible_unit": unit,
        "first_handler": _nullable(_obj({"unit": unit, "user_id": _nullable(ID),
                                         "handled_at": _nullable(DATETIME)})),
        "repeat_of_id": _nullable(ID),
        "parties_masked": BOOL, "parties": {"type": "array", "items": _ref("Party")},
        "parties_may_reveal": {**BOOL, "description": "调用者可通过 POST …/reveal 查看完整信息"},
        "listed_supervision": {**BOOL, "description": "挂牌督办：有未办结的挂牌督办单"},
        "deadlines": {"type": "array", "items": _ref("Deadline")},
        "notices": {"type": "array", "items": _ref("Notice")},
        "timeline": {"type": "array", "items": _ref("TimelineEntry")},
        "available_triggers": {"type": "array", "items": _ref("Trigger")},
        "created_at": DATETIME, "updated_at": DATETIME, "closed_at": _nullable(DATETIME),
    })
    event = _obj({
        "trigger": {"type": "string", "minLength": 1, "maxLength": 64,
                    "description": "操作名，取自 available_triggers[].trigger"},
        "data": {"type": "object", "description": "操作所需字段，见 available_triggers[].fields",
                 "additionalProperties": {"type": ["string", "integer", "number", "boolean",
                                                   "null"]}},
        "version": {**ID, "description": "调用者看到的 version；已被他人修改时返回 409"},
    }, required=["trigger"])
    rate = _nullable({"type": "number", "minimum": 0, "maximum": 1})
    county = _obj({
        "county": STR, "name": STR, "pilot": {"enum": ["provincial", "city", None]},
        "open_by_step": {"type": "object", "additionalProperties": INT}, "open_total": INT,
        "due_soon": INT, "overdue": INT, "handled": INT, "handled_on_time": INT,
        "on_time_rate": rate, "first_handled": INT, "first_handler_completed": INT,
        "first_handler_rate": rate,
    })
    figure = _obj({
        "value": {"type": ["number", "null"], "description": "件数、比率（0-1）或天数；无分母时为 null"},
        "numerator": _nullable({**INT, "description": "比率的分子件数"}),
        "denominator": _nullable({**INT, "description": "比率的分母件数；天数指标为参与计算的件数"}),
    })
    group = _obj({"key": {**STR, "description": "分组值：县（区）代码、单位编号、类别、渠道或期间；合计为空"},
                  "label": STR,
                  "figures": _obj({d.key: {**_ref("Figure"), "description": f"{d.name}：{d.formula}"}
                                   for d in DEFINITIONS})})
    stats = _obj({
        "today": DATE, "counties": {"type": "array", "items": _ref("CountyFigures")},
        "period": _obj({"from": DATE, "to": DATE, "time_zone": {"enum": ["Asia/Shanghai"]}}),
        "group_by": {"enum": list(GROUPS)},
        "definitions": {"type": "array", "items": _obj({
            "key": {"enum": [d.key for d in DEFINITIONS]}, "name": STR,
            "formula": {**STR, "description": "口径（计算公式）"},
            "kind": {"enum": ["count", "rate", "days"]}})},
        "groups": {"type": "array", "items": _ref("StatsGroup")},
        "total": _ref("StatsGroup"),
    })
    due = _obj({"from": DATE, "days": INT, "unit": {"enum": ["calendar", "workday"]},
                "due_date": DATE, "provisional": BOOL, "explanation": STR,
                "calendar_version": STR})
    alert = _obj({
        "id": {**ID, "description": "消息编号：确认时使用（POST /alerts/{id}/acknowledge）"},
        "alert_id": {**ID, "description": "预警编号；同一预警发给多人时各人的消息编号不同"},
        "level": {"enum": list(LEVELS), "description": "blue=蓝色提示，yellow=黄色预警，red=红色超期"},
        "case_id": ID, "case_no": STR,
        "subject": {**STR, "description": "期限名称，或督办单"},
        "clock": _nullable({**STR, "description": "期限（deadlines[].clock）；督办单的预警为 null"}),
        "order_id": _nullable({**ID, "description": "督办单编号；期限的预警为 null"}),
        "due_date": DATE,
        "reached_at": {**DATETIME, "description": "达到该级别的时间"},
        "raised_at": {**DATETIME, "description": "系统发出预警的时间（停机恢复后可能晚于 reached_at）"},
        "title": STR, "body": STR, "read": BOOL,
        "read_at": _nullable({**DATETIME, "description": "确认（已读）时间"}),
    })
    alert_list = _obj({"items": {"type": "array", "items": _ref("Alert")},
                       "total": INT, "unread": {**INT, "description": "调用者全部未读预警数"},
                       "page": INT, "per_page": INT})
    return {
        "Error": error, "Deadline": deadline, "RepeatMatch": repeat,
        "PetitionerInput": petitioner_in, "RegistrationRequest": registration,
        "Registered": registered, "CaseSummary": summary, "CaseList": case_list,
        "Field": field, "Trigger": trigger, "Party": party, "TimelineEntry": timeline,
        "Notice": notice, "CaseDetail": detail, "EventRequest": event,
        "RevealRequest": reveal,
        "CountyFigures": county, "Stats": stats, "Figure": figure, "StatsGroup": group,
        "Due": due,
        "Alert": alert, "AlertList": alert_list,
    }


def query_parameters() -> dict[str, list[dict[str, Any]]]:
    """Query parameters per view; ``validation.parse_query`` reads them from here."""
    spec = _workflow_spec()
    return {
        "list_petitions": [
            _param("state", {"type": "string", "enum": list(spec.states)}, "状态"),
            _param("step", {"type": "string", "enum": [s.key for s in spec.steps]}, "步骤"),
            _param("category", {"type": "string", "enum": list(CATEGORIES)}, "类别"),
            _param("county", {"type": "string", "enum": [c[0] for c in COUNTIES]},
                   "县（区）代码"),
            _param("overdue", {"type": "boolean"}, "仅列出已超期（有法定期限已过）的事项"),
            _param("due_before", DATE, "仅列出最近截止日期不晚于该日的事项"),
            _param("q", {"type": "string", "minLength": 1, "maxLength": 100},
                   "检索：信访件编号（完整或开头）、信访人姓名、身份证号或电话（完整）、"
                   "事项摘要/信访诉求/事实和理由中的词句"),
            *PAGING,
        ],
        "stats": [
            _param("from", DATE, "统计期间开始日（北京时间，含）；缺省为今年1月1日"),
            _param("to", DATE, "统计期间结束日（北京时间，含）；缺省为今天"),
            _param("group_by", {"type": "string", "enum": list(GROUPS), "default": "county"},
                   "分组：" + "、".join(f"{k}={v}" for k, v in GROUPS.items())),
            _param("county", {"type": "string", "enum": [c[0] for c in COUNTIES]},
                   "只统计该县（区）；须在调用者辖区内"),
        ],
        "list_alerts": [
            _param("unread", {"type": "boolean"}, "true：仅列出未确认（未读）的预警"),
            _param("level", {"type": "string", "enum": list(LEVELS)}, "预警级别"),
            _param("case_id", ID, "仅列出该信访事项的预警"),
            *PAGING,
        ],
        "calendar_due": [
            _param("from", DATE, "起算日（不计入）", required=True),
            _param("days", {"type": "integer", "minimum": 1, "maximum": MAX_DUE_DAYS},
                   "期限天数", required=True),
            _param("unit", {"type": "string", "enum": ["calendar", "workday"],
                            "default": "calendar"}, "calendar=日，workday=工作日（含调休上班日）"),
        ],
    }


def _param(name: str, schema: dict[str, Any], description: str,
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description}


PAGING = [
    _param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, "页码"),
    _param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50},
           "每页条数（≤200）"),
]


def _responses(ok: int | None, ok_schema: str | None, *errors: int,
               description: str = "成功") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if ok is not None:
        out[str(ok)] = {"description": description,
                        "content": {"application/json": {"schema": _ref(ok_schema)}}}
    for code in (*errors, 500, 503):
        out[str(code)] = {"$ref": f"#/components/responses/E{code}"}
    return out


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


CASE_ID = {"name": "id", "in": "path", "required": True, "schema": ID,
           "description": "信访事项的内部编号（id）"}
ALERT_ID = {"name": "id", "in": "path", "required": True, "schema": ID,
            "description": "预警消息编号（GET /alerts 的 items[].id）"}


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "调用方生成的唯一字符串（如 UUID）。带此键的请求，其结果与键在同一事务中保存24小时："
                   "以同一键重试（超时、断线、503 之后）返回第一次的应答（响应头 Idempotent-Replayed: true），"
                   "变更只执行一次；同一键配不同请求内容返回 422。未成功的请求不保存，可用同一键重试。",
}


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    params = query_parameters()
    paths = {
        "/petitions": {
            "post": {
                "operationId": "register_petition", "summary": "登记信访事项",
                "description": "在调用者所在县（区）登记；发现疑似重复时返回 422 和 repeats，"
                               "须以 repeat_of_id 关联或以 repeat_reason 说明后重新提交。"
                               "重试请带 Idempotency-Key，以免重复登记。",
                "parameters": [IDEMPOTENCY_KEY],
                "requestBody": _body("RegistrationRequest"),
                "responses": _responses(201, "Registered", 400, 401, 403, 409, 422,
                                        description="已登记"),
            },
            "get": {
                "operationId": "list_petitions", "summary": "信访事项列表（按最近截止日期排序）",
                "parameters": params["list_petitions"],
                "responses": _responses(200, "CaseList", 400, 401, 403, 422),
            },
        },
        "/petitions/{id}": {
            "get": {
                "operationId": "get_petition", "summary": "信访事项详情与可执行的操作",
                "parameters": [CASE_ID],
                "responses": _responses(200, "CaseDetail", 400, 401, 404),
            },
        },
        "/petitions/{id}/events": {
            "post": {
                "operationId": "fire_event", "summary": "执行操作（状态转换）",
                "description": "重试请带 Idempotency-Key，以免同一操作执行两次。",
                "parameters": [CASE_ID, IDEMPOTENCY_KEY], "requestBody": _body("EventRequest"),
                "responses": _responses(200, "CaseDetail", 400, 401, 403, 404, 409, 422,
                                        description="已执行，返回事项的新状态"),
            },
        },
        "/petitions/{id}/reveal": {
            "post": {
                "operationId": "reveal_petitioners", "summary": "查看信访人完整信息（须填写事由，记入操作日志）",
                "description": "详情中的信访人信息一律脱敏；本县（区）信访局接访员、督办人员和当前承办单位的"
                               "承办人可说明事由后查看完整信息，其他角色返回 403。",
                "parameters": [CASE_ID], "requestBody": _body("RevealRequest"),
                "responses": _responses(200, "CaseDetail", 400, 401, 403, 404, 422,
                                        description="返回事项详情，信访人信息完整显示"),
            },
        },
        "/stats": {
            "get": {
                "operationId": "stats", "summary": "统计：各县（区）督办数字与按期间、分组的各项指标",
                "description": "counties 为今天各县（区）在办、超期等督办数字；groups 与 total 为统计期间内"
                               "各项指标（口径见 definitions[].formula，与统计页面、导出相同）。"
                               "期间按北京时间整日计算；登记类指标按收到日期，办结类指标按办结日期。",
                "parameters": params["stats"],
                "responses": _responses(200, "Stats", 400, 401, 403, 422),
            },
        },
        "/alerts": {
            "get": {
                "operationId": "list_alerts", "summary": "我的预警消息（红黄蓝预警，未读在前、新的在前）",
                "description": "只列出发给调用者本人的预警：责任单位的承办人员与负责人、督办人员"
                               "按预警级别收到的站内消息。",
                "parameters": params["list_alerts"],
                "responses": _responses(200, "AlertList", 400, 401),
            },
        },
        "/alerts/{id}/acknowledge": {
            "post": {
                "operationId": "acknowledge_alert", "summary": "确认（已读）一条预警消息",
                "description": "记入审计日志；重复确认不改变首次确认时间。他人的消息视为不存在（404）。",
                "parameters": [ALERT_ID],
                "responses": _responses(200, "Alert", 400, 401, 404,
                                        description="已确认，返回该消息"),
            },
        },
        "/calendar/due": {
            "get": {
                "operationId": "calendar_due", "summary": "计算截止日期（与 petition-flow calendar due 相同）",
                "parameters": params["calendar_due"],
                "responses": _responses(200, "Due", 400, 401, 422),
            },
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi", "summary": "本说明文档（OpenAPI 3.1）", "security": [],
                "responses": {"200": {"description": "OpenAPI 文档", "content": {
                    "application/json": {"schema": {"type": "object"}}}},
                    "500": {"$ref": "#/components/responses/E500"}},
            },
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "petition_flow 信访事项办理 API", "version": __version__,
            "description": "宝鸡市信访工作法治化试点。以 Authorization: Bearer <令牌> 认证"
                           "（petition-flow token create 用户名）；令牌代表其用户，角色与辖区与页面相同。"
                           "错误一律为 {\"error\": {\"code\", \"message\", \"fields\"}}，message 为中文。"
                           "日期为 ISO 8601（YYYY-MM-DD），时间带时区偏移。",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": components(),
            "responses": {
                f"E{code}": {"description": text, "content": {
                    "application/json": {"schema": _ref("Error")}}}
                for code, text in ERROR_CODES.items()
            },
        },
    }
