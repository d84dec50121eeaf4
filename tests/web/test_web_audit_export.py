"""The audit log of a date range (China time) as CSV/XLSX with the chain hashes, for inspectors:
only for roles with read_audit, and the export itself is audited."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from helpers import at, nothing_changes
from openpyxl import load_workbook
from sqlalchemy import select

from petition_flow import clock
from petition_flow.clock import CHINA_TZ
from petition_flow.models import AuditEntry
from petition_flow.services.actor import SYSTEM
from petition_flow.services.audit import AuditBatch

NOW = datetime(2026, 4, 10, 10, 0, tzinfo=CHINA_TZ)


def _entries(session):
    for instant, note in ((at("2026-01-05", 23, 30), "late on the 5th"),
                          (at("2026-01-06", 0, 30), "early on the 6th")):
        batch = AuditBatch(SYSTEM, instant)
        batch.add("test", note=note)
        batch.flush(session)
    session.commit()


def test_an_inspector_exports_one_beijing_day_of_the_audit_log_with_its_hashes(
        as_user, session, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    _entries(session)
    b = as_user("auditor.baoji")
    raw = b.client.get("/admin/audit/export?format=csv&date_from=2026-01-05&date_to=2026-01-05")
    assert raw.status_code == 200
    rows = list(csv.reader(io.StringIO(raw.data.decode("utf-8-sig"))))
    stored = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
    assert rows[0][-2:] == ["前一条哈希", "本条哈希"]
    assert [r[-1] for r in rows[1:]] == [stored[0].hash]
    assert rows[1][1] == "2026-01-05 23:30:00" and "late on the 5th" in rows[1][8]
    book = load_workbook(io.BytesIO(b.client.get(
        "/admin/audit/export?format=xlsx&date_from=2026-01-05&date_to=2026-01-06").data))
    hashes = [r[-1] for r in book.active.iter_rows(values_only=True)][1:]
    assert hashes == [stored[0].hash, stored[1].hash]
    session.rollback()  # end the read begun above: see what the exports wrote since
    exported = session.execute(select(AuditEntry).where(AuditEntry.action == "exported")
                               ).scalars().all()
    assert [e.details["what"] for e in exported] == ["audit_log", "audit_log"]


def test_a_supervisor_may_not_export_the_audit_log(as_user, session, Session):
    for who in ("county_supervisor.meixian", "admin.baoji"):  # 三权分立: not the administrator
        b = as_user(who)
        with nothing_changes(Session):  # no export is recorded in the log
            assert b.client.get("/admin/audit/export?format=csv&date_from=2026-01-05"
                                "&date_to=2026-01-05").status_code == 403, who


def test_an_export_without_dates_is_explained_in_chinese(as_user, session):
    b = as_user("auditor.baoji")
    answer = b.get("/admin/audit/export?format=csv")
    assert answer.status_code == 400 and "请填写导出的起止日期" in answer.get_data(as_text=True)
