"""The workflow loader: the shipped file loads, and every broken variant is refused with a
message that names the file and the exact key, so a county editing YAML knows what to fix."""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from petition_flow.domain.loader import load_workflow_file, load_workflow_text
from petition_flow.errors import WorkflowError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "workflows" / "meixian_six_step.yaml"
TEMPLATES = ROOT / "templates"
SIX_STEPS = ("登记受理", "研判分流", "交办转送", "调查处理", "答复告知", "回访评价")

# Speed: the pure-Python parser behind yaml.safe_load takes ~70 ms for this file, and there are
# ~45 broken variants. LibYAML builds the same document with the same safe constructor in ~10 ms.
# The variants are dumped and parsed with it; the shipped-file and YAML-syntax tests still go
# through the pure-Python yaml.safe_load that the loader calls.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FAST_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
SHIPPED_DOC = yaml.load(SHIPPED.read_text(encoding="utf-8"), Loader=_FAST_LOADER)


@pytest.fixture
def doc(monkeypatch) -> dict[str, Any]:
    """A fresh, mutable copy of the shipped workflow (parsed fast while the test runs)."""
    monkeypatch.setattr(yaml, "safe_load", functools.partial(yaml.load, Loader=_FAST_LOADER))
    return copy.deepcopy(SHIPPED_DOC)


def dump(doc: dict[str, Any]) -> str:
    """What ``yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)`` writes, only faster."""
    return yaml.dump(doc, Dumper=_FAST_DUMPER, allow_unicode=True, sort_keys=False)


def refusal(doc: dict[str, Any], templates_dir: Path | None = None) -> str:
    with pytest.raises(WorkflowError) as caught:
        load_workflow_text(dump(doc), "broken.yaml", templates_dir)
    return str(caught.value)


def assert_refused_at(doc: dict[str, Any], key: str, templates_dir: Path | None = None) -> str:
    """The load fails and one line of the message is ``broken.yaml: <key>: <reason>``."""
    message = refusal(doc, templates_dir)
    assert "broken.yaml" in message
    lines = message.splitlines()
    assert any(line.startswith(f"broken.yaml: {key}: ") for line in lines), message
    return message


def transition(doc: dict[str, Any], trigger: str, source: str) -> tuple[int, dict[str, Any]]:
    """Index and body of the transition for ``trigger`` out of ``source``."""
    for i, t in enumerate(doc["transitions"]):
        if t["trigger"] == trigger and t["source"] == source:
            return i, t
    raise LookupError(f"{trigger} from {source}")


# --- the shipped workflow ------------------------------------------------------------------

def test_the_shipped_six_step_workflow_loads_with_its_notice_templates_checked():
    spec = load_workflow_file(SHIPPED, TEMPLATES)

    assert spec.name == "meixian_six_step"
    assert spec.source == "meixian_six_step.yaml"
    assert re.fullmatch(r"[0-9a-f]{12}", spec.version)
    assert spec.initial == "registered"
    assert len(spec.steps) == 7
    assert tuple(step.label for step in spec.steps[:6]) == SIX_STEPS
    step_keys = {step.key for step in spec.steps}
    assert all(state.step in step_keys for state in spec.states.values())
    assert all((TEMPLATES / notice.template).is_file() for notice in spec.notices.values())


def test_the_shipped_workflow_survives_a_yaml_round_trip_so_each_refusal_below_is_the_mutation(
    doc
):
    text = dump(doc)
    assert text == yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)

    spec = load_workflow_text(text, "broken.yaml", TEMPLATES)

    assert doc == SHIPPED_DOC == yaml.safe_load(text)
    assert list(spec.states) == list(doc["states"])
    assert len(spec.transitions) == len(doc["transitions"])


# --- one test per rejection rule -----------------------------------------------------------

def test_an_unknown_top_level_key_is_rejected_naming_the_file_and_key(doc):
    doc["deadline_rules"] = {"handling": 60}

    assert_refused_at(doc, "deadline_rules")


def test_a_transition_from_an_unknown_state_is_rejected_naming_the_file_and_key(doc):
    i, t = transition(doc, "deliver", "replied")
    t["source"] = "awaiting_delivery"

    assert_refused_at(doc, f"transitions[{i}].source")


