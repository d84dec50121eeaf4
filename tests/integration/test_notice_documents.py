"""Notices as GB/T 9704-2012 documents: every notice type rendered to PDF and read back."""

from __future__ import annotations

import io
import re

import pdfplumber
import pytest
from helpers import at, days_after
from sqlalchemy import select, update

from petition_flow.devtools.demo import APPEAL6
from petition_flow.models import AuditEntry, Notice
from petition_flow.services import documents, noticefiles
from petition_flow.services.petitions import load_case

BASE = ["classify", "transfer", "accept"]  # the steps of every handled case after registration
COUNTY = "jintai"
MM = 72 / 25.4
TYPE_AREA_CENTRE = (28 + 156 / 2) * MM  # left margin 28 mm, type area 156 mm (§5.2.2)
REVIEW = BASE + ["reply", "deliver", "request_review", "decide_review", "request_recheck",
                 "decide_recheck"]
# (steps, classification) walks that between them issue every notice of the workflow
WALKS = [
    (["classify", "transfer", "reject"], APPEAL6),
    (["classify", "transfer", "object"], APPEAL6),
    (BASE + ["request_extension", "approve_extension"], APPEAL6),
    (BASE + ["mediate", "mediation_agreed"], APPEAL6),
    (BASE + ["reply"], {"category": "suggestion"}),
    (BASE + ["reply"], {"category": "accusation"}),
    (BASE + ["reply"], {"category": "appeal", "route": "5"}),
    (["classify", "divert_politico_legal"],
     {"category": "appeal", "route": "1", "litigation_related": "1"}),
    (["classify", "handle_simply"], {**APPEAL6, "simple": "1"}),
]


def _walk(cases, steps, classification):
    return cases.walk(steps, county=COUNTY, classification=classification,
                      start=at("2026-03-02", 9))


def _every_notice_type(cases, world, session):
    for steps, classification in WALKS:
        _walk(cases, steps, classification)
    original = _walk(cases, REVIEW, APPEAL6)
    same = [{"name": p.name, "id_number": p.id_number, "phone": p.phone, "address": p.address}
            for p in original.parties]
    repeat = cases.register(COUNTY, at("2026-07-20", 9), repeat_of_id=original.id,
                            petitioners=same)
    cases.fire(repeat, "refuse_repeat", role="reception", county=COUNTY,
               when=at("2026-07-20", 10))
    return session.execute(select(Notice).order_by(Notice.id)).scalars().all()


def _lines(page):
    """The page's text lines: (top, size, text, x0, x1), top to bottom."""
    rows: dict[int, list] = {}
    for c in page.chars:
        rows.setdefault(round(c["top"]), []).append(c)
    out = []
    for top in sorted(rows):
        chars = sorted(rows[top], key=lambda c: c["x0"])
        out.append((top, round(chars[0]["size"]), "".join(c["text"] for c in chars),
                    chars[0]["x0"], chars[-1]["x1"]))
    return out


