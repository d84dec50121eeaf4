"""`petition-flow bench` on a tiny database: every measure present with sane numbers, and the
0005 migration (the indexes the bench's query plans asked for) going down and up.

Time is never asserted here: the bench itself is where speed is measured."""

from __future__ import annotations

import json
import uuid

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from petition_flow.cli import main
from petition_flow.db import make_engine
from petition_flow.devtools.bench import MEASURE_NAMES
from petition_flow.migrate import alembic_config, current_revision, upgrade

pytestmark = pytest.mark.slow  # pyproject.toml: `-m "not slow"` leaves it out

NEW_INDEXES = {"cases": {"ix_cases_open_region_state"},
               "clocks": {"ix_clocks_case_running_due", "ix_clocks_running_due"}}


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_url(request, tmp_path, database_url):
    """A database of the test's own: a SQLite file, or a new PostgreSQL database on the
    suite's server when the suite runs on PostgreSQL (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bench.sqlite3'}"
        return
    if not database_url.startswith("postgresql"):
        pytest.skip("the suite runs on SQLite")
    name = f"pf_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def test_bench_on_a_tiny_database_prints_every_measure_with_sane_numbers_as_json(scratch_url):
    args = ["bench", "--cases", "300", "--ops", "5", "--changes", "40",
            "--database", scratch_url, "--json"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["cases"] == 300 and out["database"].split(":")[0] in scratch_url
    assert out["floor_ops_per_s"] > 0
    measures = {m["name"]: m for m in out["measures"]}
    assert set(measures) == {n for n in MEASURE_NAMES if n != "sweep_10000_alerts"} | {
        "sweep_40_alerts"}
    for m in measures.values():
        assert m["ops_per_s"] > 0 and 0 < m["p50_ms"] <= m["p95_ms"], m
        assert m["ratio_to_floor"] == pytest.approx(m["ops_per_s"] / out["floor_ops_per_s"],
                                                    rel=1e-2, abs=1e-3)
    assert measures["floor"]["ratio_to_floor"] == pytest.approx(1.0)
    assert out["sweep_alerts"] == 40
    assert out["rss_before_mb"] > 0 and out["rss_after_mb"] > 0
    assert set(out["plans"]) == {"handler_inbox", "case_page", "city_dashboard", "sweep"}

    # A second run reuses the seeded cases and still raises its alerts (new deadline versions).
    again = json.loads(CliRunner().invoke(main, args, catch_exceptions=False).stdout)
    assert again["sweep_alerts"] == 40


def test_bench_prints_its_figures_in_chinese(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    result = CliRunner().invoke(main, ["bench", "--cases", "200", "--ops", "3", "--changes", "20",
                                       "--database-url", url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "案件 200 件" in result.output and "基线写入速率" in result.output
    assert "20 个期限同时变色的扫描：新发预警 20 条" in result.output
    assert "ix_clocks_status_next_level" in result.output


def test_bench_fails_and_prints_the_plan_when_a_page_scans_a_large_table(tmp_path, monkeypatch):
    # Two hundred cases make no table large: the threshold is lowered, and the inbox gets the
    # plan issue 18 found (its counts driven from ``cases``), so the check has a scan to report.
    from petition_flow.devtools import bench

    real = bench.query_plans

    def plans(session, now):
        found = real(session, now)
        found["handler_inbox"] += "\nSCAN cases USING INDEX ix_cases_region_state"
        return found

    monkeypatch.setattr(bench, "LARGE_ROWS", 1)
    monkeypatch.setattr(bench, "query_plans", plans)
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    result = CliRunner().invoke(main, ["bench", "--cases", "200", "--ops", "2", "--changes", "5",
                                       "--database-url", url, "--json"])
    assert result.exit_code == 1, result.output
    out = json.loads(result.stdout)
    assert "SCAN cases USING INDEX ix_cases_region_state" in out["full_scans"]["handler_inbox"]
    assert "全表扫描（handler_inbox）：SCAN cases USING INDEX ix_cases_region_state" in \
        result.stderr
    assert "基准测试不通过" in result.stderr


def test_migration_0005_adds_the_bench_indexes_and_takes_them_away_again(scratch_url):
    engine = make_engine(scratch_url)
    try:
        upgrade(engine, "0005_bench_indexes")  # later migrations (0006…) are tested on their own
        assert current_revision(engine) == "0005_bench_indexes"

        def names(table):
            return {i["name"] for i in inspect(engine).get_indexes(table)}

        for table, wanted in NEW_INDEXES.items():
            assert wanted <= names(table)
        config = alembic_config()
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004_api")
            connection.commit()
        assert current_revision(engine) == "0004_api"
        for table, wanted in NEW_INDEXES.items():
            assert not wanted & names(table)
        upgrade(engine, "0005_bench_indexes")
        for table, wanted in NEW_INDEXES.items():
            assert wanted <= names(table)
    finally:
        engine.dispose()


def test_migration_0006_records_the_kind_of_a_breach_and_can_be_taken_away(scratch_url):
    engine = make_engine(scratch_url)
    try:
        upgrade(engine)

        def columns():
            return {c["name"] for c in inspect(engine).get_columns("accountability_records")}

        assert "kind" in columns()
        config = alembic_config()
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0005_bench_indexes")
            connection.commit()
        assert "kind" not in columns()
        upgrade(engine)
        assert "kind" in columns()
    finally:
        engine.dispose()
