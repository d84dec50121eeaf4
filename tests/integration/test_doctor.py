"""`petition-flow doctor` on a fresh instance made healthy, then broken one way at a time:
exit 0 on the healthy one, exit 1 with a Chinese line naming each problem."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from petition_flow.cli import main
from petition_flow.clock import parse_instant
from petition_flow.db import make_engine
from petition_flow.models import InstanceMeta, SchedulerLease

NOW = "2026-11-20T10:00"  # November: next year's calendar must be loaded
CAL = """year: 2027
source: 测试用2027年节假日安排
holidays: [2027-01-01, 2027-02-05, 2027-02-08, 2027-04-05, 2027-06-09, 2027-09-15, 2027-10-01, 2027-01-29]
workdays: []
"""


def _env(folder) -> dict:
    instance = folder / "instance"
    return {"PETITION_FLOW_INSTANCE": str(instance),
            "PETITION_FLOW_KEY_FILE": str(instance / "keys.json"),
            "PETITION_FLOW_CHECKPOINTS": str(instance / "audit-checkpoints.log"),
            "PETITION_FLOW_PUBLIC_KEY_FILE": str(instance / "audit-public-key.pem")}


def _subprocess(folder, *args):
    env = {"PATH": "/usr/bin:/bin", **_env(folder)}
    proc = subprocess.run([sys.executable, "-m", "petition_flow.cli", *args], env=env,
                          capture_output=True, text=True, cwd=folder, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _engine(folder):
    return make_engine(f"sqlite:///{folder / 'instance' / 'petition_flow.sqlite3'}")


def _lease(folder, expires_in=timedelta(seconds=25), swept_ago=timedelta(seconds=40)):
    now = parse_instant(NOW)
    engine = _engine(folder)
    with engine.begin() as conn:
        conn.execute(SchedulerLease.__table__.delete())
        conn.execute(SchedulerLease.__table__.insert().values(
            name="scheduler", holder="web1:4242:abcd", acquired_at=now - timedelta(hours=1),
            expires_at=now + expires_in,
            last_sweep_at=None if swept_ago is None else now - swept_ago))
    engine.dispose()


@pytest.fixture(scope="module")
def healthy_base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("doctor")
    _subprocess(folder, "init")
    (folder / "cal2027.yaml").write_text(CAL, "utf-8")
    _subprocess(folder, "calendar", "import", str(folder / "cal2027.yaml"))
    _lease(folder)
    return folder


@pytest.fixture
def instance(healthy_base, tmp_path, monkeypatch):
    shutil.copytree(healthy_base / "instance", tmp_path / "instance")
    for key in ("PETITION_FLOW_SECRET_KEY", "PETITION_FLOW_DATABASE_URL", "PETITION_FLOW_KEYS",
                "PETITION_FLOW_SMTP_HOST"):
        monkeypatch.delenv(key, raising=False)
    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    return tmp_path


def doctor(*args, env=None):
    result = CliRunner().invoke(main, ["doctor", "--now", NOW, *args], env=env or {})
    return result


def test_a_healthy_instance_passes_every_check_and_exits_0(instance):
    result = doctor()
    assert result.exit_code == 0, result.output
    out = result.output
    for found in ("设置检查通过", "数据库可连接", "程序版本", "密钥文件", "2027年节假日安排已导入",
                  "调度器 web1:4242:abcd 持有租约", "上次期限扫描 2026-11-20 09:59:20", "本实例运行正常"):
        assert found in out
    assert "✗" not in out


def _problems(result) -> list[str]:
    assert result.exit_code == 1, result.output
    return [line for line in result.output.splitlines() if line.startswith("✗")]


def test_a_wrong_setting_is_named(instance):
    [line] = _problems(doctor(env={"PETITION_FLOW_SMTP_PORT": "abc"}))
    assert "SMTP_PORT" in line


def test_an_unreachable_database_is_one_line(instance):
    url = "postgresql+psycopg://nobody:wrong@127.0.0.1:1/none"
    [line] = _problems(doctor(env={"PETITION_FLOW_DATABASE_URL": url}))
    assert "无法连接数据库" in line and "wrong" not in line


def test_a_missing_database_file_says_to_run_init(instance):
    (instance / "instance" / "petition_flow.sqlite3").unlink()
    [line] = _problems(doctor())
    assert "不存在" in line and "petition-flow init" in line


def test_an_old_migration_level_says_to_run_db_upgrade(instance):
    engine = _engine(instance)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num='0012_search'"))
    engine.dispose()
    [line] = _problems(doctor())
    assert "0012_search" in line and "db upgrade" in line


def test_a_database_stamped_by_other_code_is_named(instance):
    engine = _engine(instance)
    with engine.begin() as conn:
        conn.execute(InstanceMeta.__table__.update().values(value="0.0.9+0123456789ab"))
    engine.dispose()
    [line] = _problems(doctor())
    assert "程序版本不一致" in line and "0.0.9+0123456789ab" in line


def test_a_missing_key_file_is_named(instance):
    (instance / "instance" / "keys.json").unlink()
    [line] = _problems(doctor())
    assert "keys.json" in line and "不存在" in line


def test_a_key_file_others_can_read_is_named(instance):
    path = instance / "instance" / "keys.json"
    path.chmod(0o644)
    [line] = _problems(doctor())
    assert "keys.json" in line and "644" in line and "chmod 600" in line


def test_a_foreign_key_file_is_named(instance, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    _subprocess(other, "init")
    shutil.copy(other / "instance" / "keys.json", instance / "instance" / "keys.json")
    [line] = _problems(doctor())
    assert "审计密钥与数据库不符" in line


def test_an_instance_folder_and_config_file_others_can_read_are_named(instance):
    folder = instance / "instance"
    (folder / "config.py").write_text('SMTP_PASSWORD = "secret"\n', "utf-8")
    (folder / "config.py").chmod(0o644)
    folder.chmod(0o755)
    lines = _problems(doctor())
    assert len(lines) == 2
    assert "实例目录" in lines[0] and "chmod 700" in lines[0]
    assert "config.py" in lines[1] and "chmod 600" in lines[1]


def test_next_years_calendar_missing_is_a_problem_from_november_only(instance):
    engine = _engine(instance)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM calendar_years"))
    engine.dispose()
    [line] = _problems(doctor())
    assert "2027年节假日安排尚未导入" in line and "calendar import" in line
    _lease(instance)
    october = CliRunner().invoke(main, ["doctor", "--now", "2026-10-20T10:00"])
    # In October the lease of the fixture lies in the future: only the calendar line matters.
    assert "2027年节假日安排尚未导入（通常于11月" in october.output


def test_a_scheduler_that_never_ran_whose_lease_expired_or_that_stopped_sweeping_is_named(instance):
    engine = _engine(instance)
    with engine.begin() as conn:
        conn.execute(SchedulerLease.__table__.delete())
    engine.dispose()
    [line] = _problems(doctor())
    assert "调度器从未运行" in line
    _lease(instance, expires_in=-timedelta(minutes=3))
    [line] = _problems(doctor())
    assert "调度器未在运行" in line and "web1:4242:abcd" in line and "09:57" in line
    _lease(instance, swept_ago=timedelta(minutes=20))
    [line] = _problems(doctor())
    assert "持有租约" in line and "09:40" in line and "调度器日志" in line


def test_mail_is_checked_only_when_asked(instance):
    assert doctor().exit_code == 0
    [line] = _problems(doctor("--mail"))
    assert "未设置邮件服务器" in line
    [line] = _problems(doctor("--mail", env={"PETITION_FLOW_SMTP_HOST": "127.0.0.1",
                                             "PETITION_FLOW_SMTP_PORT": "1"}))
    assert "无法连接邮件服务器 127.0.0.1:1" in line
