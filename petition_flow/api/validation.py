"""Reading a request: JSON bodies and query parameters, checked against the published schemas.

Anything that does not match the description is a 400 with a Chinese message per field;
business rules (ID number check digits, deadlines, roles) stay in the services, which
answer 422/403/409. Strings holding NUL or lone surrogates are refused here, because no
database can store them.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from typing import Any

from flask import Request
from jsonschema import Draft202012Validator

from ..domain.spec import MAX_ID
from .openapi import components, query_parameters


class BadRequest(Exception):
    """A request that does not match the API description (400)."""

    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


TYPE_ZH = {"string": "字符串", "integer": "整数", "number": "数字", "boolean": "布尔值（true/false）",
           "object": "对象", "array": "数组", "null": "null"}


@lru_cache(maxsize=8)
def _validator(name: str) -> Draft202012Validator:
    root = {"$ref": f"#/components/schemas/{name}", "components": {"schemas": components()}}
    return Draft202012Validator(root)


def _reject_constant(name: str):
    raise ValueError(name)


def read_json(request: Request, schema: str) -> dict[str, Any]:
    """The request body as a dict matching ``components.schemas[schema]``, or BadRequest."""
    # The body limit is the application's one (MAX_CONTENT_LENGTH): Werkzeug refuses a
    # larger body with 413 before reading it, as for the pages.
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise BadRequest("请求体为空：应为 JSON 对象。", {"body": "请提供 JSON 对象。"})
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("请求体不是有效的 JSON（UTF-8）。", {"body": "JSON 无效。"}) from None
    _check_strings(body, "")
    errors = {}
    for error in _validator(schema).iter_errors(body):
        errors.update(_describe(error))
    if errors:
        raise BadRequest("请求数据格式不符合接口说明，请检查标出的字段。", errors)
    return body


def _check_strings(value: Any, path: str) -> None:
    if isinstance(value, str):
        _check_text(value, path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, _join(path, key))
            _check_strings(item, _join(path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_strings(item, _join(path, str(i)))


def _check_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("文本包含无效的 Unicode 字符。", {where: "包含无效的 Unicode 字符。"}) from None
    if "\x00" in text:
        raise BadRequest("文本不能包含空字符（\\u0000）。", {where: "不能包含空字符。"})


def _join(path: str, key: str) -> str:
    return f"{path}-{key}" if path else key


def _where(error) -> str:
    return "-".join(str(p) for p in error.absolute_path) or "body"


def _describe(error) -> dict[str, str]:
    kind, value, instance = error.validator, error.validator_value, error.instance
    where = _where(error)
    if kind == "required":
        return {_join("" if where == "body" else where, name): "缺少必填字段。"
                for name in value if isinstance(instance, dict) and name not in instance}
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {})
        return {_join("" if where == "body" else where, name): "不接受该字段。"
                for name in instance if name not in known}
    if kind == "type":
        kinds = [value] if isinstance(value, str) else value
        return {where: "应为" + "或".join(TYPE_ZH.get(k, k) for k in kinds) + "。"}
    if kind == "enum":
        return {where: "应为以下之一：" + "、".join(str(v) for v in value if v is not None) + "。"}
    messages = {
        "minimum": f"不能小于{value}。", "maximum": f"不能大于{value}。",
        "minLength": f"长度不能少于{value}。", "maxLength": f"长度不能超过{value}。",
        "minItems": f"至少{value}项。", "maxItems": f"不能超过{value}项。",
    }
    return {where: messages.get(kind, "格式不正确。")}


_INTEGER = re.compile(r"^[+-]?\d{1,12}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_query(request: Request, view: str) -> dict[str, Any]:
    """Typed query parameters of ``view`` as documented; an unknown one is refused (a typo
    such as ``?overdeu=true`` must not silently widen a list)."""
    out: dict[str, Any] = {}
    params = query_parameters()[view]
    known = {p["name"] for p in params}
    errors: dict[str, str] = {name or "query": "不支持该查询参数。"
                              for name in request.args if name not in known}
    for param in params:
        name, schema = param["name"], param["schema"]
        raw = request.args.get(name)
        if raw is None:  # "?overdue=" is a value, and not a boolean one
            if param["required"]:
                errors[name] = "缺少必填参数。"
            elif "default" in schema:
                out[name] = schema["default"]
            continue
        try:
            out[name] = _typed(raw, schema)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise BadRequest("查询参数有误，请检查标出的参数。", errors)
    return out


def _typed(raw: str, schema: dict[str, Any]) -> Any:
    _check_text(raw, "query")
    kind = schema.get("type")
    if kind == "integer":
        if not _INTEGER.match(raw):
            raise ValueError("应为整数。")
        value: Any = int(raw)
        if "minimum" in schema and value < schema["minimum"]:
            raise ValueError(f"不能小于{schema['minimum']}。")
        if "maximum" in schema and value > schema["maximum"]:
            raise ValueError(f"不能大于{schema['maximum']}。")
        return value
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise ValueError("应为 true 或 false。")
        return raw == "true"
    if schema.get("format") == "date":
        try:
            if not _DATE.match(raw):
                raise ValueError
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError("日期格式应为 YYYY-MM-DD。") from None
    if "enum" in schema and raw not in schema["enum"]:
        raise ValueError("应为以下之一：" + "、".join(schema["enum"]) + "。")
    if len(raw) < schema.get("minLength", 0):
        raise ValueError(f"长度不能少于{schema['minLength']}。")
    if "maxLength" in schema and len(raw) > schema["maxLength"]:
        raise ValueError(f"长度不能超过{schema['maxLength']}。")
    return raw


def path_id(raw: str, what: str = "信访事项编号") -> int:
    """An id from the path (a case's, or an inbox message's): a positive integer that fits a
    database key."""
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not 1 <= int(raw) <= MAX_ID:
        raise BadRequest(f"{what}应为正整数。", {"id": f"应为1至{MAX_ID}之间的整数。"})
    return int(raw)
