"""Hostile rule files — not UTF-8, far too large, or an alias-expanding YAML "bomb" — are
refused quickly with a message naming the file; `workflow check` reports every file."""

from __future__ import annotations

import time as wall
from pathlib import Path

import pytest
from click.testing import CliRunner

from petition_flow.cli import main
from petition_flow.domain.loader import load_workflow_file
from petition_flow.domain.workcalendar import CalendarFileError, parse_override, read_calendar_file
from petition_flow.errors import WorkflowError

WORKFLOW = Path(__file__).resolve().parents[2] / "workflows" / "meixian_six_step.yaml"
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9))


def hostile(tmp_path: Path, kind: str, name: str) -> Path:
    path = tmp_path / name
    if kind == "gbk":
        path.write_bytes("name: 眉县\ntitle: 信访\n".encode("gbk"))
    elif kind == "huge":
        with path.open("wb") as f:  # 60 MB, sparse: cheap to make, must not be read
            f.truncate(60 * 1024 * 1024)
    else:
        path.write_text(BOMB, encoding="utf-8")
    return path


@pytest.mark.parametrize("kind, words", [("gbk", "UTF-8"), ("huge", "文件过大"),
                                         ("bomb", "锚点与别名")])
def test_a_hostile_workflow_file_is_refused_quickly_naming_the_file(tmp_path, kind, words):
    path = hostile(tmp_path, kind, f"{kind}_flow.yaml")
    started = wall.monotonic()
    with pytest.raises(WorkflowError) as refused:
        load_workflow_file(path)
    assert wall.monotonic() - started < 1
    assert f"{kind}_flow.yaml" in refused.value.message and words in refused.value.message


@pytest.mark.parametrize("kind, words", [("gbk", "UTF-8"), ("huge", "文件过大"),
                                         ("bomb", "锚点与别名")])
def test_a_hostile_calendar_file_is_refused_quickly_naming_the_file(tmp_path, kind, words):
    path = hostile(tmp_path, kind, f"{kind}_2027.yaml")
    started = wall.monotonic()
    with pytest.raises(CalendarFileError) as refused:
        parse_override(read_calendar_file(path), path.name)
    assert wall.monotonic() - started < 1
    assert f"{kind}_2027.yaml" in str(refused.value) and words in str(refused.value)


def test_workflow_check_checks_every_file_and_reports_each(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_bytes(WORKFLOW.read_bytes())
    files = [hostile(tmp_path, k, f"{k}.yaml") for k in ("gbk", "huge", "bomb")]
    result = CliRunner().invoke(main, ["workflow", "check", *map(str, [*files, good])])
    assert result.exit_code == 1
    for name in ("gbk.yaml", "huge.yaml", "bomb.yaml"):
        assert f"✗ {name}" in result.output
    assert "✓ good.yaml" in result.output
    assert "Traceback" not in result.output


def test_calendar_import_of_a_non_utf8_file_gives_one_line_naming_the_file(tmp_path):
    path = hostile(tmp_path, "gbk", "2027.yaml")
    env = {"PETITION_FLOW_INSTANCE": str(tmp_path / "instance")}
    result = CliRunner().invoke(main, ["calendar", "import", str(path)], env=env)
    assert result.exit_code == 1
    assert "2027.yaml" in result.output and "UTF-8" in result.output
    assert "Traceback" not in result.output
