"""The petitioner's whole path in Chromium: submit online → staff see it → the case moves →
the petitioner sees progress and notices → evaluates 不满意 → the county supervisor has a
回访 task → a 复查 request arrives with its received date. axe-core (vendored) checks every
public page at phone width; screenshots at 360 px and 1366 px."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import china_today, fire, login, logout, screenshot

pytestmark = pytest.mark.slow  # pyproject.toml: `-m "not slow"` leaves it out

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
README_PICTURES = ("query", "case")  # the pages the README shows at both widths


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core findings on the current page (WCAG 2.1 A/AA rules)."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
                                 values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact,
                                       nodes: v.nodes.map(n => n.target.join(' '))}));
    }""")
    return [json.dumps(v, ensure_ascii=False) for v in found if v["impact"] in SERIOUS]


def check_page(page, name: str) -> None:
    assert axe_violations(page) == [], name
    for width, label in ((360, "phone"), (1366, "desktop")):
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"{name} is wider than {width}px"
        if name in README_PICTURES:
            screenshot(page, f"public-{name}-{label}")
    page.set_viewport_size({"width": 360, "height": 800})


def test_a_petitioner_submits_online_follows_evaluates_and_asks_for_review_in_chromium(
        chromium, server):
    # bypass_csp: only so that the test may inject axe-core; the pages keep their policy.
    context = chromium.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN",
                                   bypass_csp=True)
    public = context.new_page()
    public.set_default_timeout(15000)
    public.goto(server + "/submit")
    check_page(public, "submit")
    public.fill("#name", "孙丽华")
    public.fill("#phone", "13991700456")
    public.fill("#address", "眉县汤峪镇某村")
    public.select_option("#county", value="meixian")
    public.fill("#summary", "反映汤峪镇某村道路损坏无人维修")
    public.fill("#request", "请求尽快维修村道")
    public.fill("#facts_and_reasons", "村道自2025年夏季暴雨后损坏，多次反映无人处理。")
    public.check("#consent")
    public.wait_for_timeout(2200)  # a person takes longer than the minimum fill time
    public.click("button[type=submit]")
    public.wait_for_load_state()
    case_no = public.inner_text("#case-no")
    code = public.inner_text("#query-code")
    assert re.fullmatch(r"610326-\d{4}-\d{6}", case_no) and len(code) == 8
    check_page(public, "submitted")

    staff = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = staff.new_page()
    page.set_default_timeout(15000)
    login(page, server, "reception.meixian")
    page.goto(server + "/cases")
    page.click(f"text={case_no}")
    case_url = page.url
    assert "网上信访" in page.inner_text("main")
    fire(page, "classify", selects={"category": "申诉求决类",
                                    "route": "信访程序办理（第三十一条第六项）"})
    fire(page, "transfer", selects={"unit": "眉县人力资源和社会保障局"})
    logout(page)
    login(page, server, "handler.meixian")
    page.goto(case_url)
    fire(page, "accept")
    fire(page, "reply", selects={"outcome": "予以支持"},
         fields={"opinion": "经现场核实，村道将于30日内维修完毕。",
                 "legal_basis": "《公路法》第八条"})
    fire(page, "deliver", selects={"delivery_method": "电子送达", "receipt": "签收"},
         fields={"delivered_on": china_today()})
    logout(page)

    public.goto(server + "/query")
    check_page(public, "query")
    public.fill("#case_no", case_no)
    public.fill("#query_code", code.lower())
    public.click("button[type=submit]")
    public.wait_for_url(re.compile(r"/query/case$"))
    body = public.inner_text("main")
    for expected in ("转送眉县人力资源和社会保障局办理", "受理", "送达处理意见书", "申请复查期限",
                     "信访处理意见书"):
        assert expected in body, expected
    assert "孙丽华" not in public.content() and "13991700456" not in public.content()
    check_page(public, "case")
    public.click("ul.notices a:has-text('信访处理意见书')")
    assert "村道将于30日内维修完毕" in public.inner_text("article.notice")
    check_page(public, "notice")
    public.go_back()
    public.check("#unit_rating-2")
    public.check("#bureau_rating-1")
    public.fill("#comment", "维修进度太慢")
    public.click("button:has-text('提交评价')")
    public.wait_for_load_state()
    assert "评价已提交" in public.inner_text("main")
    public.fill("#reasons", "维修期限过长，请求复查")
    public.click("button:has-text('提交申请复查请求')")
    public.wait_for_load_state()
    assert "申请复查请求已收到" in public.inner_text("h1")
    received = public.inner_text("dl.facts")
    check_page(public, "request-receipt")

    login(page, server, "county_supervisor.meixian")
    page.goto(server + "/inbox/")
    assert f"信访人不满意，请安排回访：{case_no}" in page.inner_text("main")
    page.goto(case_url)
    feedback = page.inner_text("#petitioner-feedback")
    assert "对承办单位 不满意" in feedback and "网上申请复查请求" in feedback
    assert china_today() in feedback and china_today() in received
    context.close()
    staff.close()
