"""`petition-flow sweep --now …` shows a supervisor what a sweep at that time raises."""

from __future__ import annotations

from click.testing import CliRunner
from helpers import at
from sqlalchemy import func, select

from petition_flow.cli import main
from petition_flow.models import AccountabilityRecord, Alert


def run(database_url, monkeypatch, *args):
    monkeypatch.setenv("PETITION_FLOW_DATABASE_URL", database_url)
    for key in ("PETITION_FLOW_SMTP_HOST", "PETITION_FLOW_WEBHOOK_URLS"):
        monkeypatch.delenv(key, raising=False)
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_sweep_now_prints_in_chinese_what_it_raised_and_raises_it_once(
    cases, session, database_url, monkeypatch
):
    case_no = cases.walk(["classify", "transfer", "accept"], start=at("2026-08-28", 9)).case_no
    session.rollback()  # on SQLite an open transaction would hold the write lock
    # The sweep ran on the evening of 30 Sep; then the server was down until 9 Oct.
    before = run(database_url, monkeypatch, "sweep", "--now", "2026-09-30T18:00")
    assert "黄色预警" in before.output, before.output

    result = run(database_url, monkeypatch, "sweep", "--now", "2026-10-09T09:00")
    record = session.execute(select(AccountabilityRecord.id)).scalar_one()
    session.rollback()
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "期限扫描：2026-10-09 09:00（北京时间）",
        "新发预警 1 条：红色超期 1 条，黄色预警 0 条，蓝色提示 0 条。",
        # Meixian's 30-day 限时办结 clock; the statutory 60 days run to 2026-10-30.
        f"【红色超期】{case_no} 办理期限（限时办结），截止 2026-09-30，2026-10-01 00:00 起，"
        "停机期间达到，补发（迟8日）",
        "    责任单位：眉县人力资源和社会保障局",
        "    通知：承办人 handler.meixian、单位负责人 unit_leader.meixian、"
        "县级督办人员 county_supervisor.meixian、市级督办人员 city_supervisor.baoji",
        f"    已生成追责问责记录第{record}号，待督办人员认定。",
    ]
    again = run(database_url, monkeypatch, "sweep", "--now", "2026-10-09T09:05")
    assert again.output.splitlines()[-1] == "没有新的预警。"


def test_the_first_sweep_of_an_installation_does_not_say_it_catches_up_after_downtime(
    cases, session, database_url, monkeypatch
):
    cases.walk(["classify", "transfer", "accept"], start=at("2026-08-28", 9))
    session.rollback()
    result = run(database_url, monkeypatch, "sweep", "--now", "2026-10-09T09:00")
    assert "【红色超期】" in result.output
    assert "停机" not in result.output and "补发" not in result.output


def test_a_dry_run_sweep_shows_the_alerts_but_writes_nothing(
    cases, session, database_url, monkeypatch
):
    case_no = cases.walk(["classify", "transfer", "accept"], start=at("2026-08-28", 9)).case_no
    session.rollback()
    result = run(database_url, monkeypatch, "sweep", "--now", "2026-09-28T08:00", "--dry-run")
    assert "试运行，未写入数据库" in result.output.splitlines()[0]
    assert f"【黄色预警】{case_no} 办理期限" in result.output
    assert session.execute(select(func.count()).select_from(Alert)).scalar_one() == 0


def test_sweep_refuses_a_time_it_cannot_read(database_url, monkeypatch):
    result = run(database_url, monkeypatch, "sweep", "--now", "十月九日")
    assert result.exit_code == 2
    assert "时间格式应为 YYYY-MM-DDTHH:MM（北京时间）" in result.output
