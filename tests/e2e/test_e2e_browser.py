"""Reception → handling → reply → evaluation, and a supervisor finding an overdue case,
in Chromium against the demo instance. Screenshots for the README are taken on the way."""

from __future__ import annotations

import re

import pytest

from petition_flow.domain.identity import id_check_digit
from tests.e2e.conftest import china_today, fire, login, logout, screenshot

pytestmark = pytest.mark.slow  # pyproject.toml: `-m "not slow"` leaves it out

FIRST17 = "61032619880315471"
ID_NUMBER = FIRST17 + id_check_digit(FIRST17)


def test_a_petition_goes_from_reception_through_handling_reply_and_evaluation_in_chromium(
        page, server):
    login(page, server, "reception.meixian")
    page.goto(server + "/reception/petitions/new")
    page.select_option("#channel", label="来访")
    page.fill('[name="petitioners-0-name"]', "赵一鸣")
    page.fill('[name="petitioners-0-id_number"]', ID_NUMBER)
    page.fill('[name="petitioners-0-phone"]', "13991700123")
    page.fill('[name="petitioners-0-address"]', "眉县横渠镇某村三组")
    page.fill("#summary", "反映横渠镇某合作社拖欠土地流转租金")
    page.fill("#request", "请求督促合作社按合同支付2025年度土地流转租金")
    page.fill("#facts_and_reasons", "本户6亩耕地2023年起流转给某合作社，合同约定每年12月支付租金，"
                                    "2025年度租金至今未付。")
    page.fill("#attachments", "土地流转合同复印件1份")
    screenshot(page, "registration-form")
    page.click("button[name=save]")
    page.wait_for_url(re.compile(r"/receipt$"))
    case_no = page.inner_text(".case-no")
    assert re.fullmatch(r"610326-\d{4}-\d{6}", case_no)
    assert len(page.inner_text(".query-code")) == 8
    assert page.locator(".notice h2").all_inner_texts() == ["登记回执及处理途径、时限告知书",
                                                           "信访人权利义务告知书"]
    page.click("text=查看信访事项")
    case_url = page.url
    fire(page, "classify", selects={"category": "申诉求决类",
                                    "route": "信访程序办理（第三十一条第六项）"})
    fire(page, "transfer", selects={"unit": "眉县人力资源和社会保障局"})
    logout(page)

    login(page, server, "handler.meixian")
    page.goto(server + "/cases")
    page.click(f"text={case_no}")
    assert page.url == case_url
    fire(page, "accept")
    assert page.locator('.step-current').inner_text().strip().endswith("调查处理")
    assert "610" in page.inner_text("#petitioners") and ID_NUMBER not in page.content()
    screenshot(page, "case-page")
    fire(page, "reply", selects={"outcome": "予以支持"},
         fields={"opinion": "经调查核实，合作社已承诺于30日内支付全部租金。",
                 "legal_basis": "《农村土地经营权流转管理办法》第十条"})
    fire(page, "deliver", selects={"delivery_method": "当面送达", "receipt": "签收"},
         fields={"delivered_on": china_today()})
    fire(page, "evaluate", selects={"rating": "满意"}, fields={"comment": "处理及时"})
    fire(page, "close")
    assert page.inner_text("h1 .state") == "已办结"
    timeline = page.inner_text(".timeline")
    for step in ("登记信访事项", "研判分类", "转送", "受理", "出具处理意见书", "送达",
                 "满意度评价", "办结"):
        assert step in timeline, step
    logout(page)

    login(page, server, "auditor.baoji")  # the audit log shows every step, the chain holds
    page.goto(f"{server}/admin/audit?case_no={case_no}&action=transition")
    steps = page.locator("table.audit tbody td:nth-child(5)").all_inner_texts()
    assert [s.removeprefix("办理操作：") for s in reversed(steps)] == [
        "研判分类", "转送", "受理", "出具处理意见书", "送达", "满意度评价", "办结"]
    page.click("button:has-text('校验审计链')")
    assert "审计链完整" in page.inner_text(".verify")


def test_a_county_supervisor_sees_an_overdue_case_one_click_from_the_dashboard(page, server):
    login(page, server, "county_supervisor.meixian")
    page.goto(server + "/supervision/")
    overdue = page.locator("a.overdue-link")
    assert int(overdue.inner_text()) >= 1
    screenshot(page, "supervision-dashboard")
    overdue.click()
    page.wait_for_load_state()
    rows = page.locator("table.cases tbody tr.row-red")
    assert rows.count() >= 1
    assert "红色超期" in rows.first.inner_text() and re.search(r"超期\d+天", rows.first.inner_text())
    rows.first.locator("a").click()
    page.wait_for_load_state()
    assert "红色超期" in page.inner_text("table.clocks")


def test_the_workflow_diagram_is_drawn_offline_by_the_vendored_mermaid(page, server):
    login(page, server, "admin.baoji")
    page.goto(server + "/admin/workflows")
    page.wait_for_selector(".mermaid-box svg", timeout=30000)
    drawn = page.inner_text(".mermaid-box")
    assert "调查处理中" in drawn and "第1步 登记受理" in drawn and "复查复核" in drawn
    assert "review" not in drawn  # steps by their Chinese names
    assert page.locator(".mermaid-box svg").bounding_box()["width"] >= 1500  # readable


def test_a_city_supervisor_clicks_a_chart_bar_through_to_the_list_behind_it(page, server):
    login(page, server, "city_supervisor.baoji")
    page.goto(server + "/supervision/stats")
    total = page.locator("tr.total td[data-figure='registered'] a").inner_text()
    assert int(total) >= 1
    screenshot(page, "statistics")
    bar = page.locator("figure:has-text('类别构成') a.chart-link").first
    number = int(bar.locator("text.chart-value").text_content())
    bar.click()
    page.wait_for_load_state()
    assert f"共 {number} 件" in page.inner_text(".pager")
    assert "统计期间" in page.inner_text("main")
