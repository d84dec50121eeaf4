"""Statutory ceilings are code-owned: a workflow file may reference them, never loosen them."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from petition_flow.domain.loader import load_workflow_text
from petition_flow.domain.statutory import LIMITS
from petition_flow.errors import WorkflowError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "workflows" / "meixian_six_step.yaml"
DOC = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def _refusal(mutate) -> str:
    doc = copy.deepcopy(DOC)
    mutate(doc)
    with pytest.raises(WorkflowError) as caught:
        load_workflow_text(yaml.safe_dump(doc, allow_unicode=True), "loose.yaml")
    return str(caught.value)


def _set(path: str, value):
    def mutate(doc):
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return mutate


LOOSENINGS = [
    pytest.param(_set("clocks.handling.statutory_days", 90), "clocks.handling.statutory_days",
                 id="statutory_days-90"),
    pytest.param(lambda d: (_set("clocks.handling.statutory_days", 90)(d),
                            _set("clocks.handling.days", 90)(d)), "clocks.handling.days",
                 id="statutory_days-90-and-days-90"),
    pytest.param(_set("clocks.handling.max_extension_days", 45),
                 "clocks.handling.max_extension_days", id="extension-cap-45"),
    pytest.param(_set("clocks.handling.days", 61), "clocks.handling.days", id="days-61"),
    pytest.param(_set("clocks.handling.days", "90"), "clocks.handling.days", id="days-as-text"),
    pytest.param(_set("clocks.handling.days", 60.5), "clocks.handling.days", id="days-as-float"),
    pytest.param(_set("clocks.objection.unit", "calendar"), "clocks.objection.unit",
                 id="workdays-respelled-as-calendar-days"),
    pytest.param(_set("clocks.handling.duty", False), "clocks.handling.duty",
                 id="duty-turned-off"),
    pytest.param(_set("clocks.handling.article", "信访工作条例第三十三条"), "clocks.handling.article",
                 id="article-respelled"),
    pytest.param(_set("clocks.handling.statutory", "review_request"),
                 "accountability.handling", id="pointed-at-a-petitioners-window"),
    pytest.param(_set("clocks.handling.paused_in", ["hearing"]), "clocks.handling.paused_in",
                 id="hearing-time-excluded-where-the-law-does-not"),
    pytest.param(_set("clocks.review_request.days", 45), "clocks.review_request.days",
                 id="petitioner-window-lengthened"),
    pytest.param(_set("local_limits.meixian.handling.days", 75),
                 "local_limits.meixian.handling.days", id="local-limit-75"),
    pytest.param(_set("local_limits.meixian.handling.max_extension_days", 60),
                 "local_limits.meixian.handling.max_extension_days", id="local-extension-cap"),
]


@pytest.mark.parametrize(("mutate", "key"), LOOSENINGS)
def test_a_workflow_that_loosens_a_statutory_limit_is_refused_however_it_is_spelled(mutate, key):
    message = _refusal(mutate)
    assert any(line.startswith(f"loose.yaml: {key}: ") for line in message.splitlines()), message


def test_the_shipped_clocks_take_their_article_days_unit_and_cap_from_the_code_table():
    from petition_flow.domain.loader import load_workflow_file

    spec = load_workflow_file(SHIPPED)
    handling = spec.clocks["handling"]
    assert (handling.article, handling.days, handling.unit, handling.max_extension_days) == (
        "信访工作条例第三十四条", 60, "calendar", 30)
    assert spec.clocks["objection"].unit == "workday" and spec.clocks["objection"].days == 5
    assert spec.clocks["review_request"].duty is False
    for rule in spec.clocks.values():
        assert rule.article == LIMITS[rule.statutory].article


def test_a_stricter_days_value_is_accepted_and_shown_beside_the_statutory_ceiling():
    doc = copy.deepcopy(DOC)
    doc["clocks"]["handling"]["days"] = 45
    spec = load_workflow_text(yaml.safe_dump(doc, allow_unicode=True), "strict.yaml")
    assert spec.clocks["handling"].days == 45 and spec.clocks["handling"].statutory_days == 60


def test_workflow_check_fails_for_a_file_that_redefines_the_statutory_period(tmp_path):
    doc = copy.deepcopy(DOC)
    doc["clocks"]["handling"]["statutory_days"] = 90
    doc["clocks"]["handling"]["days"] = 90
    path = tmp_path / "loose.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    env = {"PETITION_FLOW_INSTANCE": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "petition_flow.cli", "workflow", "check",
                           str(path)], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "loose.yaml: clocks.handling.statutory_days: " in proc.stderr
    assert "90日宽于法定期限：信访工作条例第三十四条规定60日" in proc.stderr
