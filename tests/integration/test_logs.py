"""Logging (petition_flow/logs.py): one configuration for web, command line and scheduler,
China time with its offset, a level from --log-level or PETITION_FLOW_LOG_LEVEL, and a
scheduler that says at INFO whether it is active or standby and what each sweep did."""

from __future__ import annotations

import logging
import re
from datetime import datetime

import pytest
from click.testing import CliRunner

from petition_flow import logs
from petition_flow.cli import main
from petition_flow.clock import CHINA_TZ
from petition_flow.scheduler import SchedulerRunner
from petition_flow.services.notify import NotifyConfig

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00 INFO petition_flow\.x: 你好$")


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    ours = logging.getLogger("petition_flow").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("petition_flow").setLevel(ours)


def test_a_record_is_stamped_in_china_time_with_the_offset():
    formatter = logs.ChinaTimeFormatter(logs.FORMAT)
    record = logging.LogRecord("petition_flow.x", logging.INFO, __file__, 1, "你好", None, None)
    record.created = datetime(2026, 12, 2, 5, 14, 22, 123000, tzinfo=CHINA_TZ).timestamp()
    line = formatter.format(record)
    assert STAMP.match(line), line
    assert line.startswith("2026-12-02T05:14:22.123+08:00")


def test_the_level_comes_from_the_option_else_the_setting_else_info(monkeypatch, restore_logging):
    monkeypatch.delenv("PETITION_FLOW_LOG_LEVEL", raising=False)
    assert logs.configure() == "INFO"
    monkeypatch.setenv("PETITION_FLOW_LOG_LEVEL", "debug")
    assert logs.configure() == "DEBUG"
    assert logging.getLogger("petition_flow.scheduler").getEffectiveLevel() == logging.DEBUG
    assert logs.configure("warning") == "WARNING"
    # Configured once: calling again never adds a second handler (no doubled lines).
    assert sum(isinstance(h, logs._StandardError) for h in logging.getLogger().handlers) == 1


def test_an_unknown_level_in_the_setting_is_one_chinese_line(monkeypatch, restore_logging):
    monkeypatch.setenv("PETITION_FLOW_LOG_LEVEL", "LOUD")
    result = CliRunner().invoke(main, ["workflow", "check"])
    assert result.exit_code == 1
    assert "日志级别“LOUD”无效" in result.output and "Traceback" not in result.output


def test_the_command_line_takes_a_log_level_option(restore_logging):
    result = CliRunner().invoke(main, ["--log-level", "DEBUG", "workflow", "check"])
    assert result.exit_code == 0, result.output
    assert logging.getLogger("petition_flow").level == logging.DEBUG
    refused = CliRunner().invoke(main, ["--log-level", "LOUD", "workflow", "check"])
    assert refused.exit_code == 2


def test_the_scheduler_says_at_info_whether_it_is_active_or_standby_and_sums_up_each_sweep(
        engine, caplog):
    config = NotifyConfig.from_mapping({})
    active = SchedulerRunner(engine, config=config, holder="web-1")
    standby = SchedulerRunner(engine, config=config, holder="web-2")
    caplog.set_level(logging.INFO, logger="petition_flow.scheduler")
    try:
        assert active.renew_lease()
        assert not standby.renew_lease()
        standby.run_job("sweep", standby._sweep)
        active.run_job("sweep", active._sweep)
    finally:
        active.shutdown(wait=False)
        standby.shutdown(wait=False)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any("web-1 取得租约，处于工作状态" in m for m in lines), lines
    assert any("web-2 处于待命状态：租约由 web-1 持有" in m for m in lines), lines
    assert any("web-2 处于待命状态（未持有租约），本次不扫描" in m for m in lines), lines
    sweeps = [m for m in lines if m.startswith("期限扫描：")]
    assert len(sweeps) == 2  # the takeover's immediate sweep and the scheduled one
    assert all("新发预警 0 条" in m for m in sweeps), sweeps