def _check_layout(data: bytes, notice: Notice, served: bool) -> None:
    part = documents.parts(notice.body)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = [_lines(p) for p in pdf.pages]
        width, height = pdf.pages[0].width, pdf.pages[0].height
    assert (round(width / MM), round(height / MM)) == (210, 297)  # A4
    first = pages[0]
    # title: 22 pt, centred on the type area (§7.3.1)
    title = [line for line in first if line[1] == 22]
    assert "".join(line[2] for line in title) == part.title.replace(" ", "")
    for _top, _size, _text, x0, x1 in title:
        assert abs((x0 + x1) / 2 - TYPE_AREA_CENTRE) < 2, (notice.kind, x0, x1)
    # the masthead carries the 发文字号 above the title
    docno = [line for line in first if line[2] == notice.doc_no]
    assert docno and docno[0][0] < title[0][0]
    # body 16 pt; the signature and date sit on a page with text of the notice above them
    where = [(n, line) for n, lines in enumerate(pages) for line in lines
             if line[2] == part.date and line[1] == 16]
    assert where, notice.kind
    page_no, date_line = where[0]
    above = [line for line in pages[page_no] if line[0] < date_line[0] - 40 and line[1] == 16
             and line[2] not in (part.organ, notice.doc_no)]
    assert above, f"{notice.kind}: the signature stands alone on page {page_no + 1}"
    # one page wherever the text fits: 22 lines of 28 characters a page (§5.2.2), less the
    # masthead and title; the demo's texts fit, except the long opinions
    text_lines = sum(-(-len(p) // 28) for p in part.paragraphs) + 5
    if text_lines <= 22 - 6:
        assert page_no == 0, f"{notice.kind} fits on a page but runs to page {page_no + 1}"
    slip = [(n, line) for n, lines in enumerate(pages) for line in lines if line[2] == "送达回证"]
    assert bool(slip) == served, notice.kind
    if served:
        sign = [n for n, lines in enumerate(pages) for line in lines
                if line[2].startswith("受送达人签收")]
        assert sign == [slip[0][0]], f"{notice.kind}: the 送达回证 is split across pages"


def test_every_notice_type_renders_to_a_pdf_in_the_official_layout(cases, world, session):
    notices = _every_notice_type(cases, world, session)
    spec_notices = noticefiles.engine_for(load_case(session, notices[0].case_id)).spec.notices
    assert {n.kind for n in notices} == set(spec_notices)
    numbers = [n.doc_no for n in notices]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"金台信访(告|回|函|诺|意|复|协|复查|复核)〔2026〕[1-9]\d*号", no)
               for no in numbers), numbers
    reader = world.actor("reception", COUNTY)  # needs to know: gets the PDF as issued
    done = set()
    for notice in notices:
        if notice.kind in done:
            continue
        done.add(notice.kind)
        pdf = noticefiles.notice_pdf(session, reader, at("2026-09-01"), notice.case_id,
                                     notice.id)
        assert pdf.as_issued and pdf.data.startswith(b"%PDF-")
        _check_layout(pdf.data, notice, spec_notices[notice.kind].served)


def test_the_sequence_runs_per_type_and_the_database_refuses_a_repeated_number(
        cases, session):
    case = cases.register(COUNTY, at("2026-03-02", 9))
    cases.register(COUNTY, at("2026-03-03", 9))
    cases.register("meixian", at("2026-03-03", 9))
    rows = session.execute(select(Notice.kind, Notice.doc_no).order_by(Notice.id)).all()
    assert [no for _kind, no in rows] == [
        "金台信访回〔2026〕1号", "金台信访告〔2026〕1号", "金台信访回〔2026〕2号",
        "金台信访告〔2026〕2号", "眉信访回〔2026〕1号", "眉信访告〔2026〕1号"]
    session.add(Notice(case_id=case.id, kind="acceptance", title="受理告知书", body="x",
                       issued_at=at("2026-03-04"), doc_no="金台信访告〔2026〕1号"))
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        session.flush()
    session.rollback()


def test_a_configured_pattern_and_agency_code_number_the_notices(cases, session):
    path = documents.numbering_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('pattern: "{agency}{type}〔{year}〕{seq}号"\nagencies: {jintai: 金信}\n',
                    encoding="utf-8")
    try:
        cases.register(COUNTY, at("2026-03-02", 9))
    finally:
        path.unlink()
    numbers = session.execute(select(Notice.doc_no).order_by(Notice.id)).scalars().all()
    assert numbers == ["金信回〔2026〕1号", "金信告〔2026〕1号"]


def test_a_notice_is_issued_without_its_pdf_and_its_text_is_sealed_in_the_audit_entry(
        cases, session):
    case = cases.register(COUNTY, at("2026-03-02", 9))
    entries = session.execute(select(AuditEntry).where(AuditEntry.action == "notice_issued")
                              .order_by(AuditEntry.seq)).scalars().all()
    notices = session.execute(select(Notice).order_by(Notice.id)).scalars().all()
    assert len(entries) == len(notices) == 2
    for entry, notice in zip(entries, notices, strict=True):
        assert entry.details["doc_no"] == notice.doc_no
        assert entry.details["notice_id"] == notice.id
        assert entry.details["seal_sha256"] == documents.seal(
            documents.Document(notice.body, notice.doc_no, notice.issued_at, True))
        assert notice.pdf_sha256 is None and "pdf_sha256" not in entry.details
    assert case.id == notices[0].case_id


