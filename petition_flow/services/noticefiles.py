"""A notice's PDF for download, and the day's notices as one PDF for printing.

What a reader gets follows the disclosure policy (services/disclosure.py, purpose
``notice``): those who need to know get the PDF as issued — the stored file, checked against
its SHA-256 — and everyone else who may view the case a copy rendered from the masked text,
which is never stored. A notice's PDF is not made in the step that issues it (a second of
one core the clerk would wait for, issue 18): the scheduler renders the pending ones a few at
a time (``render_pending``), and a download that comes first renders it then; either way it
is kept and its hash written to the audit log (``notice_pdf_rendered``). The rendering depends
only on the stored text, number, issue time and service, so it is the same file whenever it is
made. What makes it the issued one is the chain: the ``notice_issued`` entry names the notice
and seals those four (``documents.seal``), and a stored PDF's hash must be one an entry
recorded for it. A row that no longer matches its seal is never served or archived as issued;
one that no sealed entry names (issued before seals) is rendered as an unverified copy, not
kept.
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


class AlteredText(StoredFileMismatch):
    """The notice's row is not the one sealed in its ``notice_issued`` entry at issue."""


SEALED, UNSEALED, ALTERED = "sealed", "unsealed", "altered"


def _chain_entries(session: Session, notice: Notice) -> list[tuple[str, dict]]:
    """The audit entries of the notice's case that speak of notices (its index, the case)."""
    return [(action, details) for action, details in session.execute(
        select(AuditEntry.action, AuditEntry.details).where(
            AuditEntry.case_id == notice.case_id,
            AuditEntry.action.in_(("notice_issued", "notice_pdf_rendered"))))]


def _verdict(entries, case: Case, notice: Notice) -> str:
    """SEALED: the entry that issued this notice (by its id) sealed exactly this row's text,
    number, issue time and service; ALTERED: it sealed something else; UNSEALED: no entry
    names it with a seal (issued before seals, or its case or id changed behind the app)."""
    for action, details in entries:
        if action == "notice_issued" and details.get("notice_id") == notice.id \
                and details.get("seal_sha256"):
            same = details["seal_sha256"] == documents.seal(_document(case, notice, notice.body))
            return SEALED if same else ALTERED
    return UNSEALED


def _hash_in_chain(entries, notice: Notice) -> bool:
    """The stored PDF hash is the one an audit entry recorded for this notice."""
    for action, details in entries:
        if details.get("pdf_sha256") != notice.pdf_sha256:
            continue
        if action == "notice_pdf_rendered" and details.get("notice_id") == notice.id:
            return True
        if action == "notice_issued" and details.get("doc_no") == notice.doc_no:
            return True  # rendered when issued, before PDFs were made later
    return False


def _refuse_altered(notice: Notice) -> AlteredText:
    log.error("文书 %s（第%d号）与出具时审计记录的封存哈希不符（正文、文号、出具时间或送达方式被改动），"
              "不作为原件提供", notice.doc_no, notice.id)
    return AlteredText("该文书与出具时登记的不符（可能被改动），不能作为原件提供，"
                       "请联系系统管理员核查审计日志。")


def _as_issued(session: Session, actor: Actor, now: datetime, case: Case,
               notice: Notice) -> tuple[bytes, bool]:
    """The PDF as issued and True; or, for a notice no sealed entry names, a rendering of the
    row that is not kept and False (it cannot be shown to be the issued one)."""
    entries = _chain_entries(session, notice)
    verdict = _verdict(entries, case, notice)
    if verdict == ALTERED:
        raise _refuse_altered(notice)
    if notice.pdf_sha256:
        if not _hash_in_chain(entries, notice):
            log.error("文书 %s（第%d号）的存档 PDF 哈希未见于审计记录", notice.doc_no, notice.id)
            raise StoredFileMismatch("该文书登记的存档文件哈希值未见于审计记录，不能作为原件提供，"
                                     "请联系系统管理员核查。")
        data = documents.kept(notice.pdf_sha256)
        if data is None:  # the file is gone or altered: render again, it must be the same
            data = documents.render_pdf(_document(case, notice, notice.body))
            if documents.sha256(data) != notice.pdf_sha256:
                raise StoredFileMismatch("该文书的存档文件与登记的哈希值不符，请联系系统管理员核查。")
            documents.keep(data)
        return data, True
    if verdict == UNSEALED:
        return documents.render_pdf(_document(case, notice, notice.body)), False
    return _render_late(session, actor, now, case.id, notice.id), True


