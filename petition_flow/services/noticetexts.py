"""A county's own notice texts, kept in the instance folder, never in the package.

``<documents>/texts/<county>/notices/<name>.txt`` overrides the package's
``templates/notices/<name>.txt`` for that county's notices from the next one issued
(notices.county_environment). The administrator edits them on 系统管理 → 文书文本; each
change and each reset is audited with the SHA-256 of the text before and after. A text is
refused unless it parses, renders with sample facts, and keeps the shape the document layout
needs: the title on the first line, the issuing organ and the date on the last two.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import local_date
from ..db import write_transaction
from ..domain.registry import DEFAULT_WORKFLOW
from ..errors import NotFoundError, ValidationError
from ..models import Region
from ..paths import templates_dir
from . import documents
from .actor import Actor, require_permission
from .audit import AuditBatch
from .notices import CaseFacts, DeadlineFacts, county_texts_dir

MAX_CHARS = 20_000


@dataclass(frozen=True)
class NoticeText:
    kind: str
    title: str
    template: str
    text: str
    overridden: bool


def _notice_specs():
    from .petitions import all_engines

    return all_engines()[DEFAULT_WORKFLOW].spec.notices


def counties(session: Session) -> list[Region]:
    return list(session.execute(select(Region).where(Region.kind == "county")
                                .order_by(Region.division_code)).scalars())


def _county(session: Session, code: str) -> Region:
    region = session.execute(select(Region).where(Region.code == code,
                                                  Region.kind == "county")).scalar_one_or_none()
    if region is None:
        raise NotFoundError("未找到该县（区）。")
    return region


def _override_path(region_code: str, template: str) -> Path:
    return county_texts_dir(region_code) / template


def texts(session: Session, actor: Actor, region_code: str) -> list[NoticeText]:
    require_permission(actor, "administer")
    _county(session, region_code)
    return [text_of(session, actor, region_code, kind) for kind in _notice_specs()]


def text_of(session: Session, actor: Actor, region_code: str, kind: str) -> NoticeText:
    require_permission(actor, "administer")
    _county(session, region_code)
    spec = _notice_specs().get(kind)
    if spec is None:
        raise NotFoundError("未找到该文书。")
    own = _override_path(region_code, spec.template)
    if own.is_file():
        return NoticeText(kind, spec.title, spec.template, own.read_text(encoding="utf-8"), True)
    package = (templates_dir() / spec.template).read_text(encoding="utf-8")
    return NoticeText(kind, spec.title, spec.template, package, False)


def _sample(region: Region) -> CaseFacts:
    return CaseFacts(case_no="610000-2026-000001", query_code="ABCD2345",
                     received_on=date(2026, 3, 2), channel_label="来访", summary="示例事由",
                     request="示例诉求", facts_and_reasons="示例事实和理由",
                     region_name=region.name, responsible_unit_name="示例承办单位",
                     petitioner_names="示例信访人", category_label="申诉求决类", collective=False)


def check_text(region: Region, template: str, text: str) -> None:
    """Refuse a text the notices could not be issued with (ValidationError in Chinese)."""
    if not text.strip():
        raise ValidationError("文书文本不能为空。", fields={"text": "文书文本不能为空。"})
    if len(text) > MAX_CHARS:
        message = f"文书文本不能超过{MAX_CHARS}字。"
        raise ValidationError(message, fields={"text": message})
    env = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)
    try:
        env.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        message = f"第{exc.lineno}行模板语法有误：{exc.message}"
        raise ValidationError(message, fields={"text": message}) from None
    probe = _probe(region, template, text)
    part = documents.parts(probe)
    if not part.title or not part.organ or not part.date:
        message = "文书文本须以标题开头，以发文机关署名和成文日期两行结尾。"
        raise ValidationError(message, fields={"text": message})


def _probe(region: Region, template: str, text: str) -> str:
    """The text rendered with sample facts, from a scratch folder (nothing saved yet)."""
    import tempfile

    from . import notices

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / template
        path.parent.mkdir(parents=True)
        path.write_text(text, encoding="utf-8")
        env = notices._environment(jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(scratch), jinja2.FileSystemLoader(str(templates_dir()))]),
            cache_size=0)
        deadlines = [DeadlineFacts("办理期限", date(2026, 5, 1), "示例说明。", False)]
        try:
            return env.get_template(template).render(
                case=_sample(region), issuer_name=f"{region.name}信访局",
                issued_on=date(2026, 3, 2), deadlines=deadlines, data={},
                query_hint=notices.QUERY_HINT)
        except (jinja2.TemplateError, OverflowError) as exc:  # the sandbox's refusals
            message = f"文书文本无法生成：{exc}"
            raise ValidationError(message, fields={"text": message}) from None


def _sha(text: str | None) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest() if text is not None else None


def save_text(session: Session, actor: Actor, now: datetime, region_code: str, kind: str,
              text: str) -> NoticeText:
    """Keep the county's own text of a notice (audited: hashes before and after)."""
    require_permission(actor, "administer")
    text = text.replace("\r\n", "\n")
    region = _county(session, region_code)
    before = text_of(session, actor, region_code, kind)
    check_text(region, before.template, text)
    path = _override_path(region_code, before.template)
    with write_transaction(session):
        audit = AuditBatch(actor, now)
        audit.add("notice_text_changed", region=region.code, region_name=region.name,
                  kind=kind, title=before.title, before_sha256=_sha(before.text),
                  after_sha256=_sha(text), was_own=before.overridden,
                  on=local_date(now).isoformat())
        audit.flush(session)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return text_of(session, actor, region_code, kind)


def reset_text(session: Session, actor: Actor, now: datetime, region_code: str,
               kind: str) -> NoticeText:
    """Back to the package's text (audited)."""
    require_permission(actor, "administer")
    region = _county(session, region_code)
    before = text_of(session, actor, region_code, kind)
    if not before.overridden:
        return before
    with write_transaction(session):
        audit = AuditBatch(actor, now)
        audit.add("notice_text_reset", region=region.code, region_name=region.name,
                  kind=kind, title=before.title, before_sha256=_sha(before.text))
        audit.flush(session)
        _override_path(region_code, before.template).unlink()
    return text_of(session, actor, region_code, kind)

