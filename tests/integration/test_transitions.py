"""Every transition of the default workflow fires from its source state, and every
forbidden attempt is refused with a Chinese reason that changes nothing."""

from __future__ import annotations

import pytest
from helpers import days_after
from sqlalchemy import func, select

from petition_flow.devtools.demo import APPEAL6, step_role
from petition_flow.domain.registry import DEFAULT_WORKFLOW
from petition_flow.errors import (
    NotFoundError,
    TransitionNotAllowed,
    ValidationError,
)
from petition_flow.models import AuditEntry, Case, Notice
from petition_flow.services.petitions import all_engines

SPEC = all_engines()[DEFAULT_WORKFLOW].spec
BASE = ["classify", "transfer", "accept"]
SUGGESTION = {"category": "suggestion"}
ACCUSATION = {"category": "accusation"}
SIMPLE = {**APPEAL6, "simple": "1"}
LITIGATION = {"category": "appeal", "route": "1", "litigation_related": "1"}
ROUTE4 = {"category": "appeal", "route": "4"}
ROUTE5 = {"category": "appeal", "route": "5"}
REPLIED = BASE + ["reply"]
DELIVERED = REPLIED + ["deliver"]
REVIEWED = DELIVERED + ["request_review", "decide_review"]

# source state -> the steps that reach it (after registration)
PATHS = {
    "registered": [], "triaged": ["classify"], "transferred": ["classify", "transfer"],
    "objected": ["classify", "transfer", "object"], "under_handling": BASE,
    "hearing": BASE + ["start_hearing"], "mediation": BASE + ["mediate"],
    "extension_requested": BASE + ["request_extension"], "under_study": BASE,
    "under_investigation": BASE, "duty_performance": BASE,
    "simple_handling": ["classify", "handle_simply"],
    "replied": REPLIED, "evaluation_open": DELIVERED, "evaluated": DELIVERED + ["evaluate"],
    "concluded": DELIVERED + ["evaluate", "close"],
    "review_requested": DELIVERED + ["request_review"], "review_decided": REVIEWED,
    "recheck_requested": REVIEWED + ["request_recheck"],
    "recheck_hearing": REVIEWED + ["request_recheck", "start_recheck_hearing"],
}
# (trigger, source) -> (classification, days before the last step)
SPECIAL = {
    ("divert_politico_legal", "triaged"): (LITIGATION, 1),
    ("transfer_discipline", "triaged"): (ACCUSATION, 1),
    ("route_legal_procedure", "triaged"): (ROUTE4, 1),
    ("handle_simply", "triaged"): (SIMPLE, 1),
    ("reply_simple", "simple_handling"): (SIMPLE, 1),
    ("accept", "transferred", "under_study"): (SUGGESTION, 1),
    ("accept", "transferred", "under_investigation"): (ACCUSATION, 1),
    ("hand_over", "under_study"): (SUGGESTION, 1),
    ("hand_over", "under_investigation"): (ACCUSATION, 1),
    ("reply", "under_study"): (SUGGESTION, 1),
    ("reply", "under_investigation"): (ACCUSATION, 1),
    ("accept", "transferred", "duty_performance"): (ROUTE5, 1),
    ("hand_over", "duty_performance"): (ROUTE5, 1),
    ("reply", "duty_performance"): (ROUTE5, 1),
    ("finalize", "concluded"): (APPEAL6, 40),
    ("finalize", "review_decided"): (APPEAL6, 40),
}
# Several transitions share a trigger and source and are told apart by a condition on the
# case: the classification that makes each one fire.
BY_CONDITION = {
    ("reply_simple", "category_is:suggestion"): ({**SUGGESTION, "simple": "1"}, 1),
    ("reply_simple", "category_is:accusation"): ({**ACCUSATION, "simple": "1"}, 1),
    ("deliver", "not_opens_review"): (SUGGESTION, 1),
}
REPEAT_TRIGGERS = {"close_as_repeat", "refuse_repeat"}
ALL = [(t.trigger, t.source, t.dest) for t in SPEC.transitions]
INDEXED = [(i, t.trigger, t.source, t.dest) for i, t in enumerate(SPEC.transitions)]


