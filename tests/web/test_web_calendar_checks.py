"""The admin calendar upload refuses a year that drops a fixed holiday, and its effect page
lists only the deadlines whose date moved."""

from __future__ import annotations

import io
from datetime import date

from helpers import at
from sqlalchemy import select
from web.conftest import text

from petition_flow.models import AuditEntry, CalendarYear
from petition_flow.services.clocks import open_clock

FIXED_2027 = "2027-01-01, 2027-02-05, 2027-02-08, 2027-04-05, 2027-06-09, 2027-09-15"


def _upload(browser, body: str):
    return browser.post("/admin/calendar", {"file": (io.BytesIO(body.encode()), "2027.yaml")},
                        content_type="multipart/form-data")


def test_an_uploaded_year_without_national_day_is_refused_and_nothing_is_imported(
        as_user, session):
    body = f"year: 2027\nsource: 测试\nholidays: [{FIXED_2027}]\nworkdays: []\n"
    response = _upload(as_user("admin.baoji"), body)
    assert response.status_code == 400
    page = text(response)
    assert "缺少《全国年节及纪念日放假办法》规定的法定节假日" in page
    assert "2027-10-01（国庆节）" in page
    session.expire_all()
    assert session.get(CalendarYear, 2027) is None


def test_the_import_effect_lists_a_moved_deadline_and_not_one_that_only_lost_its_provisional_mark(
        as_user, cases, session):
    same = cases.register(county="jintai", when=at("2026-12-22", 9))  # routing due 2027-01-06
    moved = cases.register(county="jintai", when=at("2026-12-30", 9))  # routing due 2027-01-14
    assert open_clock(same, "routing").due_date == date(2027, 1, 6)
    assert open_clock(moved, "routing").provisional
    same_no, moved_no = same.case_no, moved.case_no
    session.commit()
    body = (f"year: 2027\nsource: 测试用2027年安排\n"
            f"holidays: [{FIXED_2027}, 2027-10-01, 2027-01-14]\nworkdays: []\n")
    b = as_user("admin.baoji")
    assert _upload(b, body).status_code == 302
    page = text(b.get("/admin/calendar"))
    assert "1 个未办结期限的截止日期因此改变" in page
    changes = page.split('class="deadline-changes"')[1].split("</table>")[0]
    assert moved_no in changes and same_no not in changes
    session.expire_all()
    recomputed = session.execute(select(AuditEntry).where(
        AuditEntry.action == "deadline_recomputed")).scalars().all()
    by_case = {e.case_id: e.details for e in recomputed}
    assert by_case[same.id]["old_due_date"] == by_case[same.id]["due_date"] == "2027-01-06"
    assert by_case[moved.id]["due_date"] == "2027-01-15"