def test_a_transition_to_an_unknown_state_is_rejected_naming_the_file_and_key(doc):
    i, t = transition(doc, "deliver", "replied")
    t["dest"] = "delivered"

    assert_refused_at(doc, f"transitions[{i}].dest")


def test_a_transition_with_an_unknown_trigger_is_rejected_naming_the_file_and_key(doc):
    i, t = transition(doc, "reply", "under_study")
    t["trigger"] = "answer"

    assert_refused_at(doc, f"transitions[{i}].trigger")


def test_an_unknown_condition_name_is_rejected_naming_the_file_and_key(doc):
    i, t = transition(doc, "classify", "registered")
    t["conditions"] = ["is_vip"]

    assert_refused_at(doc, f"transitions[{i}].conditions[0]")


def test_a_condition_naming_an_unknown_clock_is_rejected_naming_the_file_and_key(doc):
    i, t = transition(doc, "object", "transferred")
    t["conditions"] = ["within:objektion"]

    message = assert_refused_at(doc, f"transitions[{i}].conditions[0]")
    assert "objektion" in message


def test_a_condition_given_an_argument_it_does_not_take_is_rejected_naming_the_file_and_key(doc):
    i, t = transition(doc, "classify", "registered")
    t["conditions"] = ["not_repeat:yes"]

    assert_refused_at(doc, f"transitions[{i}].conditions[0]")


def test_an_unknown_action_is_rejected_naming_the_file_and_key(doc):
    i, t = transition(doc, "accept", "transferred")
    t["actions"] = ["record_first_handler", "send_sms"]

    message = assert_refused_at(doc, f"transitions[{i}].actions[1]")
    assert "send_sms" in message


def test_an_unknown_role_in_a_trigger_is_rejected_naming_the_file_and_key(doc):
    doc["triggers"]["accept"]["roles"] = ["handler", "mayor"]

    message = assert_refused_at(doc, "triggers.accept.roles")
    assert "mayor" in message


def test_the_security_auditor_may_not_be_given_a_trigger_since_it_handles_no_case(doc):
    doc["triggers"]["accept"]["roles"] = ["handler", "auditor"]
    message = assert_refused_at(doc, "triggers.accept.roles")
    assert "auditor" in message


def test_a_trigger_that_no_role_may_fire_is_rejected_naming_the_file_and_key(doc):
    doc["triggers"]["accept"]["roles"] = []

    assert_refused_at(doc, "triggers.accept.roles")


def test_an_unknown_input_type_is_rejected_naming_the_file_and_key(doc):
    doc["triggers"]["reply"]["inputs"]["opinion"]["type"] = "richtext"

    assert_refused_at(doc, "triggers.reply.inputs.opinion.type")


def test_a_choice_input_without_choices_is_rejected_naming_the_file_and_key(doc):
    del doc["triggers"]["reply"]["inputs"]["outcome"]["choices"]

    assert_refused_at(doc, "triggers.reply.inputs.outcome.choices")


def test_required_if_naming_an_unknown_input_is_rejected_naming_the_file_and_key(doc):
    doc["triggers"]["classify"]["inputs"]["route"]["required_if"] = {"kind": "appeal"}

    message = assert_refused_at(doc, "triggers.classify.inputs.route.required_if")
    assert "kind" in message


def test_a_transition_starting_an_unknown_clock_is_rejected_naming_the_file_and_key(doc):
    i, t = transition(doc, "accept", "transferred")
    t["start"] = [{"clock": "handlng"}]

    assert_refused_at(doc, f"transitions[{i}].start[0]")


@pytest.mark.parametrize("origin", [
    pytest.param("yesterday", id="not-a-known-origin"),
    pytest.param("served_on", id="date-input-of-another-trigger"),
    pytest.param("receipt", id="non-date-input-of-this-trigger"),
])
def test_a_clock_start_from_something_other_than_event_received_or_a_date_input_is_rejected(
    doc, origin
):
    i, t = transition(doc, "deliver", "replied")
    t["start"] = [{"clock": "review_request", "from": origin}]

    assert_refused_at(doc, f"transitions[{i}].start[0].from")


def test_a_transition_issuing_an_unknown_notice_is_rejected_naming_the_file_and_key(doc):
    i, t = transition(doc, "accept", "transferred")
    t["notices"] = ["acceptance", "three_promises"]

    message = assert_refused_at(doc, f"transitions[{i}].notices")
    assert "three_promises" in message