def _special(trigger, source, dest, index=None):
    if index is not None:
        for condition in SPEC.transitions[index].conditions:
            found = BY_CONDITION.get((trigger, str(condition)))
            if found:
                return found
    return SPECIAL.get((trigger, source, dest)) or SPECIAL.get((trigger, source)) or (APPEAL6, 1)


def reach(cases, source, classification, county="meixian"):
    return cases.walk(PATHS[source], classification=classification, county=county)


def test_the_table_covers_every_transition_of_the_default_workflow():
    covered = {(t, s) for t, s, _ in ALL if s in PATHS or t in REPEAT_TRIGGERS}
    assert covered == {(t, s) for t, s, _ in ALL}
    assert len(ALL) == len(SPEC.transitions) >= 45


@pytest.mark.parametrize(("index", "trigger", "source", "dest"),
                         [a for a in INDEXED if a[1] not in REPEAT_TRIGGERS],
                         ids=[f"{t}:{s}->{d}#{i}" for i, t, s, d in INDEXED
                              if t not in REPEAT_TRIGGERS])
def test_each_transition_fires_from_its_source_state_and_is_audited(
    cases, session, world, index, trigger, source, dest
):
    classification, gap = _special(trigger, source, dest, index)
    if "with_petition_bureau" in {c.name for c in SPEC.transitions[index].conditions}:
        # a matter sent to the county's 信访局 (as the city does), which transfers it on
        case = cases.walk(["classify"], classification=classification)
        case = cases.fire(case, "transfer", {"unit": world.unit("meixian.bureau")})
    else:
        case = reach(cases, source, classification)
    assert case.state == source
    audits = session.scalar(select(func.count()).select_from(AuditEntry))

    def issued(kind):
        return session.scalar(select(func.count()).select_from(Notice)
                              .where(Notice.case_id == case.id, Notice.kind == kind))

    before = {kind: issued(kind) for kind in SPEC.transitions[index].notices}
    inputs = dict(classification) if trigger == "classify" else None
    case = cases.fire(case, trigger, inputs, when=days_after(case.updated_at, gap))
    assert case.state == dest
    entry = session.execute(select(AuditEntry).where(AuditEntry.action == "transition")
                            .order_by(AuditEntry.seq.desc())).scalars().first()
    assert (entry.from_state, entry.to_state, entry.details["trigger"]) == (source, dest, trigger)
    assert session.scalar(select(func.count()).select_from(AuditEntry)) > audits
    for notice in SPEC.transitions[index].notices:
        assert issued(notice) == before[notice] + 1


def _repeat_of(cases, original, form):
    return cases.register(when=days_after(original.updated_at, 1),
                          **{**form, "repeat_of_id": original.id})


def test_a_repeat_of_an_open_case_can_be_closed_as_repeat_but_not_classified(cases):
    form = cases.form()
    original = cases.register(**form)
    original = cases.fire(original, "classify", dict(APPEAL6))
    repeat = _repeat_of(cases, original, form)
    with pytest.raises(TransitionNotAllowed, match="重复信访"):
        cases.fire(repeat, "classify", dict(APPEAL6))
    with pytest.raises(TransitionNotAllowed, match="复核终结"):
        cases.fire(repeat, "refuse_repeat")
    assert cases.fire(repeat, "close_as_repeat").state == "merged_as_repeat"


def test_a_repeat_after_recheck_is_not_accepted_again_and_gets_a_non_reacceptance_notice(
    cases, session
):
    form = cases.form()
    original = cases.register(**form)
    for step in REVIEWED + ["request_recheck", "decide_recheck"]:
        inputs = dict(APPEAL6) if step == "classify" else None
        original = cases.fire(original, step, inputs)
    assert original.state == "final" and original.data["recheck_concluded"]
    repeat = _repeat_of(cases, original, form)
    with pytest.raises(TransitionNotAllowed):
        cases.fire(repeat, "close_as_repeat")
    repeat = cases.fire(repeat, "refuse_repeat")
    assert repeat.state == "not_reaccepted"
    notice = session.execute(select(Notice).where(Notice.case_id == repeat.id,
                                                  Notice.kind == "non_reacceptance")).scalar_one()
    assert original.case_no in notice.body and "不再受理" in notice.body