def test_the_scheduler_renders_the_pending_pdfs_once_keeps_and_audits_them(cases, session):
    cases.register(COUNTY, at("2026-03-02", 9))
    cases.register(COUNTY, at("2026-03-02", 10))
    assert noticefiles.render_pending(session, at("2026-03-02", 11), limit=3) == 3
    assert noticefiles.render_pending(session, at("2026-03-02", 12)) == 1
    assert noticefiles.render_pending(session, at("2026-03-02", 13)) == 0
    notices = session.execute(select(Notice).order_by(Notice.id)).scalars().all()
    rendered = session.execute(select(AuditEntry).where(
        AuditEntry.action == "notice_pdf_rendered").order_by(AuditEntry.seq)).scalars().all()
    assert [e.details["notice_id"] for e in rendered] == [n.id for n in notices]
    for entry, notice in zip(rendered, notices, strict=True):
        session.refresh(notice)
        assert entry.details["pdf_sha256"] == notice.pdf_sha256
        kept = documents.kept(notice.pdf_sha256)
        assert kept is not None and documents.sha256(kept) == notice.pdf_sha256
        # byte for byte: the same text, number and time give the same file
        again = documents.render_pdf(documents.Document(notice.body, notice.doc_no,
                                                        notice.issued_at, True))
        assert again == kept


def _first_notice(session, case):
    return session.execute(select(Notice).where(Notice.case_id == case.id)
                           .order_by(Notice.id)).scalars().first()


def _behind_the_apps_back(session, notice, **values):
    session.execute(update(Notice).where(Notice.id == notice.id).values(**values))
    session.commit()
    session.expire_all()


def _rendered_ids(session):
    return [d["notice_id"] for d in session.execute(select(AuditEntry.details).where(
        AuditEntry.action == "notice_pdf_rendered").order_by(AuditEntry.seq)).scalars()]


@pytest.mark.parametrize("change", [
    lambda n: {"body": n.body.replace("信访", "上访")},
    lambda n: {"doc_no": None, "body": n.body + "补充。"},           # no number to match by
    lambda n: {"doc_no": n.doc_no + "\u200b", "body": n.body + "。"},  # a look-alike number
    lambda n: {"issued_at": days_after(n.issued_at, -30)},            # back-dated
], ids=["text", "number cleared", "look-alike number", "issue time"])
def test_a_notice_changed_after_issue_is_never_served_or_archived_as_issued(
        cases, world, session, caplog, change):
    case = cases.register(COUNTY, at("2026-03-02", 9))
    notice = _first_notice(session, case)
    _behind_the_apps_back(session, notice, **change(notice))
    reader = world.actor("reception", COUNTY)
    with pytest.raises(noticefiles.StoredFileMismatch, match="与出具时登记的不符"):
        noticefiles.notice_pdf(session, reader, at("2026-03-03"), case.id, notice.id)
    assert noticefiles.render_pending(session, at("2026-03-03", 11)) == 1  # the other one
    session.refresh(notice)
    assert notice.pdf_sha256 is None
    assert "与出具时审计记录的封存哈希不符" in caplog.text
    assert notice.id not in _rendered_ids(session) and len(_rendered_ids(session)) == 1


def test_a_notice_moved_to_another_case_is_only_ever_an_unverified_copy(cases, world,
                                                                       session):
    case = cases.register(COUNTY, at("2026-03-02", 9))
    other = cases.register(COUNTY, at("2026-03-02", 10))
    notice = _first_notice(session, case)
    _behind_the_apps_back(session, notice, case_id=other.id, body=notice.body + "补充。")
    pdf = noticefiles.notice_pdf(session, world.actor("reception", COUNTY), at("2026-03-03"),
                                 other.id, notice.id)
    assert not pdf.as_issued and pdf.filename.endswith("（未经核验）")
    assert noticefiles.render_pending(session, at("2026-03-03", 11)) == 3  # all but it
    session.refresh(notice)
    assert notice.pdf_sha256 is None and notice.id not in _rendered_ids(session)


def test_a_pdf_hash_written_into_the_row_is_refused_unless_the_chain_recorded_it(
        cases, world, session):
    case = cases.register(COUNTY, at("2026-03-02", 9))
    notice = _first_notice(session, case)
    original, forged = notice.body, notice.body.replace("信访", "上访")
    data = documents.render_pdf(documents.Document(forged, notice.doc_no, notice.issued_at,
                                                   True))
    _behind_the_apps_back(session, notice, body=forged, pdf_sha256=documents.keep(data))
    with pytest.raises(noticefiles.StoredFileMismatch):
        noticefiles.notice_pdf(session, world.actor("reception", COUNTY), at("2026-03-03"),
                               case.id, notice.id)
    _behind_the_apps_back(session, notice, body=original)  # the text put back: the hash
    with pytest.raises(noticefiles.StoredFileMismatch, match="未见于审计记录"):  # still isn't
        noticefiles.notice_pdf(session, world.actor("reception", COUNTY), at("2026-03-03"),
                               case.id, notice.id)


