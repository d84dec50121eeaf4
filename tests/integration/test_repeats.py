"""Repeat petitions (Art. 19 ¶3) and finality (Art. 36 ¶3): staff see the matches and
decide; nothing is merged silently, and no county sees another's petitioners."""

from __future__ import annotations

import pytest
from helpers import days_after

from petition_flow.errors import RepeatDecisionRequired, ValidationError


def _again(cases, original, form, **changes):
    return cases.register(when=days_after(original.updated_at, 1), **{**form, **changes})


def test_the_same_petitioner_with_the_same_matter_must_be_linked_or_explained(cases):
    form = cases.form()
    original = cases.register(**form)
    with pytest.raises(RepeatDecisionRequired) as err:
        _again(cases, original, form, summary=form["summary"] + "（再次反映）")
    [match] = err.value.matches
    assert match.case_id == original.id and match.open and not match.finalized
    assert match.score >= 0.4


def test_staff_may_register_anyway_with_a_reason_and_the_reason_is_audited(cases, session):
    from sqlalchemy import select

    from petition_flow.models import AuditEntry

    form = cases.form()
    original = cases.register(**form)
    new = _again(cases, original, form, repeat_reason="信访人反映的是新发生的事实。")
    assert new.repeat_of_id is None and new.state == "registered"
    entry = session.execute(select(AuditEntry).where(
        AuditEntry.action == "case_registered", AuditEntry.case_id == new.id)).scalar_one()
    assert entry.details["repeat_reason"] == "信访人反映的是新发生的事实。"


def test_a_petitioner_without_id_number_is_matched_by_name_and_phone(cases):
    form = cases.form()
    form["petitioners"][0]["id_number"] = None
    original = cases.register(**form)
    with pytest.raises(RepeatDecisionRequired):
        _again(cases, original, form)


def test_a_different_person_or_an_unrelated_matter_is_not_a_repeat(cases):
    form = cases.form()
    original = cases.register(**form)
    other = cases.form()
    assert _again(cases, original, other, request=form["request"]).repeat_of_id is None
    unrelated = {**form, "summary": "建议在村口安装路灯", "request": "建议安装路灯",
                 "facts_and_reasons": "夜间道路照明不足，老人出行不便。"}
    assert _again(cases, original, unrelated).repeat_of_id is None


def test_a_matter_concluded_after_recheck_is_flagged_as_final_in_the_matches(cases):
    form = cases.form()
    original = cases.register(**form)
    for step in ["classify", "transfer", "accept", "reply", "deliver", "request_review",
                 "decide_review", "request_recheck", "decide_recheck"]:
        inputs = {"category": "appeal", "route": "6"} if step == "classify" else None
        original = cases.fire(original, step, inputs)
    with pytest.raises(RepeatDecisionRequired) as err:
        _again(cases, original, form)
    [match] = err.value.matches
    assert match.finalized and not match.open


def test_linking_to_a_case_that_is_not_among_the_matches_is_refused(cases):
    form = cases.form()
    original = cases.register(**form)
    with pytest.raises(ValidationError) as err:
        cases.register(**{**cases.form(), "repeat_of_id": original.id})
    assert "repeat_of_id" in err.value.fields


def test_a_petitioner_of_another_county_is_never_shown_as_a_match(cases):
    form = cases.form()
    cases.register(county="jintai", **form)
    assert cases.register(county="meixian", **form).repeat_of_id is None


# --- Art. 19 ¶3: only an earlier case accepted or in handling within its limit (or pending
# higher up) makes a new petition a repeat ------------------------------------------------

def _linked(cases, original, form):
    return cases.register(when=days_after(original.updated_at, 1),
                          **{**form, "repeat_of_id": original.id})


def _walked(cases, form, steps):
    case = cases.register(**form)
    for step in steps:
        inputs = {"category": "appeal", "route": "6"} if step == "classify" else None
        case = cases.fire(case, step, inputs)
    return case


def test_a_petition_linked_to_a_case_that_was_not_accepted_is_not_a_repeat(cases):
    from petition_flow.errors import TransitionNotAllowed

    form = cases.form()
    original = _walked(cases, form, ["classify", "transfer", "reject"])
    assert original.state == "not_accepted"
    new = _linked(cases, original, form)
    with pytest.raises(TransitionNotAllowed, match="不构成重复信访（第十九条第三款）"):
        cases.fire(new, "close_as_repeat", {"reason": "重复"})
    assert cases.fire(new, "classify", {"category": "appeal", "route": "6"}).state == "triaged"


def test_a_case_past_its_statutory_handling_period_does_not_make_a_new_petition_a_repeat(cases):
    from petition_flow.errors import TransitionNotAllowed
    from petition_flow.services.clocks import open_clock

    form = cases.form()
    original = _walked(cases, form, ["classify", "transfer", "accept"])
    due = open_clock(original, "handling").due_date
    # Within the 60 days (but past Meixian's local 30) it is still a repeat ...
    within = cases.register(when=days_after(due, -5), **{**form, "repeat_of_id": original.id})
    assert cases.fire(within, "close_as_repeat", {"reason": "仍在办理期限内"},
                      when=days_after(due, -4)).state == "merged_as_repeat"
    # ... after them it is not.
    late = cases.register(when=days_after(due, 2), **{**form, "repeat_of_id": original.id})
    with pytest.raises(TransitionNotAllowed, match="已超过办理期限"):
        cases.fire(late, "close_as_repeat", {"reason": "重复"}, when=days_after(due, 3))


def test_a_case_in_handling_within_its_period_makes_a_linked_petition_a_repeat(cases):
    form = cases.form()
    original = cases.register(**form)
    for step in ["classify", "transfer", "accept"]:
        inputs = {"category": "appeal", "route": "6"} if step == "classify" else None
        original = cases.fire(original, step, inputs)
    new = _linked(cases, original, form)
    assert cases.fire(new, "close_as_repeat", {"reason": "原事项仍在办理期限内"}).state == \
        "merged_as_repeat"
