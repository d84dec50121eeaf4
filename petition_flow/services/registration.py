"""Validation of a registration (登记) — every error in Chinese, keyed by field.

Field keys follow WTForms' FieldList naming (``petitioners-0-id_number``) so the
pages can show each message beside its field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..clock import CHINA_TZ, parse_instant
from ..domain.identity import id_number_error, phone_error
from ..domain.text import text_problem
from ..errors import RepeatDecisionRequired, ValidationError
from .notices import CHANNELS

MAX_REPRESENTATIVES = 5  # 信访工作条例第二十条: 集体访推选代表，代表人数不超过5人
MAX_PETITIONERS = 30  # the same limit for the page and the API; more are refused, never cut
# A matter received more than LATE_AFTER ago is registered only with a recorded reason
# (信访工作条例第二十二条: 收到信访事项之日起15日内告知 — a late registration must say why);
# one received before EARLIEST, or in the future, is a typing error.
LATE_AFTER = timedelta(days=30)
EARLIEST = datetime(2000, 1, 1, tzinfo=CHINA_TZ)


@dataclass
class RegistrationForm:
    channel: str
    received_at: datetime
    summary: str
    request: str
    facts_and_reasons: str
    petitioners: list[dict[str, Any]]
    anonymous: bool
    collective: bool
    major_urgent: bool
    attachments: str
    repeat_of_id: int | None
    repeat_reason: str | None
    late_reason: str | None = None

    def extra_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"attachments": self.attachments} if self.attachments else {}
        if self.late_reason:
            data["late_reason"] = self.late_reason
        return data

    def check_repeat_decision(self, matches) -> None:
        """Nothing is merged silently: staff link a match, or say why it is not a repeat."""
        if self.repeat_of_id is not None:
            if self.repeat_of_id not in {m.case_id for m in matches}:
                message = "所关联的信访事项不在疑似重复列表中。"
                raise ValidationError(message, fields={"repeat_of_id": message})
        elif matches and not self.repeat_reason:
            raise RepeatDecisionRequired(matches)


def _text(form: dict, key: str, errors: dict, label: str, *, required: bool,
          limit: int = 4000, multiline: bool = True) -> str:
    value = str(form.get(key) or "").strip()
    if required and not value:
        errors[key] = f"请填写{label}。"
    elif problem := text_problem(value, label, limit=limit, multiline=multiline):
        errors[key] = problem
    return value


def _one_line(value: Any, key: str, label: str, limit: int, errors: dict) -> str | None:
    text = str(value or "").strip()
    if problem := text_problem(text, label, limit=limit):
        errors[key] = problem
    return text or None


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "y", "yes", "on")


def _petitioners(items: list, collective: bool, errors: dict) -> list[dict[str, Any]]:
    out = []
    if len(items or []) > MAX_PETITIONERS:
        errors["petitioners"] = (f"一次登记最多{MAX_PETITIONERS}名信访人（现为{len(items)}名）；"
                                 "人数更多的集体访请登记推选的代表。")
        return out
    for i, item in enumerate(items or []):
        key = f"petitioners-{i}-"
        name = _one_line(item.get("name"), key + "name", "姓名", 64, errors) or ""
        id_number = _one_line(item.get("id_number"), key + "id_number", "身份证号", 18, errors)
        phone = _one_line(item.get("phone"), key + "phone", "联系电话", 20, errors)
        address = _one_line(item.get("address"), key + "address", "住址", 200, errors)
        id_number = id_number.upper() if id_number else None
        phone = phone.replace(" ", "") if phone else None
        if not name and key + "name" not in errors:
            errors[key + "name"] = "请填写信访人姓名。"
        if id_number and key + "id_number" not in errors \
                and (problem := id_number_error(id_number)):
            errors[key + "id_number"] = problem
        if phone and key + "phone" not in errors and (problem := phone_error(phone)):
            errors[key + "phone"] = problem
        out.append({"name": name, "id_number": id_number, "phone": phone, "address": address,
                    "representative": collective and _bool(item.get("representative"))})
    return out


def validate_registration(form: dict[str, Any], now: datetime) -> RegistrationForm:
    errors: dict[str, str] = {}
    channel = str(form.get("channel") or "")
    if channel not in CHANNELS:
        errors["channel"] = "请选择信访形式：" + "、".join(CHANNELS.values()) + "。"
    received_at = form.get("received_at") or now
    if isinstance(received_at, str):
        try:
            received_at = parse_instant(received_at)
        except (ValueError, OverflowError):  # OverflowError: e.g. 0001-01-01 in UTC+8
            errors["received_at"] = "收到时间格式应如 2026-10-09 09:30。"
            received_at = now
    late_reason = _text(form, "late_reason", errors, "延迟登记的理由", required=False,
                        limit=500) or None
    if received_at > now:
        errors["received_at"] = "收到时间不能晚于现在。"
    elif received_at < EARLIEST:
        errors["received_at"] = "收到时间早于2000年1月1日，请核对。"
    elif now - received_at > LATE_AFTER and not late_reason:
        errors["late_reason"] = (f"收到已超过{LATE_AFTER.days}日才登记，请填写延迟登记的理由"
                                 "（将记入信访事项和操作日志）。")
    anonymous, collective = _bool(form.get("anonymous")), _bool(form.get("collective"))
    petitioners = [] if anonymous else _petitioners(form.get("petitioners"), collective, errors)
    if not anonymous and not petitioners and "petitioners" not in errors:
        errors["petitioners"] = "请至少填写一名信访人，或选择匿名。"
    if collective:
        reps = sum(p["representative"] for p in petitioners)
        if reps > MAX_REPRESENTATIVES:
            errors["petitioners"] = f"集体访推选的代表不得超过{MAX_REPRESENTATIVES}人（第二十条）。"
        elif not reps and not anonymous:
            errors["petitioners"] = "集体访须至少标明一名代表。"
    repeat_of = form.get("repeat_of_id")
    try:
        repeat_of_id = int(repeat_of) if repeat_of not in (None, "") else None
    except (TypeError, ValueError):
        errors["repeat_of_id"] = "关联事项编号无效。"
        repeat_of_id = None
    result = RegistrationForm(
        channel=channel, received_at=received_at,
        summary=_text(form, "summary", errors, "事项摘要", required=True, limit=200,
                      multiline=False),
        request=_text(form, "request", errors, "信访诉求", required=True),
        facts_and_reasons=_text(form, "facts_and_reasons", errors, "事实和理由", required=True),
        petitioners=petitioners, anonymous=anonymous, collective=collective,
        major_urgent=_bool(form.get("major_urgent")),
        attachments=_text(form, "attachments", errors, "附件说明", required=False, limit=1000),
        repeat_of_id=repeat_of_id,
        repeat_reason=_text(form, "repeat_reason", errors, "继续登记的理由", required=False,
                            limit=1000) or None,
        late_reason=late_reason,
    )
    if errors:
        raise ValidationError("登记信息有误，请检查标出的字段。", fields=errors)
    return result
