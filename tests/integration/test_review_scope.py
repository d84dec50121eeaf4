"""复查/复核 open only after a 信访处理意见 on an Art. 31(6) matter (信访工作条例第三十五条、
第三十六条); other replies end the matter with their own notice citing their own article."""

from __future__ import annotations

import pytest
from helpers import at, days_after

from petition_flow.errors import TransitionNotAllowed
from petition_flow.models import Notice
from petition_flow.services.clocks import latest_clock

SUGGESTION = {"category": "suggestion"}
ACCUSATION = {"category": "accusation"}
REPLIED = ["classify", "transfer", "accept", "reply", "deliver"]


def _notice(session, case, kind):
    return session.query(Notice).filter_by(case_id=case.id, kind=kind).one()


def test_review_is_not_offered_after_a_suggestions_reply_and_its_notice_cites_article_29(
        cases, session):
    case = cases.walk(REPLIED, classification=SUGGESTION, start=at("2027-03-01", 9))
    assert case.state == "evaluation_open"
    assert latest_clock(case, "review_request") is None  # no 复查 window was opened
    reply = _notice(session, case, "suggestion_reply")
    assert "第二十九条" in reply.body and "第三十一条第六项" not in reply.body
    assert "复查" not in reply.body
    assert session.query(Notice).filter_by(case_id=case.id, kind="handling_opinion").count() == 0
    with pytest.raises(TransitionNotAllowed, match="复查、复核仅适用于对第三十一条第六项事项"):
        cases.fire(case, "request_review", when=days_after(case.updated_at, 3))


def test_an_accusations_reply_cites_article_30_and_opens_no_review(cases, session):
    case = cases.walk(REPLIED, classification=ACCUSATION, start=at("2028-02-01", 9))
    reply = _notice(session, case, "accusation_reply")
    assert "第三十条" in reply.body and "第三十一条第六项" not in reply.body
    assert "复查" not in reply.body
    with pytest.raises(TransitionNotAllowed, match="不适用复查"):
        cases.fire(case, "request_review", when=days_after(case.updated_at, 3))


def test_a_simply_handled_suggestion_gets_a_suggestion_reply_without_review_rights(
        cases, session):
    case = cases.walk(["classify", "handle_simply", "reply_simple"],
                      classification={**SUGGESTION, "simple": "1"}, start=at("2026-06-01", 9))
    case = cases.fire(case, "deliver", role="reception")
    assert latest_clock(case, "review_request") is None
    assert "复查" not in _notice(session, case, "simple_handling").body
    assert "第二十九条" in _notice(session, case, "suggestion_reply").body


def test_a_handling_opinion_on_an_article_31_6_matter_opens_the_review_window(cases, session):
    case = cases.walk(REPLIED, start=at("2025-09-01", 9))
    opinion = _notice(session, case, "handling_opinion")
    assert "第三十一条第六项" in opinion.body and "第三十五条" in opinion.body
    window = latest_clock(case, "review_request")
    assert window is not None and window.status == "running"
    case = cases.fire(case, "request_review", when=days_after(case.updated_at, 5))
    assert case.state == "review_requested"


def test_a_mediation_agreement_is_not_a_handling_opinion_and_opens_no_review(cases):
    case = cases.walk(["classify", "transfer", "accept", "mediate", "mediation_agreed",
                       "deliver"], start=at("2026-04-01", 9))
    assert latest_clock(case, "review_request") is None
    with pytest.raises(TransitionNotAllowed, match="不适用复查"):
        cases.fire(case, "request_review", when=days_after(case.updated_at, 2))
