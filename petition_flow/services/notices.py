"""Render and record notices (告知书、意见书) from templates/notices/*.txt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy.orm import Session

from ..clock import local_date
from ..domain.spec import NoticeSpec
from ..models import Case, Notice, Region
from ..paths import documents_dir, templates_dir
from . import documents
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


def _environment(loader: jinja2.BaseLoader, cache_size: int = 400) -> jinja2.Environment:
    """Notice texts run sandboxed: a county's own text is written on the administration page,
    and an administrator must not reach Python through it (os, the key file, the database);
    the sandbox refuses private attributes and bounds range() (等保: 三权分立)."""
    env = ImmutableSandboxedEnvironment(
        loader=loader, autoescape=False, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined, cache_size=cache_size,
    )
    env.filters["cn_date"] = cn_date
    return env


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The package's notice texts (templates/notices/)."""
    return _environment(jinja2.FileSystemLoader(str(templates_dir())))


def county_texts_dir(region_code: str) -> Path:
    """Where a county's own notice texts live: ``<documents>/texts/<county>/notices/*.txt``
    (edited on the administration page; the package's files stay as shipped)."""
    if not region_code.isidentifier():
        raise ValueError(region_code)
    return documents_dir() / "texts" / region_code


def county_environment(region_code: str) -> jinja2.Environment:
    """The county's own text of a notice where it has one, else the package's.

    Cached per county folder and per state of that folder (each file's name, mtime and size):
    a text saved or reset on the administration page changes that state, so the next notice
    uses it, in every process. A cached template of the package is re-checked against its
    file by jinja's auto_reload. Compiling a notice's templates again for every notice was a
    third of a durable step's time (benchmarks/peer_spiffworkflow.py)."""
    folder = county_texts_dir(region_code)
    return _county_environment(str(folder), _folder_state(folder))


def _folder_state(folder: Path) -> tuple[tuple[str, int, int], ...]:
    state = []
    for path in sorted(folder.rglob("*")):  # empty when the county has no texts of its own
        try:
            if path.is_file():
                stat = path.stat()
                state.append((path.relative_to(folder).as_posix(), stat.st_mtime_ns, stat.st_size))
        except FileNotFoundError:  # reset while we looked: the next notice sees the new state
            continue
    return tuple(state)


@lru_cache(maxsize=64)
def _county_environment(folder: str, state: tuple) -> jinja2.Environment:
    return _environment(jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(folder), jinja2.FileSystemLoader(str(templates_dir()))]))


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


def render_text(region_code: str, template: str, facts: CaseFacts, issuer_name: str,
                issued_on: date, deadlines: list[DeadlineFacts], data: dict[str, Any]) -> str:
    return county_environment(region_code).get_template(template).render(
        case=facts, issuer_name=issuer_name, issued_on=issued_on, deadlines=deadlines,
        data=data, query_hint=QUERY_HINT,
    )


def issue_notice(session: Session, case: Case, spec: NoticeSpec, facts: CaseFacts,
                 issuer_name: str, actor: Actor, now: datetime, data: dict[str, Any],
                 audit: AuditBatch) -> Notice:
    """Render the notice's text (the county's own where it has one) and number it; the audit
    entry names the notice and its number and seals what its PDF is made from (text, number,
    issue time, served) with their SHA-256.

    The PDF is not made here: it takes about a second of one core, and the clerk would wait
    for it at every registration and step (issue 18). It is rendered from the stored text,
    number and issue time, so it is the same file whenever it is made: by the scheduler
    within minutes, or at its first download, whichever comes first (noticefiles.py), after
    checking the row against the seal in this entry."""
    deadlines = [DeadlineFacts(c.label, c.due_date, c.explanation, c.provisional)
                 for c in case.clocks if c.status != "stopped"]
    region = session.get(Region, case.region_id)
    today = local_date(now)
    body = render_text(region.code, spec.template, facts, issuer_name, today, deadlines, data)
    doc_no = documents.next_doc_no(session, region, today.year, spec.doc_type)
    notice = Notice(case_id=case.id, kind=spec.id, title=spec.title, body=body, issued_at=now,
                    issued_by_user_id=actor.user_id, issuer_unit_id=actor.unit_id,
                    doc_no=doc_no, pdf_sha256=None)
    entry = audit.add("notice_issued", case_id=case.id, kind=spec.id, title=spec.title,
                      doc_no=doc_no, seal_sha256=documents.seal(
                          documents.Document(body, doc_no, now, spec.served)))
    audit.id_after_flush(entry, "notice_id", notice)
    return notice
