"""The workflow engine on the shipped six-step workflow, with plain CaseViews (no database):
what a user is told when an action is refused, which branch an action takes, and the guards."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from transitions.core import MachineError

from petition_flow.domain.engine import WorkflowEngine, mermaid
from petition_flow.domain.guards import CONDITIONS, CaseView, ClockView
from petition_flow.domain.loader import load_workflow_file
from petition_flow.errors import TransitionNotAllowed, ValidationError

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_workflow_file(ROOT / "workflows" / "meixian_six_step.yaml", ROOT / "templates")
TODAY = date(2026, 3, 16)
APPEAL_6 = {"category": "appeal", "route": 6}
DELIVERY = {"delivery_method": "post", "receipt": "signed"}


@pytest.fixture(scope="module")
def engine() -> WorkflowEngine:
    return WorkflowEngine(SPEC)


def view(state: str, **fields) -> CaseView:
    fields.setdefault("tagged", SPEC.trigger_tags())  # as case_view gives it from the spec
    return CaseView(state=state, today=fields.pop("today", TODAY), **fields)


def clock(due: date, *, status: str = "running", extension_days: int = 0,
          max_extension_days: int = 30) -> ClockView:
    return ClockView("办理期限", status, due, extension_days, max_extension_days)


def check(name: str, case: CaseView, arg: str | None = None) -> bool:
    return CONDITIONS[name].check(case, arg)


def invalid_fields(engine, case: CaseView, trigger: str, role: str, raw: dict) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        engine.decide(case, trigger, role, raw)
    return caught.value.fields


# --- refusals a user reads ------------------------------------------------------------------

def test_an_action_not_available_in_the_current_state_is_refused_naming_that_state(engine):
    with pytest.raises(TransitionNotAllowed) as caught:
        engine.decide(view("registered"), "accept", "handler", {})

    assert caught.value.message == "当前状态为“已登记”，不能执行“受理”。"


def test_an_unknown_action_is_refused_in_chinese(engine):
    with pytest.raises(TransitionNotAllowed, match="未知操作“teleport”"):
        engine.decide(view("registered"), "teleport", "reception", {})


def test_an_action_fired_by_the_wrong_role_is_refused_naming_the_roles_that_may_fire_it(engine):
    with pytest.raises(TransitionNotAllowed) as caught:
        engine.decide(view("transferred", **APPEAL_6), "accept", "reception", {})

    assert caught.value.message == "“受理”只能由承办人、单位负责人执行，您的角色为接访员。"


def test_an_action_whose_conditions_all_fail_is_refused_with_the_first_reason(engine):
    with pytest.raises(TransitionNotAllowed) as caught:
        engine.decide(view("transferred", category="appeal", route=3), "accept", "handler", {})

    assert caught.value.message.startswith("不能执行“受理”：")
    assert "第三十一条第（6）项" in caught.value.message


# --- input validation -----------------------------------------------------------------------

def test_a_missing_required_input_is_reported_on_its_field(engine):
    fields = invalid_fields(engine, view("registered"), "classify", "reception", {})

    assert fields == {"category": "请选择“信访事项类别”。"}


def test_a_choice_outside_the_list_is_reported_with_the_allowed_labels(engine):
    fields = invalid_fields(engine, view("registered"), "classify", "reception",
                            {"category": "complaint"})

    assert fields["category"] == "“信访事项类别”应为以下之一：建议意见类、检举控告类、申诉求决类。"


def test_a_date_input_that_is_not_a_date_is_reported_with_the_expected_format(engine):
    fields = invalid_fields(engine, view("replied"), "deliver", "handler",
                            {**DELIVERY, "delivered_on": "下周二"})

    assert set(fields) == {"delivered_on"}
    assert "2026-10-09" in fields["delivered_on"]


def test_a_delivery_date_after_today_is_refused_but_today_is_accepted(engine):
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    fields = invalid_fields(engine, view("replied"), "deliver", "handler",
                            {**DELIVERY, "delivered_on": tomorrow})
    decision = engine.decide(view("replied"), "deliver", "handler",
                             {**DELIVERY, "delivered_on": TODAY.isoformat()})

    assert fields == {"delivered_on": "“送达日期”不能晚于今天。"}
    assert decision.inputs["delivered_on"] == TODAY


@pytest.mark.parametrize("days, problem", [("0", "不能小于1"), ("31", "不能大于30"),
                                           ("ten", "应为整数")])
def test_an_extension_of_a_number_of_days_outside_one_to_thirty_is_refused(engine, days, problem):
    case = view("under_handling", **APPEAL_6, clocks={"handling": clock(TODAY)})
    fields = invalid_fields(engine, case, "request_extension", "handler",
                            {"days": days, "reason": "案情复杂"})

    assert set(fields) == {"days"}
    assert problem in fields["days"]


def test_a_field_the_action_does_not_take_is_reported_on_that_field(engine):
    fields = invalid_fields(engine, view("registered"), "classify", "reception",
                            {"category": "suggestion", "priority": "high"})

    assert fields == {"priority": "“研判分类”不接受字段“priority”。"}


def test_the_route_is_required_only_when_the_matter_is_an_appeal(engine):
    fields = invalid_fields(engine, view("registered"), "classify", "reception",
                            {"category": "appeal"})
    decision = engine.decide(view("registered"), "classify", "reception",
                             {"category": "suggestion"})

    assert fields == {"route": "请选择“申诉求决类处理途径”。"}
    assert decision.inputs == {"category": "suggestion", "litigation_related": False,
                               "simple": False, "major_urgent": False}


# --- which branch fires ---------------------------------------------------------------------

@pytest.mark.parametrize("classification, dest", [
    (APPEAL_6, "under_handling"),
    ({"category": "suggestion"}, "under_study"),
    ({"category": "accusation"}, "under_investigation"),
])
def test_accepting_a_matter_takes_the_first_branch_whose_conditions_hold(
    engine, classification, dest
):
    case = view("transferred", **classification)

    decision = engine.decide(case, "accept", "handler", {})

    assert decision.transition.dest == dest
    assert engine.fire(case, decision) == dest
    assert case.state == dest


def test_firing_moves_the_case_and_leaves_the_shared_machine_without_models(engine):
    case = view("transferred", **APPEAL_6)

    engine.fire(case, engine.decide(case, "accept", "handler", {}))

    assert case.state == "under_handling"
    assert engine.machine.models == []


def test_a_condition_that_changed_before_firing_is_refused_and_no_model_stays_attached(engine):
    case = view("transferred", **APPEAL_6)
    decision = engine.decide(case, "accept", "handler", {})
    case.route = 3  # someone reclassified the matter in between

    with pytest.raises(TransitionNotAllowed, match="条件在执行时发生变化"):
        engine.fire(case, decision)

    assert case.state == "transferred"
    assert engine.machine.models == []


def test_firing_a_decision_made_for_another_state_fails_and_no_model_stays_attached(engine):
    decision = engine.decide(view("transferred", **APPEAL_6), "accept", "handler", {})
    case = view("registered", **APPEAL_6)

    with pytest.raises(MachineError):
        engine.fire(case, decision)

    assert case.state == "registered"
    assert engine.machine.models == []


def test_the_same_case_can_be_fired_twice_through_the_shared_machine(engine):
    case = view("transferred", **APPEAL_6)
    engine.fire(case, engine.decide(case, "accept", "handler", {}))

    engine.fire(case, engine.decide(case, "start_hearing", "handler",
                                    {"hearing_on": TODAY.isoformat()}))

    assert case.state == "hearing"
    assert engine.machine.models == []


# --- what a role may do now -----------------------------------------------------------------

def names(triggers) -> list[str]:
    return [t.name for t in triggers]


def test_a_new_registration_offers_reception_only_classification(engine):
    case = view("registered")

    assert names(engine.available(case, "reception")) == ["classify"]
    assert names(engine.available(case, "handler")) == []


def test_a_registration_linked_to_an_open_case_offers_only_closing_it_as_a_repeat(engine):
    case = view("registered", repeat_of_state="under_handling", repeat_of_pending=True)

    assert names(engine.available(case, "reception")) == ["close_as_repeat"]


def test_a_registration_linked_to_a_case_no_longer_pending_is_triaged_as_new(engine):
    # Art. 19 ¶3: the earlier case was not accepted, answered or is past its period.
    case = view("registered", repeat_of_state="not_accepted", repeat_of_pending=False)

    assert names(engine.available(case, "reception")) == ["classify"]


def test_a_triaged_appeal_for_the_petition_procedure_offers_reclassify_transfer_and_assign(engine):
    case = view("triaged", **APPEAL_6)

    assert names(engine.available(case, "reception")) == ["classify", "transfer", "assign"]


def test_a_triaged_litigation_matter_offers_only_reclassification_and_diversion(engine):
    case = view("triaged", **APPEAL_6, litigation_related=True)

    assert names(engine.available(case, "reception")) == ["classify", "divert_politico_legal"]


def test_a_handler_within_the_handling_period_is_offered_an_extension(engine):
    case = view("under_handling", **APPEAL_6, clocks={"handling": clock(TODAY + timedelta(10))})

    assert "request_extension" in names(engine.available(case, "handler"))
    assert "request_extension" not in names(engine.available(case, "unit_leader"))


# Regression: available() once offered request_extension whatever its other conditions said,
# because extension_within_cap (which needs the form's input) made it skip them all.
@pytest.mark.parametrize("handling", [
    pytest.param(clock(TODAY - timedelta(days=1)), id="period-over"),
    pytest.param(clock(TODAY + timedelta(days=10), extension_days=30), id="already-extended"),
])
def test_a_handler_is_not_offered_an_extension_that_would_be_refused(engine, handling):
    case = view("under_handling", **APPEAL_6, clocks={"handling": handling})

    assert "request_extension" not in names(engine.available(case, "handler"))


# --- the diagram ----------------------------------------------------------------------------

def test_the_mermaid_diagram_shows_every_state_grouped_by_step_from_the_initial_state():
    text = mermaid(SPEC)

    assert text.startswith("stateDiagram-v2\n")
    assert "    [*] --> registered\n" in text
    for step in SPEC.steps:  # in Chinese: 第1步 登记受理 … and 复查复核 (never its key)
        title = f"第{step.key}步 {step.label}" if step.key.isdigit() else step.label
        assert f'state "{title}" as step_{step.key} {{' in text
    assert '"review' not in text
    for state in SPEC.states.values():
        assert f"        {state.name}: {state.label}\n" in text
    assert "    transferred --> under_handling: 受理\n" in text
    assert "    final --> [*]\n" in text


# --- guards ---------------------------------------------------------------------------------

def test_a_clock_is_within_its_period_up_to_and_including_the_due_date():
    due = date(2026, 5, 6)
    on_due = view("under_handling", today=due, clocks={"handling": clock(due)})
    day_after = view("under_handling", today=due + timedelta(1), clocks={"handling": clock(due)})

    assert check("within", on_due, "handling") and not check("expired", on_due, "handling")
    assert check("expired", day_after, "handling") and not check("within", day_after, "handling")
    assert CONDITIONS["within"].message(day_after, "handling") == \
        "已超过办理期限（截止日期2026-05-06）。"


def test_a_stopped_or_missing_clock_is_not_within_its_period():
    stopped = view("concluded", clocks={"handling": clock(TODAY, status="stopped")})
    missing = view("concluded")

    assert not check("within", stopped, "handling")
    assert not check("within", missing, "handling")
    assert not check("expired", missing, "handling")
    assert CONDITIONS["within"].message(missing, "handling") == "handling未在计算中。"


def test_only_a_clock_never_extended_may_be_extended():
    fresh = view("under_handling", clocks={"handling": clock(TODAY)})
    extended = view("under_handling", clocks={"handling": clock(TODAY, extension_days=15)})

    assert check("not_extended", fresh, "handling")
    assert not check("not_extended", extended, "handling")
    assert not check("not_extended", view("under_handling"), "handling")


@pytest.mark.parametrize("already, requested, allowed", [
    (0, 30, True), (0, 31, False), (10, 20, True), (10, 21, False), (0, None, True),
])
def test_an_extension_may_not_take_the_clock_past_its_cap(already, requested, allowed):
    case = view("under_handling", clocks={"handling": clock(TODAY, extension_days=already)},
                inputs={} if requested is None else {"days": requested})

    assert check("extension_within_cap", case, "handling") is allowed


@pytest.mark.parametrize("data, allowed", [
    ({}, True),
    ({"evaluate": {"rating": "satisfied"}}, True),
    ({"evaluate": {"rating": "basically_satisfied"}}, True),
    ({"evaluate": {"rating": "dissatisfied"}}, False),
    ({"evaluate": {"rating": "dissatisfied"}, "follow_up": {"record": "已电话回访"}}, True),
])
def test_a_dissatisfied_petitioner_must_be_followed_up_before_closing(data, allowed):
    assert check("followed_up_if_dissatisfied", view("evaluated", data=data)) is allowed


def test_closing_after_a_dissatisfied_evaluation_without_follow_up_is_refused_with_the_reason(
    engine
):
    case = view("evaluated", **APPEAL_6, data={"evaluate": {"rating": "dissatisfied"}})

    with pytest.raises(TransitionNotAllowed) as caught:
        engine.decide(case, "close", "handler", {})

    assert caught.value.message == "不能执行“办结”：信访人评价为不满意，须先回访后才能办结。"


def test_a_datetime_given_for_a_date_input_is_taken_as_its_date():
    from datetime import date, datetime

    from petition_flow.domain.engine import validate_inputs

    clean = validate_inputs(SPEC.triggers["deliver"],
                            {"delivery_method": "post", "receipt": "signed",
                             "delivered_on": datetime(2026, 3, 2, 10)}, date(2026, 3, 3))
    assert clean["delivered_on"] == date(2026, 3, 2)