def test_a_notice_whose_template_file_is_missing_is_rejected_naming_the_file_and_key(doc):
    doc["notices"]["extension"]["template"] = "notices/extension_v2.txt"

    message = assert_refused_at(doc, "notices.extension.template", TEMPLATES)
    assert "notices/extension_v2.txt" in message


def test_a_clock_looser_than_its_statutory_period_is_rejected_naming_the_file_and_key(doc):
    doc["clocks"]["handling"]["days"] = 90

    assert_refused_at(doc, "clocks.handling.days")


def test_a_clock_without_its_statutory_reference_is_rejected_naming_the_file_and_key(doc):
    del doc["clocks"]["objection"]["statutory"]

    assert_refused_at(doc, "clocks.objection.statutory")


def test_a_clock_paused_in_a_state_where_it_does_not_run_is_rejected_naming_the_file_and_key(doc):
    doc["clocks"]["recheck_decision"]["paused_in"] = ["recheck_hearing", "review_requested"]

    assert_refused_at(doc, "clocks.recheck_decision.paused_in")


def test_a_local_limit_looser_than_the_statutory_one_is_rejected_naming_the_file_and_key(doc):
    doc["local_limits"]["meixian"]["handling"]["days"] = 90

    assert_refused_at(doc, "local_limits.meixian.handling.days")


def test_a_local_limit_without_its_local_basis_is_rejected_naming_the_file_and_key(doc):
    del doc["local_limits"]["meixian"]["handling"]["basis"]

    assert_refused_at(doc, "local_limits.meixian.handling.basis")


def test_extending_a_clock_that_allows_no_extension_is_rejected_naming_the_file_and_key(doc):
    i, t = transition(doc, "approve_extension", "extension_requested")
    t["extend"]["clock"] = "review_decision"

    assert_refused_at(doc, f"transitions[{i}].extend.clock")


@pytest.mark.parametrize("days_from", [
    pytest.param("request_extension.weeks", id="unknown-input"),
    pytest.param("ask_for_time.days", id="unknown-trigger"),
])
def test_extending_by_days_from_an_unknown_input_is_rejected_naming_the_file_and_key(
    doc, days_from
):
    i, t = transition(doc, "approve_extension", "extension_requested")
    t["extend"]["days_from"] = days_from

    assert_refused_at(doc, f"transitions[{i}].extend.days_from")


def test_a_trigger_that_no_transition_uses_is_rejected_naming_the_file_and_key(doc):
    doc["triggers"]["escalate"] = {"label": "提级督办", "roles": ["city_supervisor"], "inputs": {}}

    assert_refused_at(doc, "triggers.escalate")


def test_a_state_unreachable_from_the_initial_state_is_rejected_naming_the_file_and_key(doc):
    doc["states"]["archived"] = {"label": "已归档", "step": "6", "final": True}

    assert_refused_at(doc, "states.archived")


def test_a_non_final_state_with_no_way_out_is_rejected_as_a_dead_end(doc):
    doc["states"]["awaiting_documents"] = {"label": "待补充材料", "step": "4"}
    doc["transitions"].append(
        {"trigger": "mediate", "source": "under_study", "dest": "awaiting_documents"}
    )

    message = assert_refused_at(doc, "states.awaiting_documents")
    assert "死胡同" in message


def test_a_final_state_with_an_outgoing_transition_is_rejected_naming_the_file_and_key(doc):
    doc["transitions"].append(
        {"trigger": "request_review", "source": "not_accepted", "dest": "review_requested"}
    )

    message = assert_refused_at(doc, "states.not_accepted")
    assert "终态" in message


def test_an_unknown_warning_level_is_rejected_naming_the_file_and_key(doc):
    doc["warning_levels"]["orange"] = {"label": "橙色预警", "notify": ["handler"]}

    assert_refused_at(doc, "warning_levels.orange")


@pytest.mark.parametrize("fraction", [0, 1, "a third"])
def test_a_blue_warning_with_a_remaining_fraction_outside_zero_to_one_is_rejected(doc, fraction):
    doc["warning_levels"]["blue"]["remaining_fraction"] = fraction

    assert_refused_at(doc, "warning_levels.blue.remaining_fraction")


