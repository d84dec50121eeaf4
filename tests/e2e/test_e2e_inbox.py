"""A county supervisor finds the sweep's red alert in the inbox, acknowledges it and issues a
supervision order (督办单) from it, in Chromium against the demo instance."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import login, run_cli, screenshot

pytestmark = pytest.mark.slow  # pyproject.toml: `-m "not slow"` leaves it out


def test_a_supervisor_sees_the_sweeps_alert_in_the_inbox_and_issues_an_order_from_it(
        page, server, demo_env):
    run_cli(demo_env, "sweep")  # the embedded scheduler may have raised them already: once
    login(page, server, "county_supervisor.meixian")
    unread = int(page.inner_text("header .unread-count"))
    assert unread >= 1
    page.click("header a.inbox-link")
    page.wait_for_load_state()
    red = page.locator("table.inbox tbody tr.unread.row-red")
    assert red.count() >= 1 and "红色超期" in red.first.inner_text()
    screenshot(page, "alert-inbox")
    red.first.locator("button:has-text('确认收到')").click()
    page.wait_for_load_state()
    badge = page.locator("header .unread-count")
    assert (int(badge.inner_text()) if badge.count() else 0) == unread - 1
    page.locator("a.issue-order").first.click()
    page.wait_for_load_state()
    assert "依据预警" in page.inner_text("dl.facts")
    page.fill("#requirements", "请于期限内查明超期原因，依法办结，并书面回复。")
    page.check("#listed")
    page.click("button:has-text('下发督办单')")
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    assert "挂牌督办" in page.inner_text("h1") and "待回复" in page.inner_text("h1")
