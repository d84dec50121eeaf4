"""Meixian's stricter 限时办结 limit runs beside the statutory 60 days: missing it is its own
warning and record (限时办结超时); an Art. 45 basis arises only when the 60 days are missed
(domain.md §8)."""

from __future__ import annotations

from datetime import date

from helpers import at
from sqlalchemy import select

from petition_flow.models import AccountabilityRecord, Alert
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.clocks import open_clock
from petition_flow.services.notify import NotifyConfig

QUIET = NotifyConfig()
BASE = ["classify", "transfer", "accept"]


def _records(session, case):
    return session.execute(select(AccountabilityRecord).where(
        AccountabilityRecord.case_id == case.id).order_by(AccountabilityRecord.id)).scalars().all()


def test_a_meixian_case_past_30_days_but_within_60_has_a_local_record_and_no_article_45(
        cases, session):
    case = cases.walk(BASE, start=at("2027-03-01", 9))  # accepted 2027-03-04
    local, statutory = open_clock(case, "handling@local"), open_clock(case, "handling")
    assert (local.trigger_date, local.due_date) == (date(2027, 3, 4), date(2027, 4, 6))
    # 3-04 + 30 = 4-03 (Saturday), 4-05 清明 (fixed by the 放假办法, 2027 unpublished): 4-06.
    assert local.provisional and "清明节（2027年4月5日）" in local.explanation
    assert statutory.due_date == date(2027, 5, 3)  # 3-04 + 60 = 5-03, a Monday (劳动节 is 5-01..02)
    day_40 = at("2027-04-13", 9)
    result = sweep_deadlines(session, day_40, config=QUIET)
    # Its own red warning, while the statutory clock is only at blue (its own colours).
    assert [(a.subject, a.level) for a in result.alerts] == [
        ("办理期限（限时办结）", "red"), ("办理期限", "blue")]
    [record] = _records(session, case)
    assert record.kind == "local_limit"
    assert record.article == "眉县限时办结制" and "第四十五条" not in record.article
    assert "限时办结超时" in record.ground and "30日" in record.ground
    assert open_clock(case, "handling").status == "running"  # the 60 days still run


def test_the_statutory_60_days_missed_in_meixian_make_the_article_45_record(cases, session):
    case = cases.walk(BASE, start=at("2026-03-02", 9))
    statutory = open_clock(case, "handling")
    sweep_deadlines(session, at(statutory.red_on, 9), config=QUIET)
    kinds = [(r.kind, r.article) for r in _records(session, case)]
    assert kinds == [("local_limit", "眉县限时办结制"), ("statutory", "信访工作条例第四十五条")]
    reds = session.execute(select(Alert.subject).where(Alert.case_id == case.id,
                                                       Alert.level == "red")).scalars().all()
    assert sorted(reds) == ["办理期限", "办理期限（限时办结）"]


def test_jintai_without_a_local_limit_runs_only_the_statutory_clock(cases):
    case = cases.walk(BASE, county="jintai", start=at("2028-02-01", 9))
    assert open_clock(case, "handling@local") is None
    assert open_clock(case, "handling").days == 60


def test_an_approved_extension_extends_the_local_clock_with_the_statutory_one(cases):
    case = cases.walk(BASE + ["request_extension"], start=at("2025-11-03", 9))
    case = cases.fire(case, "approve_extension")
    assert open_clock(case, "handling").extension_days == 15
    assert open_clock(case, "handling@local").extension_days == 15
