"""The statistics page, the API, the CSV and the XLSX give the same numbers for the hand-built
set (tests/stats_data.py); every number is a link to its list; exports are audited."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from stats_data import EXPECTED, build, expected_value

from petition_flow import clock
from petition_flow.clock import CHINA_TZ
from petition_flow.models import AuditEntry
from petition_flow.services.actor import SYSTEM
from petition_flow.services.statistics import BY_KEY, DEFINITIONS, Figure, format_figure
from petition_flow.services.tokens import create_token
from tests.web.conftest import text

NOW = datetime(2026, 4, 10, 10, 0, tzinfo=CHINA_TZ)
Q1 = "from=2026-01-01&to=2026-03-31"


@pytest.fixture
def data(session, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return build(session)


def _shown(key: str, want) -> str:
    d = BY_KEY[key]
    return format_figure(d, Figure(expected_value(key, want)))


def _page_row(html: str, group: str) -> dict[str, str]:
    row = re.search(rf'<tr class="[^"]*" data-group="{group}">(.*?)</tr>', html, re.S).group(1)
    return {m[0]: m[1] for m in re.findall(
        r'<td data-figure="([a-z_0-9]+)"><a href="[^"]+">([^<]+)</a>', row)}


def test_the_page_shows_every_figure_per_county_and_in_total(as_user, data):
    html = text(as_user("city_supervisor.baoji").get(f"/supervision/stats?{Q1}"))
    for group, expected in (("meixian", EXPECTED["meixian"]), ("jintai", EXPECTED["jintai"]),
                            ("", EXPECTED["total"])):
        row = _page_row(html, group)
        for key, want in expected.items():
            assert row[key] == _shown(key, want), (group, key)
    for d in DEFINITIONS:
        assert d.formula in html
    # the charts are drawn on the server: the page's content holds no script (the one local
    # app.js after </main> only counts characters in long text fields)
    content = html.split("<main", 1)[-1].split("</main>", 1)[0]
    assert "<svg" in content and "<script" not in content


def test_a_number_links_to_the_list_behind_it(as_user, data):
    b = as_user("city_supervisor.baoji")
    html = text(b.get(f"/supervision/stats?{Q1}"))
    row = re.search(r'data-group="meixian">(.*?)</tr>', html, re.S).group(1)
    href = re.search(r'<td data-figure="overdue"><a href="([^"]+)"', row).group(1)
    listed = text(b.get(href.replace("&amp;", "&")))
    assert "共 1 件" in listed
    assert data["m4"].case_no in listed
    assert "当前超期的信访事项" in listed


def test_a_chart_bar_links_to_its_list_and_its_table_is_one_click_away(as_user, data):
    b = as_user("county_supervisor.meixian")
    html = text(b.get(f"/supervision/stats?{Q1}"))
    bars = re.findall(r'<a href="([^"]+)" class="chart-link">', html)
    assert bars, "the charts draw linked bars"
    month_list = text(b.get(bars[0].replace("&amp;", "&")))  # January's registrations
    assert "共 2 件" in month_list
    tables = re.findall(r'<a href="([^"]+)" class="chart-table">', html)
    assert len(tables) == 3
    table = text(b.get(tables[0].replace("&amp;", "&")))
    assert "2026年1月" in table and "2026年3月" in table


def test_page_api_csv_and_xlsx_give_the_same_numbers(as_user, app, data, Session):
    b = as_user("city_supervisor.baoji")
    raw = b.get(f"/supervision/stats/export?format=csv&{Q1}").data
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = rows[0]
    csv_rows = {r[0]: dict(zip(header[1:], r[1:], strict=True)) for r in rows[1:]}
    book = load_workbook(io.BytesIO(b.client.get(f"/supervision/stats/export?format=xlsx&{Q1}").data))
    sheet = list(book["统计"].iter_rows(values_only=True))
    xlsx_rows = {r[0]: dict(zip(sheet[0][1:], r[1:], strict=True)) for r in sheet[1:]}
    with Session() as s:
        token = create_token(s, SYSTEM, NOW, "city_supervisor.baoji", "t").token
    api = app.test_client().get(f"/api/v1/stats?{Q1}",
                                headers={"Authorization": f"Bearer {token}"}).json
    api_groups = {g["label"]: g["figures"] for g in [*api["groups"], api["total"]]}
    for label, county in (("眉县", "meixian"), ("金台区", "jintai"), ("合计", "total")):
        for key, want in EXPECTED[county].items():
            d = BY_KEY[key]
            value = expected_value(key, want)
            assert api_groups[label][key]["value"] == value, (label, key)
            assert csv_rows[label][d.name] == _shown(key, want), (label, key)
            assert xlsx_rows[label][d.name] == value, (label, key)


def test_each_export_is_written_to_the_audit_log(as_user, data, Session):
    b = as_user("county_supervisor.meixian")
    b.client.get(f"/supervision/stats/export?format=xlsx&{Q1}")
    b.get("/cases/export?format=csv&open=1")
    with Session() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "exported")
                            .order_by(AuditEntry.seq)).scalars().all()
    assert [(e.details["what"], e.details["format"]) for e in entries] == [
        ("statistics", "xlsx"), ("cases", "csv")]
    assert entries[1].details["filters"] == {"open_only": True}
    assert entries[0].actor_username == "county_supervisor.meixian"


def test_a_county_supervisor_cannot_read_another_countys_figures(as_user, data):
    b = as_user("county_supervisor.meixian")
    assert b.get(f"/supervision/stats?{Q1}&county=jintai").status_code == 403
    assert b.get(f"/supervision/stats/export?format=csv&{Q1}&county=jintai").status_code == 403


def test_a_bad_date_is_explained_in_chinese(as_user, data):
    b = as_user("county_supervisor.meixian")
    response = b.get("/supervision/stats?from=2026-13-01")
    assert response.status_code == 200
    assert "日期格式应为 YYYY-MM-DD" in text(response)
    bad = b.get("/supervision/stats/export?format=pdf")
    assert bad.status_code == 400 and "导出格式无效" in text(bad)


def test_the_case_list_export_masks_petitioners_and_follows_the_filters(as_user, data):
    b = as_user("county_supervisor.meixian")
    raw = b.get("/cases/export?format=csv&stat=concluded&from=2026-01-01&to=2026-03-31").data
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "信访件编号"
    numbers = {r[0] for r in rows[1:]}
    assert numbers == {data[k].case_no for k in ("m1", "m2", "m5", "m7")}
    m1 = next(r for r in rows if r[0] == data["m1"].case_no)
    assert "王建国" not in raw.decode("utf-8-sig") and m1[11] == "王某"
    assert m1[12] == "610***********1234" and m1[13] != "13912345678"
    book = load_workbook(io.BytesIO(b.client.get("/cases/export?format=xlsx&open=1").data))
    assert [r[0] for r in book.active.iter_rows(values_only=True)][1:] == sorted(
        [data["m4"].case_no, data["m6"].case_no])


def test_the_annual_report_shows_the_year_per_county_and_unit_and_exports_the_same(as_user,
                                                                                 data):
    b = as_user("county_supervisor.meixian")
    html = text(b.get("/supervision/annual?year=2026"))
    assert "第四十一条" in html and "2026-01-01 至 2026-04-10" in html
    county = html.split('id="annual-county"', 1)[1].split("</table>", 1)[0]
    assert _page_row(county, "meixian")["registered"] == "7"  # m6 (04-01) counts for the year
    units = html.split('id="annual-unit"', 1)[1].split("</table>", 1)[0]
    assert "眉县住房和城乡建设局" in units
    book = load_workbook(io.BytesIO(b.client.get("/supervision/annual/export?year=2026").data))
    assert book.sheetnames == ["各县（区）", "各单位", "口径"]
    rows = list(book["各县（区）"].iter_rows(values_only=True))
    assert rows[1][0] == "眉县" and rows[1][1] == 7
    assert "年度无效" in text(b.get("/supervision/annual?year=1999"))
