"""Art. 31(5) (请求依法履行法定职责) is a tracked matter with its own reply, not a diversion out
of the system (信访工作条例第三十一条第五项: 依法履行或者答复; domain.md §8)."""

from __future__ import annotations

import pytest
from helpers import at, days_after

from petition_flow.errors import TransitionNotAllowed
from petition_flow.models import Notice
from petition_flow.services.clocks import latest_clock

ROUTE5 = {"category": "appeal", "route": "5"}


def test_a_request_to_perform_a_statutory_duty_is_transferred_accepted_and_answered(
        cases, session):
    case = cases.walk(["classify"], classification=ROUTE5, start=at("2027-05-10", 9))
    with pytest.raises(TransitionNotAllowed):
        cases.fire(case, "route_legal_procedure", {"target": "行政程序", "reason": "x"})
    case = cases.walk(["classify", "transfer", "accept"], classification=ROUTE5,
                      start=at("2027-05-10", 9))
    assert case.state == "duty_performance" and case.closed_at is None
    assert latest_clock(case, "acceptance_notice").status == "stopped"  # notice given in time
    case = cases.fire(case, "reply", when=days_after(case.updated_at, 20))
    reply = session.query(Notice).filter_by(case_id=case.id, kind="duty_reply").one()
    assert "第三十一条第五项" in reply.body and "第三十一条第六项" not in reply.body
    case = cases.fire(case, "deliver", when=days_after(case.updated_at, 1))
    assert latest_clock(case, "review_request") is None  # not a 信访处理意见: no 复查
