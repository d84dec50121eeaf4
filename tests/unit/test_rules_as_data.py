"""Rules as data, once: the workflow's state, trigger and clock ids live in workflows/*.yaml
and nowhere in code. Code asks the loaded spec by flag, clock tag or trigger tag instead.

The check reads every string constant of petition_flow/ (ast, so comments and docstrings'
prose are not strings it sees, but a docstring that is exactly an id would be). The loader
and the spec define the vocabulary and are left out; so are the frozen migrations. A few
strings coincide with an id while naming something else; each is listed with what it is.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from petition_flow.devtools.demo import load_demo_script
from petition_flow.domain.loader import load_workflow_file, load_workflow_text
from petition_flow.errors import WorkflowError

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "petition_flow"
WORKFLOWS = sorted((ROOT / "workflows").glob("*.yaml"))
SPECS = [load_workflow_file(p, ROOT / "templates") for p in WORKFLOWS]

# The modules that define the vocabulary (read the YAML), and history that must not change.
EXEMPT = ("domain/loader.py", "domain/spec.py", "migrations/")

# (module, string): what the string names instead. Nothing here is a state, trigger or clock.
OTHER_NAMESPACES = {
    ("domain/statutory.py", "*"): "the code-owned statutory table: workflow clocks cite its "
                                  "keys (`statutory: routing`), and 'hearing'/'objection' "
                                  "name what Art. 36/23 exclude from a period",
    ("api/validation.py", "object"): "the JSON Schema type name",
    ("api/openapi.py", "object"): "the JSON Schema type name (the description's own answer)",
    ("cli.py", "deliver"): "the `petition-flow deliver` command (sends e-mail and webhooks)",
    ("scheduler.py", "deliver"): "the scheduler job that sends e-mail and webhooks",
    ("services/actions.py", "transferred"): "the reason code of the responsible_unit_changed "
                                            "audit entry, kept as stored in the log",
    ("services/digest.py", "replied"): "a 督办单 status",
    ("services/actions.py", "replied"): "a 督办单 status",
    ("services/oversight.py", "replied"): "a 督办单 status",
    ("services/supervision.py", "replied"): "a 督办单 status",
    ("services/supervision.py", "reply"): "the 督办单 field checked by the reply form",
    ("web/orders/views.py", "reply"): "the 督办单 reply action of the orders page",
    ("web/orders/views.py", "close"): "the 督办单 close action of the orders page",
    ("web/handling/blueprint.py", "handling"): "the Flask blueprint name",
    ("domain/labels.py", "transferred"): "a coded reason an audit entry gives for a new "
                                         "responsible unit, labelled for the history",
    ("domain/labels.py", "request_review"): "the kind of a petitioner's online request, "
                                            "labelled for the history",
    ("domain/labels.py", "request_recheck"): "the kind of a petitioner's online request, "
                                             "labelled for the history",
    ("services/statistics.py", "registered"): "a published figure key (?stat=, the API)",
    ("services/statistics.py", "not_accepted"): "a published figure key",
    ("services/statistics.py", "concluded"): "a published figure key",
    ("services/statistics.py", "evaluated"): "a published figure key",
    ("services/queries.py", "registered"): "the figure key a period filter lists by",
    ("web/supervision/stats.py", "registered"): "a published figure key",
    ("web/supervision/stats.py", "concluded"): "a published figure key",
}


def _ids() -> dict[str, str]:
    out = {}
    for spec in SPECS:
        for kind, names in (("state", spec.states), ("trigger", spec.triggers),
                            ("clock", spec.clocks)):
            for name in names:
                out.setdefault(name, f"{kind} of {spec.source}")
    return out


def _literals(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def _allowed(module: str, text: str) -> bool:
    return (module, text) in OTHER_NAMESPACES or (module, "*") in OTHER_NAMESPACES


def test_no_state_trigger_or_clock_id_of_the_workflows_is_spelled_in_code():
    ids = _ids()
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module.startswith(EXEMPT):
            continue
        for line, text in _literals(path):
            if text in ids and not _allowed(module, text):
                found.append(f"petition_flow/{module}:{line}: {text!r} ({ids[text]})")
    assert not found, "ask the loaded spec instead (flags, measures, tags):\n" + "\n".join(found)


def test_every_exception_names_a_string_the_module_still_holds():
    """A stale entry would hide a real id later: each must still match a constant."""
    for (module, text), _what in OTHER_NAMESPACES.items():
        constants = {t for _, t in _literals(PACKAGE / module)}
        assert text == "*" or text in constants, (module, text)


def test_the_check_sees_an_id_written_in_code(tmp_path):
    source = 'STATE = "concluded"\nTRIGGERS = ("transfer", "assign")\n'
    path = tmp_path / "sample.py"
    path.write_text(source, encoding="utf-8")
    assert {t for _, t in _literals(path)} & set(_ids()) == {"concluded", "transfer", "assign"}


def test_the_flags_tags_and_case_fields_say_what_the_code_used_to_spell():
    spec = next(s for s in SPECS if s.name == "meixian_six_step")
    assert spec.states["concluded"].closes_case and spec.states["final"].closes_case
    assert not spec.states["evaluated"].closes_case
    assert set(spec.states_where("answered")) == {"evaluation_open", "evaluated", "concluded",
                                                   "review_decided"}
    assert spec.states_where("refusal") == ("not_accepted",)
    assert spec.states_measured("handling_time") == {
        "under_handling", "hearing", "mediation", "extension_requested", "simple_handling"}
    assert {c.id for c in spec.clocks_measuring("handling_time")} == {"handling",
                                                                       "simple_handling"}
    assert dict(spec.triggers["classify"].case_fields) == {
        "category": "category", "route": "route", "litigation_related": "litigation_related",
        "simple": "simple", "major_urgent": "major_urgent"}
    assert spec.tagged("opinion") == ("reply", "reply_simple")
    assert spec.register_notices == ("receipt_route", "rights_duties")
    approval = spec.extension_approval()
    assert (approval.state, approval.request, approval.approve, approval.refuse) == (
        "extension_requested", "request_extension", "approve_extension", ("refuse_extension",))
    assert spec.notices["objection"].internal and not spec.notices["transfer"].internal


def _shipped_text() -> str:
    return (ROOT / "workflows" / "meixian_six_step.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "message"), [
    ("concluded:                 {label: 已办结, step: \"6\", answered: true, closes_case: true}",
     "concluded:                 {label: 已办结, step: \"6\", answered: true, closes_case: yes_please}",
     "states.concluded.closes_case: 应为 true 或 false"),
    ("    measures: handling_time\n", "    measures: speed\n", "measures: 只能是 handling_time"),
    ("    tags: [delivery]\n", "    tags: [deliveries]\n", "未知标记“deliveries”"),
    ("case_fields: {category: category,", "case_fields: {category: colour,",
     "triggers.classify.case_fields.category: 事项字段只能是"),
    ("case_fields: {category: category,", "case_fields: {kategory: category,",
     "triggers.classify.case_fields.kategory: 未知输入"),
    ("    tags: [evaluation]\n", "    tags: [delivery]\n", "标记“delivery”只能用于一个触发器"),
])
def test_workflow_check_refuses_a_wrong_flag_tag_or_case_field(old, new, message):
    text = _shipped_text()
    assert old in text
    with pytest.raises(WorkflowError) as refused:
        load_workflow_text(text.replace(old, new, 1), "meixian_six_step.yaml",
                           ROOT / "templates")
    assert message in str(refused.value)


def test_the_demo_script_names_only_states_triggers_and_inputs_of_its_workflow():
    for path in sorted((ROOT / "workflows" / "demo").glob("*.yaml")):
        script = load_demo_script(path)
        spec = next(s for s in SPECS if s.name == script["workflow"])
        for scenario in script["scenarios"]:
            assert scenario["state"] in spec.states, scenario
            assert set(scenario["steps"]) <= set(spec.triggers), scenario
            assert scenario.get("classification", "appeal6") in script["classifications"]
        for repeat in script["repeats"]:
            assert set(repeat["steps"]) | {repeat["then"]} <= set(spec.triggers), repeat
        assert set(script["gaps"]) <= set(spec.triggers)
        classify = spec.tagged_one("classifies")
        for trigger, inputs in script["inputs"].items():
            assert trigger in spec.triggers, trigger
            names = {i.name for i in spec.triggers[trigger].inputs}
            assert (inputs == "classification" and trigger == classify) or set(inputs) <= names, \
                (trigger, inputs)
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["workflow"] == spec.name
