"""A notice's PDF for download, and the day's notices as one PDF for printing.

What a reader gets follows the disclosure policy (services/disclosure.py, purpose
``notice``): those who need to know get the PDF as issued — the stored file, checked against
its SHA-256 — and everyone else who may view the case a copy rendered from the masked text,
which is never stored. A notice's PDF is not made in the step that issues it (a second of
one core the clerk would wait for, issue 18): the scheduler renders the pending ones a few at
a time (``render_pending``), and a download that comes first renders it then; either way it
is kept and its hash written to the audit log (``notice_pdf_rendered``). The rendering depends
only on the stored text, number and issue time, so it is the same file whenever it is made;
and the text must still be the one sealed in the ``notice_issued`` entry (its SHA-256), or
nothing is rendered as issued.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import CHINA_TZ
from ..db import retry_conflicts, write_transaction
from ..errors import NotFoundError, PermissionDenied
from ..models import AuditEntry, Case, Notice
from . import documents, scope
from .actor import SYSTEM, Actor, can_view, require_permission
from .audit import AuditBatch
from .disclosure import UNMASKED, decide, notice_text
from .petitions import engine_for, get_case, load_case

log = logging.getLogger("petition_flow.documents")


@dataclass(frozen=True)
class NoticePdf:
    filename: str
    data: bytes
    as_issued: bool


def _served(case: Case, notice: Notice) -> bool:
    spec = engine_for(case).spec.notices.get(notice.kind)
    return spec.served if spec is not None else True


def _document(case: Case, notice: Notice, body: str) -> documents.Document:
    return documents.Document(body, notice.doc_no, notice.issued_at, _served(case, notice))


def _filename(notice: Notice) -> str:
    return f"{notice.title}（{notice.doc_no}）" if notice.doc_no else notice.title


class StoredFileMismatch(PermissionDenied):
    """The stored PDF and a fresh rendering differ from the hash the audit log holds."""


def _as_issued(session: Session, actor: Actor, now: datetime, case: Case,
               notice: Notice) -> bytes:
    if notice.pdf_sha256:
        data = documents.kept(notice.pdf_sha256)
        if data is None:  # the file is gone or altered: render again, it must be the same
            data = documents.render_pdf(_document(case, notice, notice.body))
            if documents.sha256(data) != notice.pdf_sha256:
                raise StoredFileMismatch("该文书的存档文件与登记的哈希值不符，请联系系统管理员核查。")
            documents.keep(data)
        return data
    return _render_late(session, actor, now, case.id, notice.id)


class AlteredText(StoredFileMismatch):
    """The notice's stored text is not the one sealed in its audit entry at issue."""


def _sealed_text_digest(session: Session, notice: Notice) -> str | None:
    """The SHA-256 of the text the ``notice_issued`` entry sealed (None before seals)."""
    for details in session.execute(
            select(AuditEntry.details).where(AuditEntry.case_id == notice.case_id,
                                             AuditEntry.action == "notice_issued")).scalars():
        if details.get("doc_no") == notice.doc_no:
            return details.get("body_sha256")
    return None


def _render_late(session: Session, actor: Actor, now: datetime, case_id: int,
                 notice_id: int) -> bytes:
    """Render outside any transaction (a PDF takes about a second; neither writers nor a
    read snapshot wait for it), then record the hash if no one else has meanwhile."""
    case = load_case(session, case_id)
    notice = session.get(Notice, notice_id)
    sealed = _sealed_text_digest(session, notice)
    altered = sealed is not None and sealed != documents.text_sha256(notice.body)
    document, doc_no = _document(case, notice, notice.body), notice.doc_no
    session.rollback()  # the read ends before the second of rendering; nothing was written
    if altered:
        log.error("文书 %s（第%d号）的正文与出具时审计记录的哈希不符，未生成存档 PDF",
                  doc_no, notice_id)
        raise AlteredText("该文书的正文与出具时登记的不符（可能被改动），不能作为原件提供，"
                          "请联系系统管理员核查审计日志。")
    data = documents.render_pdf(document)
    digest = documents.keep(data)
    _record_rendered(session, actor, now, case_id, notice_id, digest)
    return data


