"""The petition-flow command line, run as a user would, on a fresh instance folder."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys

import pytest

CAL = """year: 2027
source: 测试用2027年节假日安排
holidays: [2027-01-01, 2027-02-05, 2027-02-08, 2027-04-05, 2027-06-09, 2027-09-15, 2027-10-01, 2027-01-29]
workdays: []
"""


def run(tmp_path, *args, check=True):
    env = {"PETITION_FLOW_INSTANCE": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "petition_flow.cli", *args], env=env,
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    out = run(tmp, "init", "--demo").stdout
    return tmp, out


def test_init_demo_creates_the_database_organisation_accounts_and_cases_in_every_state(demo):
    tmp, out = demo
    assert "演示账号" in out and "reception.meixian" in out and "admin.baoji" in out
    db = sqlite3.connect(tmp / "instance" / "petition_flow.sqlite3")
    states = {s for (s,) in db.execute("select distinct state from cases")}
    assert len(states) == 26
    assert db.execute("select count(*) from units").fetchone()[0] > 100
    pilots = dict(db.execute("select code, pilot from regions where pilot is not null"))
    assert pilots == {"meixian": "provincial", "jintai": "city", "chencang": "city",
                      "longxian": "city"}


def test_init_twice_changes_nothing(demo):
    tmp, _ = demo
    out = run(tmp, "init", "--demo").stdout
    assert "已存在" in out


def test_audit_verify_passes_on_the_demo_and_fails_after_tampering(demo, tmp_path):
    shutil.copytree(demo[0] / "instance", tmp_path / "instance")
    assert "审计链完整" in run(tmp_path, "audit", "verify").stdout
    db = sqlite3.connect(tmp_path / "instance" / "petition_flow.sqlite3")
    db.execute("drop trigger audit_entries_no_update")  # as the database's administrator
    db.execute("update audit_entries set actor_username='someone' where seq=30")
    db.commit()
    proc = run(tmp_path, "audit", "verify", check=False)
    assert proc.returncode == 1 and "第30条" in proc.stderr


def test_workflow_check_passes_and_names_file_and_key_of_a_broken_one(demo, tmp_path):
    tmp, _ = demo
    assert "✓ meixian_six_step.yaml" in run(tmp, "workflow", "check").stdout
    broken = tmp_path / "broken.yaml"
    from pathlib import Path

    text = (Path(__file__).parents[2] / "workflows" / "meixian_six_step.yaml").read_text()
    broken.write_text(text.replace("dest: replied, notices: [handling_opinion]}",
                                   "dest: nowhere, notices: [handling_opinion]}", 1))
    proc = run(tmp, "workflow", "check", str(broken), check=False)
    assert proc.returncode == 1 and "broken.yaml" in proc.stderr and ".dest" in proc.stderr


def test_workflow_show_prints_a_mermaid_state_diagram(demo):
    tmp, _ = demo
    out = run(tmp, "workflow", "show", "meixian_six_step").stdout
    assert out.startswith("stateDiagram-v2") and "under_handling" in out
    assert run(tmp, "workflow", "show", "nope", check=False).returncode != 0


def test_calendar_due_prints_the_date_then_the_explanation_and_json(tmp_path):
    out = run(tmp_path, "calendar", "due", "--from", "2026-08-03", "--days", "60").stdout
    first, second = out.splitlines()[:2]
    assert first == "2026-10-08" and "国庆节" in second
    data = json.loads(run(tmp_path, "calendar", "due", "--from", "2026-09-30", "--days", "5",
                          "--workdays", "--json").stdout)
    assert data["due_date"] == "2026-10-13" and data["provisional"] is False
    assert "工作日" in data["explanation"]
    bad = run(tmp_path, "calendar", "due", "--from", "2026-13-01", "--days", "5", check=False)
    assert bad.returncode != 0 and "YYYY-MM-DD" in bad.stderr


def test_calendar_import_makes_a_provisional_date_official(tmp_path):
    run(tmp_path, "init")
    before = json.loads(run(tmp_path, "calendar", "due", "--from", "2026-12-30", "--days", "30",
                            "--json").stdout)
    assert before["provisional"] and before["due_date"] == "2027-01-29"
    (tmp_path / "2027.yaml").write_text(CAL, encoding="utf-8")
    out = run(tmp_path, "calendar", "import", str(tmp_path / "2027.yaml")).stdout
    assert "已导入 2027 年" in out
    after = json.loads(run(tmp_path, "calendar", "due", "--from", "2026-12-30", "--days", "30",
                           "--json").stdout)
    assert not after["provisional"] and after["due_date"] == "2027-02-01"


def test_a_bad_calendar_file_is_refused_naming_the_key(tmp_path):
    run(tmp_path, "init")
    (tmp_path / "bad.yaml").write_text(CAL.replace("2027-01-29", "2028-01-29"), "utf-8")
    proc = run(tmp_path, "calendar", "import", str(tmp_path / "bad.yaml"), check=False)
    assert proc.returncode != 0 and "bad.yaml" in proc.stderr and "holidays" in proc.stderr


def test_commands_on_an_uninitialised_instance_say_what_to_do(tmp_path):
    proc = run(tmp_path, "audit", "verify", check=False)
    assert proc.returncode != 0 and "petition-flow init" in proc.stderr


def test_demo_accounts_keep_the_printed_password_and_are_flagged_demo(demo):
    tmp, out = demo
    assert "（演示账号）" in out and "auditor.baoji" in out
    db = sqlite3.connect(tmp / "instance" / "petition_flow.sqlite3")
    rows = db.execute("select username, demo, must_change_password from users").fetchall()
    assert rows and all(demo_flag == 1 and must == 0 for _, demo_flag, must in rows)
    assert ("auditor.baoji",) in db.execute("select username from users where role = 'auditor'")