def _render_late(session: Session, actor: Actor, now: datetime, case_id: int,
                 notice_id: int) -> bytes:
    """Render a sealed notice outside any transaction (a PDF takes about a second; neither
    writers nor a read snapshot wait for it), keep it, and record its hash if no one else
    has meanwhile. A notice whose seal is missing or does not match is not rendered."""
    case = load_case(session, case_id)
    notice = session.get(Notice, notice_id)
    verdict = _verdict(_chain_entries(session, notice), case, notice)
    document = _document(case, notice, notice.body)
    session.rollback()  # the read ends before the second of rendering; nothing was written
    if verdict == ALTERED:
        raise _refuse_altered(notice)
    if verdict == UNSEALED:
        raise Unsealed(notice_id)
    data = documents.render_pdf(document)
    digest = documents.keep(data)
    _record_rendered(session, actor, now, case_id, notice_id, digest)
    return data


class Unsealed(Exception):
    """No sealed ``notice_issued`` entry names this notice: nothing to archive it against."""


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
PASSED_OVER_MAX = 100_000


def render_pending(session: Session, now: datetime, limit: int = PENDING_BATCH,
                   passed_over: set[int] | None = None) -> int:
    """Render, keep and audit the PDFs of up to ``limit`` sealed notices that have none yet,
    oldest first; returns how many. One that is altered, unsealed or fails to render is passed
    over (and logged), never archived, and stays pending, visible to an inspection; with
    ``passed_over`` (the scheduler's, kept between its runs) it is logged once and skipped
    later, so such notices never hold up the queue behind them."""
    passed_over = set() if passed_over is None else passed_over
    done, after = 0, 0
    while done < limit:
        pending = session.execute(
            select(Notice.id, Notice.case_id)
            .where(Notice.pdf_sha256.is_(None), Notice.id > after)
            .order_by(Notice.id).limit(limit * 2)).all()
        session.rollback()  # a read only: rendering happens outside any transaction
        if not pending:
            break
        after = pending[-1][0]
        for notice_id, case_id in pending:
            if done >= limit:
                break
            if notice_id in passed_over:
                continue
            try:
                _render_late(session, SYSTEM, now, case_id, notice_id)
            except Unsealed:
                session.rollback()
                _pass_over(passed_over, notice_id)
                log.warning("文书第%d号无出具时的封存记录（早于封存或被改动），不自动存档", notice_id)
                continue
            except Exception:  # altered (logged), or the renderer failed: the next one
                session.rollback()
                log.exception("文书第%d号生成存档 PDF 失败", notice_id)
                _pass_over(passed_over, notice_id)
                continue
            done += 1
    return done


def _pass_over(passed_over: set[int], notice_id: int) -> None:
    if len(passed_over) >= PASSED_OVER_MAX:
        passed_over.clear()
    passed_over.add(notice_id)


def notice_pdf(session: Session, actor: Actor, now: datetime, case_id: int,
               notice_id: int) -> NoticePdf:
    """One notice's PDF as this actor may read it."""
    case = get_case(session, actor, case_id)
    notice = session.get(Notice, notice_id)
    if notice is None or notice.case_id != case.id:
        raise NotFoundError("未找到该文书。")
    if decide(actor, case, "notice") == UNMASKED:
        data, as_issued = _as_issued(session, actor, now, case, notice)
        return NoticePdf(_filename(notice) + ("" if as_issued else "（未经核验）"), data,
                         as_issued)
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
            try:
                files.append(_as_issued(session, actor, now, case, notice)[0])
            except StoredFileMismatch:  # logged; the rest of the day's notices still print
                continue
        else:
            masked = notice_text(actor, case, notice.body)
            files.append(documents.render_pdf(_document(case, notice, masked)))
    return documents.merge_pdfs(files) if files else None
