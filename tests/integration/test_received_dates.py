"""Periods run from the day a request or a reply was received, not the day staff record it
(信访工作条例第三十五条、第三十六条: 收到书面答复之日 / 收到复查、复核请求之日; domain.md §8)."""

from __future__ import annotations

from datetime import date

import pytest
from helpers import at

from petition_flow.errors import TransitionNotAllowed, ValidationError
from petition_flow.services.casefile import timeline
from petition_flow.services.clocks import latest_clock, open_clock
from petition_flow.services.petitions import engine_for

REPLIED = ["classify", "transfer", "accept", "reply"]
DELIVER = {"delivery_method": "post", "receipt": "signed"}


def _replied(cases, start: str, reply_on: str, county: str = "jintai"):
    case = cases.walk(REPLIED[:-1], county=county, start=at(start, 9))
    return cases.fire(case, "reply", county=county, when=at(reply_on))


def _delivered(cases, start, reply_on, delivered_on, recorded_on, county="jintai"):
    case = _replied(cases, start, reply_on, county)
    return cases.fire(case, "deliver", {**DELIVER, "delivered_on": delivered_on},
                      county=county, when=at(recorded_on))


def test_a_delivery_dated_before_the_reply_was_issued_is_refused(cases):
    case = _replied(cases, "2027-02-01", "2027-03-10")
    with pytest.raises(ValidationError) as caught:
        cases.fire(case, "deliver", {**DELIVER, "delivered_on": "2027-03-09"}, county="jintai",
                   when=at("2027-03-12"))
    assert caught.value.fields["delivered_on"] == (
        "“送达日期”不能早于上一环节办理之日（2027年3月10日）。")


def test_a_delivery_dated_before_the_petition_was_received_is_refused(cases):
    # The review's case: a date that made the petitioner's window look 665 days expired.
    case = _replied(cases, "2026-05-04", "2026-06-20")
    with pytest.raises(ValidationError) as caught:
        cases.fire(case, "deliver", {**DELIVER, "delivered_on": "2024-08-18"}, county="jintai",
                   when=at("2026-06-22"))
    assert "不能早于上一环节办理之日（2026年6月20日）" in caught.value.fields["delivered_on"]


def test_the_review_window_runs_from_the_day_the_reply_was_received(cases):
    case = _delivered(cases, "2027-02-01", "2027-03-10", "2027-03-15", "2027-03-19")
    window = open_clock(case, "review_request")
    assert window.trigger_date == date(2027, 3, 15)
    assert window.due_date == date(2027, 4, 14)  # 3-15 + 30, a Wednesday; 暂定 (2027)
    assert window.provisional


def test_a_request_received_in_time_but_recorded_late_is_accepted_and_counted_from_receipt(
        cases, session):
    case = _delivered(cases, "2025-06-02", "2025-07-01", "2025-07-03", "2025-07-04")
    assert open_clock(case, "review_request").due_date == date(2025, 8, 4)  # 8-2 is a Saturday
    # Received on the last day of the window, recorded nine days later.
    case = cases.fire(case, "request_review", {"received_on": "2025-08-04", "reason": "不服"},
                      county="jintai", when=at("2025-08-13"))
    assert case.state == "review_requested"
    decision = open_clock(case, "review_decision")
    assert decision.trigger_date == date(2025, 8, 4)
    assert decision.due_date == date(2025, 9, 3)  # 8-4 + 30, not 8-13 + 30
    texts = [f"{t.text} {t.detail}" for t in timeline(session, case, engine_for(case).spec)]
    assert any("收到复查请求日期2025年8月4日，登记于2025年8月13日" in t for t in texts), texts


def test_a_request_received_after_the_window_is_refused_even_if_recorded_the_same_day(cases):
    case = _delivered(cases, "2026-03-02", "2026-04-01", "2026-04-02", "2026-04-02")
    due = open_clock(case, "review_request").due_date
    assert due == date(2026, 5, 6)  # 4-02 + 30 = 5-02, inside 劳动节 (5-01..5-05)
    with pytest.raises(TransitionNotAllowed, match="请求于2026-05-07收到，已超过申请复查期限"):
        cases.fire(case, "request_review", {"received_on": "2026-05-07", "reason": "不服"},
                   county="jintai", when=at("2026-05-07"))


@pytest.mark.parametrize(("received_on", "message"), [
    ("2028-03-20", "“收到复查请求日期”不能晚于今天。"),
    ("2028-03-01", "“收到复查请求日期”不能早于申请复查期限起算之日（2028年3月6日）。"),
])
def test_a_request_date_in_the_future_or_before_the_reply_was_received_is_refused(
        cases, received_on, message):
    case = _delivered(cases, "2028-01-10", "2028-03-02", "2028-03-06", "2028-03-07")
    with pytest.raises(ValidationError) as caught:
        cases.fire(case, "request_review", {"received_on": received_on, "reason": "不服"},
                   county="jintai", when=at("2028-03-10"))
    assert caught.value.fields["received_on"] == message


def test_the_recheck_decision_runs_from_the_day_the_recheck_request_was_received(cases):
    case = _delivered(cases, "2026-01-05", "2026-02-02", "2026-02-03", "2026-02-03")
    case = cases.fire(case, "request_review", {"received_on": "2026-02-10", "reason": "不服"},
                      county="jintai", when=at("2026-02-11"))
    case = cases.fire(case, "decide_review", None, county="jintai", when=at("2026-03-02"))
    served = latest_clock(case, "recheck_request").trigger_date
    case = cases.fire(case, "request_recheck",
                      {"received_on": served.isoformat(), "reason": "仍不服"},
                      county="jintai", when=at("2026-03-20"))
    decision = open_clock(case, "recheck_decision")
    assert decision.trigger_date == served