def test_notices_that_may_not_be_archived_never_hold_up_the_scheduler_queue(cases, session):
    for hour in range(9, 15):  # twelve notices, the first ten of them then altered
        cases.register(COUNTY, at("2026-03-02", hour))
    notices = session.execute(select(Notice).order_by(Notice.id)).scalars().all()
    for notice in notices[:10]:
        _behind_the_apps_back(session, notice, body=notice.body + "改。")
    passed_over: set[int] = set()
    assert noticefiles.render_pending(session, at("2026-03-03", 9), passed_over=passed_over) == 2
    assert passed_over == {n.id for n in notices[:10]}
    cases.register(COUNTY, at("2026-03-03", 10))
    assert noticefiles.render_pending(session, at("2026-03-03", 11), passed_over=passed_over) == 2


def test_a_pdf_left_for_later_is_rendered_once_kept_and_audited_on_first_download(
        cases, world, session):
    case = cases.register(COUNTY, at("2026-03-02", 9))
    notice = session.execute(select(Notice).where(Notice.case_id == case.id)
                             .order_by(Notice.id)).scalars().first()
    assert notice.pdf_sha256 is None
    reader = world.actor("reception", COUNTY)
    first = noticefiles.notice_pdf(session, reader, at("2026-03-03"), case.id, notice.id)
    second = noticefiles.notice_pdf(session, reader, at("2026-03-04"), case.id, notice.id)
    assert first.data == second.data
    session.refresh(notice)
    rendered = session.execute(select(AuditEntry).where(
        AuditEntry.action == "notice_pdf_rendered")).scalars().all()
    assert [e.details["pdf_sha256"] for e in rendered] == [notice.pdf_sha256]
    assert documents.sha256(first.data) == notice.pdf_sha256
    documents.pdf_path(notice.pdf_sha256).unlink()  # lost file: rendered again, same bytes
    third = noticefiles.notice_pdf(session, reader, at("2026-03-05"), case.id, notice.id)
    assert third.data == first.data


def test_readers_without_need_to_know_get_a_masked_pdf_that_is_never_stored(
        cases, world, session):
    case = cases.walk(["classify", "transfer"], county=COUNTY)
    notice = session.execute(select(Notice).where(Notice.case_id == case.id)
                             .order_by(Notice.id)).scalars().first()
    leader = world.actor("city_supervisor")
    pdf = noticefiles.notice_pdf(session, leader, at("2026-03-05"), case.id, notice.id)
    assert not pdf.as_issued
    with pdfplumber.open(io.BytesIO(pdf.data)) as doc:
        text = "".join(p.extract_text() for p in doc.pages)
    assert "王某" in text and "王建国" not in text and case.query_code not in text
    session.refresh(notice)
    assert notice.pdf_sha256 is None
    assert not session.execute(select(AuditEntry).where(
        AuditEntry.action == "notice_pdf_rendered")).first()


def test_a_collective_visits_notices_are_addressed_to_its_representatives(cases, world,
                                                                          session):
    people = [{"name": name, "id_number": "", "phone": "", "address": "金台区某村",
               "representative": "1" if name in ("赵大", "钱二") else ""}
              for name in ("赵大", "钱二", "孙三", "李四", "周五", "吴六")]
    case = cases.register(COUNTY, at("2026-03-02", 9), collective=True, petitioners=people)
    notices = session.execute(select(Notice).where(Notice.case_id == case.id)).scalars().all()
    for notice in notices:
        assert "赵大、钱二：" in notice.body and "孙三" not in notice.body
    receipt = next(n for n in notices if n.kind == "receipt_route")
    data = noticefiles.notice_pdf(session, world.actor("reception", COUNTY), at("2026-03-03"),
                                  case.id, receipt.id).data
    with pdfplumber.open(io.BytesIO(data)) as doc:
        text = "".join(p.extract_text() for p in doc.pages)
    assert re.search(r"受送达人\s*赵大、钱二", text)


