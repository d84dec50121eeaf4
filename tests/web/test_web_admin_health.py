"""运行状况: the administration page shows the checks of `petition-flow doctor` (one shared
service function), to administrators only."""

from __future__ import annotations

from petition_flow.services.health import instance_health
from tests.web.conftest import text


def test_the_health_page_lists_the_doctors_checks_for_an_administrator(as_user, app, monkeypatch):
    admin = as_user("admin.baoji")
    monkeypatch.setenv("PETITION_FLOW_KEY_FILE", "/nonexistent/keys.json")
    page = text(admin.get("/admin/health"))
    assert "运行状况" in page.split("</nav>")[0]
    from petition_flow import clock

    report = instance_health(app.extensions["petition_flow.engine"], clock.now(), app.config,
                             instance=app.instance_path)
    assert report.problems  # the suite's database has no scheduler lease, the key file is gone
    for check in report.checks:
        assert check.line.split("：")[0] in page
    assert "调度器从未运行" in page and "/nonexistent/keys.json 不存在" in page
    assert "数据库可连接" in page and f"发现 {len(report.problems)} 个问题" in page


def test_only_administrators_see_the_health_page(as_user):
    assert as_user("auditor.baoji").get("/admin/health").status_code == 403
    assert as_user("handler.meixian").get("/admin/health").status_code == 403
