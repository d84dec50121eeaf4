"""One label per audit action: every action the code writes has its Chinese label in
domain/labels.py, and the audit page, the case history and the API read that table."""

from __future__ import annotations

import re
from pathlib import Path

from petition_flow.domain.labels import AUDIT_ACTIONS, audit_label

ROOT = Path(__file__).resolve().parents[2] / "petition_flow"
WRITTEN = re.compile(r"""\.add\(\s*["']([a-z_]+)["']""")
DYNAMIC = re.compile(r"""\.add\(\s*f["']([a-z_]+)\{""")


def _written_actions() -> set[str]:
    found = set()
    for path in ROOT.rglob("*.py"):
        if "domain" in path.parts:  # the loader's error collector also has an .add()
            continue
        source = path.read_text(encoding="utf-8")
        found |= set(WRITTEN.findall(source))
        for prefix in DYNAMIC.findall(source):
            found |= {a for a in AUDIT_ACTIONS if a.startswith(prefix)}
    return found


def test_every_audit_action_the_code_writes_has_a_chinese_label():
    written = _written_actions()
    assert "case_registered" in written and "accountability_confirmed" in written
    assert sorted(written - set(AUDIT_ACTIONS)) == []


def test_every_label_is_chinese_and_used_once():
    labels = list(AUDIT_ACTIONS.values())
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in labels)
    assert len(labels) == len(set(labels))


def test_the_audit_page_and_the_api_read_the_one_table():
    from petition_flow.api import serialize
    from petition_flow.services import auditlog

    assert auditlog.ACTION_LABELS is AUDIT_ACTIONS
    assert not hasattr(serialize, "ACTION_LABELS")
    assert audit_label("alert_raised") == "发出预警"