@pytest.mark.parametrize("workdays", [0, 2.5, None])
def test_a_yellow_warning_without_a_positive_whole_number_of_workdays_is_rejected(doc, workdays):
    doc["warning_levels"]["yellow"]["workdays_left"] = workdays

    assert_refused_at(doc, "warning_levels.yellow.workdays_left")


@pytest.mark.parametrize("role", ["mayor", "petitioner"])
def test_a_warning_that_notifies_an_unknown_role_is_rejected_naming_the_file_and_key(doc, role):
    doc["warning_levels"]["red"]["notify"].append(role)

    message = assert_refused_at(doc, "warning_levels.red.notify")
    assert role in message


def test_invalid_yaml_syntax_is_rejected_naming_the_file_and_the_line():
    text = "name: broken\ntitle: 眉县\ninitial: registered\nsteps: [{key: \"1\", label: 登记受理\n"

    with pytest.raises(WorkflowError) as caught:
        load_workflow_text(text, "broken.yaml")

    message = str(caught.value)
    assert message.startswith("broken.yaml: ")
    assert "YAML" in message
    assert re.search(r"line \d+", message), message


def test_a_file_that_is_not_a_mapping_is_rejected_naming_the_file():
    with pytest.raises(WorkflowError, match=r"^broken\.yaml: "):
        load_workflow_text("- registered\n- triaged\n", "broken.yaml")


# --- many errors at once -------------------------------------------------------------------

def test_several_errors_in_one_file_are_all_reported_one_per_line(doc):
    doc["deadline_rules"] = {}
    doc["clocks"]["objection"]["article"] = "信访工作条例第二十三条"
    i, t = transition(doc, "accept", "transferred")
    t["actions"] = ["send_sms"]

    lines = refusal(doc).splitlines()

    assert lines == [
        "broken.yaml: deadline_rules: 未知的键。",
        "broken.yaml: clocks.objection.article: 条款、天数上限、单位、延长上限和是否为机关职责由代码中的"
        "法定期限表规定，工作流文件只能用 statutory 引用，不得重新定义。",
        f"broken.yaml: transitions[{i}].actions[0]: 未知动作“send_sms”。",
    ]


# --- malformed entries are refused, never crash the loader -------------------------------

def test_a_clock_start_that_is_not_a_mapping_is_refused_not_a_crash(doc):
    i, t = transition(doc, "accept", "transferred")
    t["start"] = ["handling"]
    assert_refused_at(doc, f"transitions[{i}].start[0]")


def test_an_extend_that_is_not_a_mapping_is_refused_not_a_crash(doc):
    i, t = transition(doc, "approve_extension", "extension_requested")
    t["extend"] = "handling"
    assert_refused_at(doc, f"transitions[{i}].extend")


def test_local_limits_that_are_not_a_mapping_are_refused_not_a_crash(doc):
    doc["local_limits"]["meixian"] = ["handling"]
    assert_refused_at(doc, "local_limits.meixian")


def test_a_key_given_twice_is_refused_naming_the_line():
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "triggers:\n", "triggers:\n  finalize:\n    label: 重复\n    roles: [reception]\n", 1)
    with pytest.raises(WorkflowError) as caught:
        load_workflow_text(text, "broken.yaml")
    assert "broken.yaml" in str(caught.value) and "重复出现" in str(caught.value)


def test_an_unknown_paused_in_state_is_reported_under_paused_in(doc):
    doc["clocks"]["recheck_decision"]["paused_in"] = ["recheck_hearin"]
    assert_refused_at(doc, "clocks.recheck_decision.paused_in")


@pytest.mark.parametrize("where", ["clock_days", "workdays_left"])
def test_true_is_not_accepted_as_a_number_of_days(doc, where):
    if where == "clock_days":
        doc["clocks"]["handling"]["days"] = True
        assert_refused_at(doc, "clocks.handling.days")
    else:
        doc["warning_levels"]["yellow"]["workdays_left"] = True
        assert_refused_at(doc, "warning_levels.yellow.workdays_left")


def test_a_county_may_not_shorten_a_petitioners_review_request_window(doc):
    doc["local_limits"]["meixian"]["review_request"] = {"days": 5, "basis": "x"}
    message = assert_refused_at(doc, "local_limits.meixian.review_request")
    assert "不得缩短" in message