def test_the_days_notices_print_as_one_pdf_for_the_countys_staff(cases, world, session):
    cases.register(COUNTY, at("2026-03-02", 9))
    cases.register(COUNTY, at("2026-03-02", 15))
    cases.register(COUNTY, at("2026-03-03", 9))
    cases.register("meixian", at("2026-03-02", 9))
    from datetime import date

    staff = world.actor("reception", COUNTY)
    listed = noticefiles.daily_notices(session, staff, date(2026, 3, 2))
    assert [n.doc_no for _c, n in listed] == [
        "金台信访回〔2026〕1号", "金台信访告〔2026〕1号", "金台信访回〔2026〕2号",
        "金台信访告〔2026〕2号"]
    data = noticefiles.daily_notices_pdf(session, staff, at("2026-03-02", 17), date(2026, 3, 2))
    with pdfplumber.open(io.BytesIO(data)) as doc:
        text = "".join(p.extract_text() for p in doc.pages)
    for _case, notice in listed:
        assert notice.doc_no in text
    assert "眉信访" not in text
    assert noticefiles.daily_notices_pdf(session, staff, at("2026-03-05"),
                                         date(2026, 3, 5)) is None


def test_two_notices_render_to_png_for_the_readme(cases, world, session, tmp_path):
    """README screenshots: ``PETITION_FLOW_SCREENSHOTS=docs/screenshots python -m pytest
    tests/integration/test_notice_documents.py`` refreshes them; otherwise a scratch folder."""
    import os
    from pathlib import Path

    import pypdfium2

    folder = Path(os.environ.get("PETITION_FLOW_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    replied = _walk(cases, BASE + ["reply"], APPEAL6)
    refused = _walk(cases, ["classify", "transfer", "reject"], APPEAL6)
    reader = world.actor("reception", COUNTY)
    for case, kind, name in ((refused, "non_acceptance", "notice-non-acceptance.png"),
                             (replied, "handling_opinion", "notice-handling-opinion.png")):
        notice = session.execute(select(Notice).where(Notice.case_id == case.id,
                                                      Notice.kind == kind)).scalar_one()
        data = noticefiles.notice_pdf(session, reader, at("2026-09-01"), case.id,
                                      notice.id).data
        pdf = pypdfium2.PdfDocument(data)
        try:
            image = pdf[0].render(scale=1.4).to_pil().convert("RGB")
        finally:
            pdf.close()
        image.save(folder / name, optimize=True)
        width, height = image.size
        title_band = image.convert("L").crop((0, int(height * 0.15), width, int(height * 0.35)))
        assert title_band.getextrema()[0] < 80, f"{name}: no dark text where the title is"


def test_another_process_renders_the_same_bytes(tmp_path):
    """Nothing in the file depends on the process: hash seeds, clock or random ids."""
    import os
    import subprocess
    import sys
    from datetime import UTC, datetime

    body = ("　　　　受理告知书\n\n信访件编号：610303-2026-000001\n\n王建国：\n\n"
            "　　本单位决定予以受理。\n\n　　特此告知。\n\n　　　　金台区信访局\n　　　　2026年3月2日\n")
    doc = documents.Document(body, "金台信访告〔2026〕1号", datetime(2026, 3, 2, 1, tzinfo=UTC),
                             True)
    here = documents.sha256(documents.render_pdf(doc))
    script = ("import sys; from datetime import UTC, datetime; "
              "from petition_flow.services import documents as d; "
              "doc = d.Document(sys.stdin.read(), '金台信访告〔2026〕1号', "
              "datetime(2026, 3, 2, 1, tzinfo=UTC), True); "
              "print(d.sha256(d.render_pdf(doc)))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script], input=body, capture_output=True,
                         text=True, env=env, check=True, timeout=120)
    assert out.stdout.strip() == here


def test_the_scheduler_job_renders_the_pending_pdfs_every_minute(cases, engine, session,
                                                                   caplog):
    from petition_flow.scheduler import SchedulerRunner
    from petition_flow.services.notify import NotifyConfig

    caplog.set_level("INFO", logger="petition_flow.scheduler")
    cases.register(COUNTY, at("2026-03-02", 9))
    runner = SchedulerRunner(engine, holder="documents", config=NotifyConfig())
    assert "0:01:00" in str(runner.scheduler.get_job("documents").trigger)
    with runner.Session() as s:
        runner._documents(s, at("2026-03-02", 10))
    assert "文书存档：生成 PDF 2 份" in caplog.text
    assert not session.execute(select(Notice.id).where(Notice.pdf_sha256.is_(None))).first()
