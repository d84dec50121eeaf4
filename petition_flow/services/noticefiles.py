"""A notice's PDF for download, and the day's notices as one PDF for printing.

What a reader gets follows the disclosure policy (services/disclosure.py, purpose
``notice``): those who need to know get the PDF as issued — the stored file, checked against
its SHA-256 — and everyone else who may view the case a copy rendered from the masked text,
which is never stored. A notice issued before PDFs existed, or whose PDF was left to be
rendered later (demo seeding), is rendered on its first download as issued, kept, and its
hash written to the audit log (``notice_pdf_rendered``): the rendering depends only on the
stored text, number and issue time, so it is the same file whenever it is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import CHINA_TZ
from ..db import retry_conflicts, write_transaction
from ..errors import NotFoundError, PermissionDenied
from ..models import Case, Notice
from . import documents, scope
from .actor import Actor, can_view, require_permission
from .audit import AuditBatch
from .disclosure import UNMASKED, decide, notice_text
from .petitions import engine_for, get_case, load_case


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


def _render_late(session: Session, actor: Actor, now: datetime, case_id: int,
                 notice_id: int) -> bytes:
    """Render outside the write transaction (a PDF takes about a second; writers wait for
    none of it), then record the hash if no one else has meanwhile."""
    case = load_case(session, case_id)
    notice = session.get(Notice, notice_id)
    data = documents.render_pdf(_document(case, notice, notice.body))
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