def _snapshot(session, case_id):
    session.expire_all()
    case = session.get(Case, case_id)
    return (case.state, case.version_id,
            session.scalar(select(func.count()).select_from(AuditEntry)),
            session.scalar(select(func.count()).select_from(Notice)))


SCOPED_ROLES = ("reception", "county_supervisor", "handler", "unit_leader", "city_supervisor")
BEFORE_UNIT = ("registered", "triaged", "simple_handling")  # no unit of the county's handlers yet
WRONG_ROLE = [(t, s, d, r) for t, s, d in ALL if t not in REPEAT_TRIGGERS
              for r in SCOPED_ROLES if r not in SPEC.triggers[t].roles
              and not (s in BEFORE_UNIT and r in ("handler", "unit_leader"))]


@pytest.mark.parametrize(("trigger", "source", "dest", "role"), WRONG_ROLE,
                         ids=[f"{t}:{s}:{r}" for t, s, _, r in WRONG_ROLE])
def test_a_trigger_fired_by_a_role_not_allowed_is_refused_and_changes_nothing(
    cases, session, trigger, source, dest, role
):
    classification, gap = _special(trigger, source, dest)
    case = reach(cases, source, classification)
    before = _snapshot(session, case.id)
    inputs = dict(classification) if trigger == "classify" else None
    with pytest.raises(TransitionNotAllowed, match="只能由"):
        cases.fire(case, trigger, inputs, role=role, when=days_after(case.updated_at, gap))
    assert _snapshot(session, case.id) == before


WRONG_STATE = sorted({t for t, _, _ in ALL} - {t for t, s, _ in ALL if s == "registered"})


@pytest.mark.parametrize("trigger", WRONG_STATE)
def test_a_trigger_fired_in_the_wrong_state_names_the_current_state(cases, session, trigger):
    case = cases.register()
    before = _snapshot(session, case.id)
    role = step_role(trigger)
    if role in ("handler", "unit_leader"):  # units see only what is transferred to them:
        with pytest.raises(NotFoundError):  # for them it does not exist yet
            cases.fire(case, trigger, role=role)
    else:
        with pytest.raises(TransitionNotAllowed, match="当前状态为“已登记”"):
            cases.fire(case, trigger, role=role)
    assert _snapshot(session, case.id) == before


MISSING = [(t, s, d) for t, s, d in ALL if t not in REPEAT_TRIGGERS
           and any(i.required for i in SPEC.triggers[t].inputs)]


@pytest.mark.parametrize(("trigger", "source", "dest"), MISSING,
                         ids=[f"{t}:{s}" for t, s, _ in MISSING])
def test_a_trigger_missing_a_required_input_is_refused_naming_the_field(
    cases, session, trigger, source, dest
):
    classification, gap = _special(trigger, source, dest)
    case = reach(cases, source, classification)
    before = _snapshot(session, case.id)
    with pytest.raises(ValidationError) as err:
        cases.fire(case, trigger, {}, when=days_after(case.updated_at, gap))
    required = {i.name for i in SPEC.triggers[trigger].inputs if i.required}
    assert required <= set(err.value.fields)
    # a text asks to be filled in (请填写), a choice to be chosen (请选择)
    assert all("请填写" in err.value.fields[name] or "请选择" in err.value.fields[name]
               for name in required)
    assert _snapshot(session, case.id) == before


OTHER_COUNTY = sorted({t for t, _, _ in ALL})


@pytest.mark.parametrize("trigger", OTHER_COUNTY)
def test_staff_of_another_county_cannot_fire_any_trigger_on_a_case(cases, session, trigger):
    case = cases.walk(["classify", "transfer"])
    before = _snapshot(session, case.id)
    role = step_role(trigger)
    if role == "city_supervisor":
        role = "county_supervisor"
    with pytest.raises(NotFoundError, match="未找到该信访事项"):  # as if it did not exist
        cases.fire(case, trigger, {}, role=role, county="jintai")
    assert _snapshot(session, case.id) == before
