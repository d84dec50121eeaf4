"""The notices' PDFs on the pages: the case page links them, the download follows the
disclosure policy, and the day's notices print as one PDF."""

from __future__ import annotations

import io

import pdfplumber
from sqlalchemy import select

from petition_flow.models import Notice
from tests.web.conftest import text


def _pdf_text(response) -> str:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    with pdfplumber.open(io.BytesIO(response.get_data())) as pdf:
        return "".join(p.extract_text() for p in pdf.pages)


def test_the_case_page_links_each_notices_pdf_with_its_document_number(as_user, cases,
                                                                        session):
    case = cases.register()
    notice = session.execute(select(Notice).where(Notice.case_id == case.id)
                             .order_by(Notice.id)).scalars().first()
    case_id, notice_id, doc_no = case.id, notice.id, notice.doc_no
    session.commit()
    b = as_user("reception.meixian")
    page = text(b.get(f"/cases/{case_id}"))
    assert doc_no in page and f"/cases/{case_id}/notices/{notice_id}.pdf" in page
    body = _pdf_text(b.client.get(f"/cases/{case_id}/notices/{notice_id}.pdf"))
    assert doc_no in body and "王建国" in body
    printed = text(b.get(f"/cases/{case_id}/notices/{notice_id}"))
    assert '<h1>' in printed and doc_no in printed


def test_a_reader_without_need_to_know_downloads_a_masked_pdf_and_others_get_404(
        as_user, cases, session):
    case = cases.register()
    notice = session.execute(select(Notice).where(Notice.case_id == case.id)).scalars().first()
    case_id, notice_id = case.id, notice.id
    session.commit()
    body = _pdf_text(as_user("city_supervisor.baoji").client
                     .get(f"/cases/{case_id}/notices/{notice_id}.pdf"))
    assert "王某" in body and "王建国" not in body
    other = as_user("reception.jintai").client.get(f"/cases/{case_id}/notices/{notice_id}.pdf")
    assert other.status_code == 404


def test_the_days_notices_are_listed_and_print_as_one_pdf(as_user, cases, session):
    from helpers import at

    cases.register(when=at("2026-03-02", 9))
    cases.register(when=at("2026-03-02", 11))
    numbers = session.execute(select(Notice.doc_no).order_by(Notice.id)).scalars().all()
    session.commit()
    b = as_user("reception.meixian")
    page = text(b.get("/notices/daily?date=2026-03-02"))
    assert all(n in page for n in numbers) and "批量打印" in page
    body = _pdf_text(b.client.get("/notices/daily.pdf?date=2026-03-02"))
    assert all(n in body for n in numbers)
    empty = b.client.get("/notices/daily.pdf?date=2026-03-09")
    assert empty.status_code == 302
