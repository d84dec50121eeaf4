"""The case file reads in Chinese: in Chromium, no raw identifier (``[a-z]+_[a-z_]+``) is
visible on the case page (with its history and 办理结果), the administrator's read-only case
page or the audit log, for a demo case in every state of the demo data; and a fresh demo's
alerts say nothing of downtime."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from tests.e2e.conftest import login, logout, run_cli

RAW = re.compile(r"[a-z]+_[a-z_]+")
MEIXIAN = "610326-"  # the county supervisor of Meixian sees every Meixian case


def one_case_per_state(env: dict[str, str]) -> dict[str, tuple[int, str]]:
    db = Path(env["PETITION_FLOW_INSTANCE"]) / "petition_flow.sqlite3"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT state, id, case_no FROM cases ORDER BY id").fetchall()
    out: dict[str, tuple[int, str]] = {}
    for state, case_id, case_no in rows:
        if case_no.startswith(MEIXIAN):
            out.setdefault(state, (case_id, case_no))
    return out


def raw_identifiers(page) -> list[str]:
    return sorted(set(RAW.findall(page.inner_text("body"))))


def test_no_raw_identifier_is_visible_on_the_case_page_history_or_audit_log_in_any_state(
        page, server, demo_env):
    run_cli(demo_env, "sweep")  # alerts and accountability records in the histories too
    cases = one_case_per_state(demo_env)
    assert len(cases) >= 20, cases  # the demo covers the workflow's states

    login(page, server, "county_supervisor.meixian")
    for state, (case_id, _) in cases.items():
        page.goto(f"{server}/cases/{case_id}")
        assert page.locator("ol.timeline li").count() > 0
        assert page.locator("#results").count() == 1
        assert raw_identifiers(page) == [], (state, "case page")
    logout(page)

    login(page, server, "admin.baoji")
    for state, (case_id, _) in cases.items():
        page.goto(f"{server}/admin/cases/{case_id}")
        assert raw_identifiers(page) == [], (state, "administrator's case page")
    logout(page)

    login(page, server, "auditor.baoji")
    for state, (_, case_no) in cases.items():
        page.goto(f"{server}/admin/audit?case_no={case_no}")
        assert page.locator("table.audit tbody tr").count() > 1
        assert raw_identifiers(page) == [], (state, "audit log")
    page.goto(f"{server}/admin/audit")
    assert raw_identifiers(page) == [], "audit log, newest entries"
    options = page.locator("select[name=action] option").all_inner_texts()
    assert "发出预警" in options and "定时任务接管运行" in options


def test_a_fresh_demos_alerts_do_not_claim_the_system_was_down(page, server, demo_env):
    run_cli(demo_env, "sweep")
    login(page, server, "county_supervisor.meixian")
    page.goto(f"{server}/inbox/")
    text = page.inner_text("table.inbox")
    assert "红色超期" in text and "截止日期" in text
    assert "停机" not in text and "补发" not in text
