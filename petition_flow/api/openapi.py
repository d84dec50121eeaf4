"""The OpenAPI 3.1 description of /api/v1, generated from the schemas and the routes.

The schemas are the pydantic models of ``schemas.py`` (request bodies, answers, query
parameters), with the workflow's enums built at load time; the paths are the routes of
``views.py``, each declared once with ``@operation`` (its rule, method, models and errors).
Request bodies and query parameters are checked against this very description
(``validation.py``), and the tests check every answer against it (schemathesis included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .. import __version__
from ..domain.spec import MAX_ID
from ..services.rules import default_spec
from . import schemas

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


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def components() -> dict[str, Any]:
    return schemas.components(default_spec())


def query_parameters() -> dict[str, list[dict[str, Any]]]:
    """Query parameters per view; ``validation.parse_query`` reads them from here."""
    return schemas.query_parameters(default_spec())


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
PATH_IDS = {  # the description of each kind of {id} in a path, by the route's variable
    "case_id": "信访事项的内部编号（id）",
    "item_id": "预警消息编号（GET /alerts 的 items[].id）",
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "调用方生成的唯一字符串（如 UUID）。带此键的请求，其结果与键在同一事务中保存24小时："
                   "以同一键重试（超时、断线、503 之后）返回第一次的应答（响应头 Idempotent-Replayed: true），"
                   "变更只执行一次；同一键配不同请求内容返回 422。未成功的请求不保存，可用同一键重试。",
}


@dataclass(frozen=True)
class Operation:
    """One route as the description publishes it; ``views.py`` declares it with the route."""

    rule: str  # the Flask rule under /api/v1, e.g. "/petitions/<case_id>/events"
    method: str
    operation_id: str
    summary: str
    description: str = ""
    query: str | None = None  # a key of schemas' query models
    body: str | None = None  # a request model
    answer: str | None = None  # the answer's model; None: any JSON object
    status: int = 200
    answer_description: str = "成功"
    errors: tuple[int, ...] = ()
    idempotent: bool = False  # takes an Idempotency-Key
    public: bool = False  # no token needed

    @property
    def path(self) -> str:
        return re.sub(r"<[^>]+>", "{id}", self.rule)

    def parameters(self, queries: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        out = [{"name": "id", "in": "path", "required": True, "schema": ID,
                "description": PATH_IDS[name]} for name in re.findall(r"<([^>]+)>", self.rule)]
        if self.idempotent:
            out.append(IDEMPOTENCY_KEY)
        if self.query:
            out.extend(queries[self.query])
        return out

    def describe(self, queries) -> dict[str, Any]:
        op: dict[str, Any] = {"operationId": self.operation_id, "summary": self.summary}
        if self.description:
            op["description"] = self.description
        params = self.parameters(queries)
        if params:
            op["parameters"] = params
        if self.body:
            op["requestBody"] = {"required": True,
                                 "content": {"application/json": {"schema": _ref(self.body)}}}
        if self.public:
            op["security"] = []
        schema = _ref(self.answer) if self.answer else {"type": "object"}
        responses: dict[str, Any] = {str(self.status): {
            "description": self.answer_description,
            "content": {"application/json": {"schema": schema}}}}
        for code in (*self.errors, 500, *(() if self.public else (503,))):
            responses[str(code)] = {"$ref": f"#/components/responses/E{code}"}
        op["responses"] = responses
        return op


OPERATIONS: list[Operation] = []


def operation(bp, rule: str, method: str, **meta):
    """Register a view on ``bp`` and publish it: the route and its description in one place."""
    described = Operation(rule, method, **meta)

    def register(view):
        OPERATIONS.append(described)
        return bp.route(rule, methods=[method])(view)

    return register


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    """The OpenAPI document of every operation the routes declared (api/__init__.py imports
    the views before anything can import this module)."""
    queries = query_parameters()
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = op.describe(queries)
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
