"""Render and record notices (告知书、意见书) from templates/notices/*.txt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import jinja2

from ..clock import local_date
from ..domain.spec import NoticeSpec
from ..models import Case, Notice
from ..paths import templates_dir
from .actor import Actor
from .audit import AuditBatch

CHANNELS = {"letter": "来信", "visit": "来访", "phone": "来电", "fax": "传真", "web": "网上信访"}
QUERY_HINT = "可凭信访件编号和查询码在信访事项查询页面查询办理进度、评价办理结果。"


def cn_date(value: date | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value.year}年{value.month}月{value.day}日"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())), autoescape=False,
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["cn_date"] = cn_date
    return env


@dataclass(frozen=True)
class CaseFacts:
    """What a notice may say about a case (no ID numbers, no phone numbers)."""

    case_no: str
    query_code: str
    received_on: date
    channel_label: str
    summary: str
    request: str
    facts_and_reasons: str
    region_name: str
    responsible_unit_name: str | None
    petitioner_names: str
    category_label: str | None
    collective: bool


@dataclass(frozen=True)
class DeadlineFacts:
    label: str
    due_date: date
    explanation: str
    provisional: bool


def issue_notice(case: Case, spec: NoticeSpec, facts: CaseFacts, issuer_name: str,
                 actor: Actor, now: datetime, data: dict[str, Any],
                 audit: AuditBatch) -> Notice:
    deadlines = [DeadlineFacts(c.label, c.due_date, c.explanation, c.provisional)
                 for c in case.clocks if c.status != "stopped"]
    body = environment().get_template(spec.template).render(
        case=facts, issuer_name=issuer_name, issued_on=local_date(now), deadlines=deadlines,
        data=data, query_hint=QUERY_HINT,
    )
    notice = Notice(case_id=case.id, kind=spec.id, title=spec.title, body=body, issued_at=now,
                    issued_by_user_id=actor.user_id, issuer_unit_id=actor.unit_id)
    audit.add("notice_issued", case_id=case.id, kind=spec.id, title=spec.title)
    return notice