@retry_conflicts
def _record_rendered(session: Session, actor: Actor, now: datetime, case_id: int,
                     notice_id: int, digest: str) -> None:
    with write_transaction(session):
        notice = session.execute(select(Notice).where(Notice.id == notice_id)
                                 .with_for_update()).scalar_one()
        session.refresh(notice)
        if notice.pdf_sha256:  # another request recorded it meanwhile: the same file
            return
        notice.pdf_sha256 = digest
        audit = AuditBatch(actor, now)
        audit.add("notice_pdf_rendered", case_id=case_id, notice_id=notice.id,
                  kind=notice.kind, doc_no=notice.doc_no, pdf_sha256=digest)
        audit.flush(session)


# PDFs the scheduler renders a run (a minute): about ten seconds of one core at most, so the
# web process it may share stays responsive; a burst of notices is worked off within minutes.
PENDING_BATCH = 10


def render_pending(session: Session, now: datetime, limit: int = PENDING_BATCH) -> int:
    """Render, keep and audit the PDFs of up to ``limit`` notices that have none yet, oldest
    first; returns how many. A notice whose text no longer matches its seal is left unrendered
    (and logged) every time, so it stays visible as pending instead of being papered over."""
    pending = session.execute(
        select(Notice.id, Notice.case_id).where(Notice.pdf_sha256.is_(None))
        .order_by(Notice.id).limit(limit)).all()
    session.rollback()  # a read only: rendering happens outside any transaction
    done = 0
    for notice_id, case_id in pending:
        try:
            _render_late(session, SYSTEM, now, case_id, notice_id)
        except AlteredText:
            session.rollback()
            continue
        done += 1
    return done


def notice_pdf(session: Session, actor: Actor, now: datetime, case_id: int,
               notice_id: int) -> NoticePdf:
    """One notice's PDF as this actor may read it."""
    case = get_case(session, actor, case_id)
    notice = session.get(Notice, notice_id)
    if notice is None or notice.case_id != case.id:
        raise NotFoundError("未找到该文书。")
    if decide(actor, case, "notice") == UNMASKED:
        return NoticePdf(_filename(notice), _as_issued(session, actor, now, case, notice), True)
    masked = notice_text(actor, case, notice.body)
    return NoticePdf(_filename(notice) + "（脱敏）",
                     documents.render_pdf(_document(case, notice, masked)), False)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ)
    return start, start + timedelta(days=1)


def daily_notices(session: Session, actor: Actor, day: date) -> list[tuple[Case, Notice]]:
    """The notices issued on ``day`` (China date) on the cases in the actor's scope."""
    require_permission(actor, "cases")
    start, end = _day_bounds(day)
    rows = session.execute(
        select(Notice.id, Case.id).join(Case, Case.id == Notice.case_id)
        .where(scope.clause(actor), Notice.issued_at >= start,
                                 Notice.issued_at < end)
        .order_by(Notice.issued_at, Notice.id)).all()
    out = []
    for notice_id, case_id in rows:
        case = load_case(session, case_id)
        if can_view(actor, case):  # and the rules that need the whole case (第三十条)
            out.append((case, session.get(Notice, notice_id)))
    return out


def daily_notices_pdf(session: Session, actor: Actor, now: datetime,
                      day: date) -> bytes | None:
    """批量打印: the day's notices of the actor's county as one PDF (each as issued to those
    who need to know it, masked to the others), or None when there were none."""
    files = []
    for case, notice in daily_notices(session, actor, day):
        if decide(actor, case, "notice") == UNMASKED:
            files.append(_as_issued(session, actor, now, case, notice))
        else:
            masked = notice_text(actor, case, notice.body)
            files.append(documents.render_pdf(_document(case, notice, masked)))
    return documents.merge_pdfs(files) if files else None
