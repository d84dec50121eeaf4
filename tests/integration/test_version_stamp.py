"""One code for every process: `init` / `db upgrade` stamp the database with the package's
version and code fingerprint, and a web worker or scheduler on other code refuses to start."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from petition_flow import stamp
from petition_flow.app import create_app
from petition_flow.cli import main
from petition_flow.db import make_engine
from petition_flow.migrate import upgrade
from petition_flow.models import InstanceMeta
from petition_flow.settings import SettingsError

OTHER = "0.0.9+0123456789ab"


@pytest.fixture
def database(tmp_path):
    url = f"sqlite:///{tmp_path / 'stamped.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    yield url, engine
    engine.dispose()


def _stamp_other(engine) -> None:
    with engine.begin() as conn:
        conn.execute(InstanceMeta.__table__.update().values(value=OTHER, written_by="oldhost"))


def test_a_migration_run_stamps_the_database_with_this_codes_version(database):
    _, engine = database
    found = stamp.read_stamp(engine)
    assert found.value == stamp.code_version()
    assert found.value.startswith("0.1.0+") and len(found.value.split("+")[1]) == 12


def test_a_web_worker_on_other_code_refuses_to_start_and_says_what_to_do(database, tmp_path):
    url, engine = database
    app = create_app({"ENGINE": engine, "SECRET_KEY": "x" * 32}, instance_path=tmp_path / "i")
    assert app is not None  # matching stamp: starts
    _stamp_other(engine)
    with pytest.raises(SettingsError) as caught:
        create_app({"ENGINE": engine, "SECRET_KEY": "x" * 32}, instance_path=tmp_path / "i")
    line = caught.value.problems[0]
    assert "程序版本不一致" in line and OTHER in line and stamp.code_version() in line
    assert "oldhost" in line and "petition-flow db upgrade" in line
    assert caught.value.problems[1] == "网页服务未启动。"


def test_a_scheduler_on_other_code_refuses_to_start_until_db_upgrade(database):
    url, engine = database
    _stamp_other(engine)
    env = {"PETITION_FLOW_DATABASE_URL": url}
    result = CliRunner().invoke(main, ["scheduler"], env=env)
    assert result.exit_code == 1
    assert "程序版本不一致" in result.output and "调度器未启动" in result.output
    upgraded = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert stamp.read_stamp(engine).value == stamp.code_version()


def test_a_database_that_cannot_be_read_is_not_refused_by_the_stamp(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert stamp.check_engine(engine) is None  # no tables yet: init or the pages say so
    engine.dispose()


def test_the_fingerprint_follows_the_code_not_where_it_is_installed(tmp_path):
    copy = tmp_path / "petition_flow"
    shutil.copytree(stamp.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert stamp.fingerprint(copy) == stamp.fingerprint(stamp.PACKAGE)
    rules = copy / "domain" / "deadlines.py"
    rules.write_text(rules.read_text("utf-8") + "\n# edited after a git pull\n", "utf-8")
    assert stamp.fingerprint(copy) != stamp.fingerprint(stamp.PACKAGE)
