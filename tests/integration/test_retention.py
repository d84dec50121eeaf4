"""The retention report says how far back the audit log goes against the six months of
网络安全法 第二十一条, and notices when its beginning is gone."""

from __future__ import annotations

from helpers import as_database_admin, at
from sqlalchemy import delete

from petition_flow.models import AuditEntry
from petition_flow.services.retention import retention_report


def test_a_log_reaching_back_six_months_is_reported_as_meeting_the_requirement(
        cases, session):
    cases.register(when=at("2026-03-02", 9))
    cases.register(when=at("2026-10-08", 9))
    report = retention_report(session, at("2026-10-09"), 6)
    assert report.starts_at_first_entry and str(report.required_from) == "2026-04-09"
    assert "符合：日志覆盖了要求的 6 个月" in " ".join(report.lines())


def test_a_young_system_is_told_it_keeps_everything_since_it_started(cases, session):
    cases.register(when=at("2026-09-01", 9))
    text = " ".join(retention_report(session, at("2026-10-09"), 6).lines())
    assert "系统自 2026-09-01 起运行" in text


def test_a_log_whose_first_entries_were_removed_is_reported_as_not_meeting_it(cases, session):
    cases.register(when=at("2026-03-02", 9))
    cases.register(when=at("2026-10-08", 9))
    as_database_admin(session)
    session.execute(delete(AuditEntry).where(AuditEntry.seq <= 3))
    session.commit()
    report = retention_report(session, at("2026-10-09"), 6)
    assert not report.covers and "不符合：最早一条是第4条" in " ".join(report.lines())
