"""Settings are checked at start: `serve` refuses a bad one with a Chinese line naming the
setting and its value; the deadline sweep goes on whatever the mail settings say (a delivery
error stays a delivery error); a bad secret key file or database address is one clear line,
never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from helpers import at
from sqlalchemy import func, select
from test_delivery import blue_day, deliveries, give_email

from petition_flow.app import create_app
from petition_flow.cli import main
from petition_flow.models import Alert
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.notify import NotifyConfig, deliver_pending
from petition_flow.settings import SettingsError

BAD_MAIL = 'PETITION_FLOW_SMTP_HOST = "mail.example"\nPETITION_FLOW_SMTP_PORT = "abc"\n' \
           'PETITION_FLOW_NOTIFY_TIMEOUT = "slow"\n'


def cli(monkeypatch, tmp_path, database_url, *args, config: str | None = None):
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    if config is not None:
        (instance / "config.py").write_text(config, "utf-8")
    monkeypatch.setenv("PETITION_FLOW_INSTANCE", str(instance))
    monkeypatch.setenv("PETITION_FLOW_DATABASE_URL", database_url)
    for key in ("PETITION_FLOW_SMTP_HOST", "PETITION_FLOW_WEBHOOK_URLS",
                "PETITION_FLOW_SECRET_KEY"):
        monkeypatch.delenv(key, raising=False)
    return CliRunner().invoke(main, list(args))


def test_bad_mail_settings_are_each_named_with_their_value():
    config = NotifyConfig.from_mapping({
        "PETITION_FLOW_SMTP_PORT": "abc", "PETITION_FLOW_NOTIFY_TIMEOUT": "slow",
        "PETITION_FLOW_SMTP_SSL": "perhaps", "PETITION_FLOW_WEBHOOK_URLS": "ftp://robot"})
    text = "\n".join(config.problems)
    for name, value in (("SMTP_PORT", "abc"), ("NOTIFY_TIMEOUT", "slow"),
                        ("SMTP_SSL", "perhaps"), ("WEBHOOK_URLS", "ftp://robot")):
        assert f"PETITION_FLOW_{name} 的值“{value}”无效" in text
    assert config.smtp_port == 25 and config.webhook_urls == ()


def test_serve_refuses_to_start_with_a_bad_setting_naming_it_and_its_value(
    Session, monkeypatch, tmp_path, database_url
):
    result = cli(monkeypatch, tmp_path, database_url, "serve", "--port", "1", config=BAD_MAIL)
    assert result.exit_code == 1
    assert "PETITION_FLOW_SMTP_PORT 的值“abc”无效" in result.output
    assert "PETITION_FLOW_NOTIFY_TIMEOUT 的值“slow”无效" in result.output
    assert "服务未启动" in result.output and "Traceback" not in result.output


def opened_engines(monkeypatch) -> list:
    """Every engine the app or the command line makes, to look at their pools afterwards."""
    from petition_flow import app as app_module
    from petition_flow import db as db_module

    made: list = []

    def make_engine(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    original = db_module.make_engine
    monkeypatch.setattr(app_module, "make_engine", make_engine)
    monkeypatch.setattr(db_module, "make_engine", make_engine)
    return made


def test_a_refused_serve_leaves_no_database_connection_open(
    Session, monkeypatch, tmp_path, database_url
):
    # A worker that refuses to start must not hold a connection until its process ends
    # (on PostgreSQL, one server slot each; in tests, a warning when it is collected).
    made = opened_engines(monkeypatch)
    result = cli(monkeypatch, tmp_path, database_url, "serve", "--port", "1", config=BAD_MAIL)
    assert result.exit_code == 1 and "服务未启动" in result.output
    assert len(made) >= 2  # the command's own check, then the app's
    assert [engine.pool.checkedin() for engine in made] == [0] * len(made)


def test_an_app_that_refuses_to_start_closes_the_connections_it_opened(
    Session, monkeypatch, tmp_path, database_url
):
    from petition_flow import app as app_module

    made = opened_engines(monkeypatch)
    monkeypatch.setenv("PETITION_FLOW_DATABASE_URL", database_url)
    monkeypatch.setattr(app_module, "register_blueprints",
                        lambda app: (_ for _ in ()).throw(RuntimeError("blueprints")))
    with pytest.raises(RuntimeError):
        create_app({"SECRET_KEY": "x" * 32}, instance_path=tmp_path / "i")
    assert len(made) == 1 and made[0].pool.checkedin() == 0


def test_the_sweep_raises_its_alerts_whatever_the_mail_settings_say(
    cases, session, monkeypatch, tmp_path, database_url
):
    cases.walk(["classify", "transfer", "accept"], start=at("2026-08-28", 9))
    session.rollback()
    result = cli(monkeypatch, tmp_path, database_url, "sweep", "--now", "2026-10-09T09:00",
                 config=BAD_MAIL)
    assert result.exit_code == 0, result.output
    assert "新发预警 1 条" in result.output
    assert session.execute(select(func.count()).select_from(Alert)).scalar_one() == 1


def test_a_delivery_with_bad_mail_settings_fails_as_a_delivery_error_and_is_kept(
    session, cases
):
    give_email(session, "handler.meixian", "handler@meixian.example")
    config = NotifyConfig.from_mapping({"PETITION_FLOW_SMTP_HOST": "127.0.0.1",
                                        "PETITION_FLOW_SMTP_PORT": "abc"})
    case, day = blue_day(session, cases)
    sweep_deadlines(session, at(day, 9), config=config)
    assert deliver_pending(session, at(day, 9, 1), config).failed >= 1
    [row] = [r for r in deliveries(session) if r.channel == "email"]
    assert row.status == "pending" and "PETITION_FLOW_SMTP_PORT" in row.last_error


@pytest.mark.parametrize("content", ["", "   \n"])
def test_an_empty_secret_key_file_is_a_clear_message_at_start(tmp_path, monkeypatch, content):
    monkeypatch.delenv("PETITION_FLOW_SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text(content)
    with pytest.raises(SettingsError) as refused:
        create_app({"TESTING": True}, instance_path=tmp_path)
    assert "secret_key" in refused.value.message and "为空" in refused.value.message


def test_an_unreadable_secret_key_file_is_a_clear_message_at_start(tmp_path, monkeypatch):
    monkeypatch.delenv("PETITION_FLOW_SECRET_KEY", raising=False)
    (tmp_path / "secret_key").mkdir()  # a folder where the file should be: cannot be read
    with pytest.raises(SettingsError) as refused:
        create_app({"TESTING": True}, instance_path=tmp_path)
    assert "无法读取" in refused.value.message


@pytest.mark.parametrize("url, words", [
    ("nonsense://where", "数据库地址"),
    ("postgresql+psycopg://petition:secret-pw@127.0.0.1:1/petition_flow", "无法连接数据库"),
])
def test_a_bad_database_address_is_one_line_without_a_traceback(
    monkeypatch, tmp_path, url, words
):
    result = cli(monkeypatch, tmp_path, url, "sweep")
    assert result.exit_code == 1
    assert words in result.output and "Traceback" not in result.output
    assert "secret-pw" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_wrong_database_password_is_one_line_without_a_traceback(
    monkeypatch, tmp_path, database_url
):
    if not database_url.startswith("postgresql"):
        # Like the outage test: a password belongs to the server database, and CI's
        # PostgreSQL pass runs this test (an SQLite file has no password to get wrong).
        pytest.skip("a database password concerns the PostgreSQL server database")
    from sqlalchemy.engine import make_url

    wrong = make_url(database_url).set(password="not-the-password")
    result = cli(monkeypatch, tmp_path, wrong.render_as_string(hide_password=False), "sweep")
    assert result.exit_code == 1
    assert "无法连接数据库" in result.output and "Traceback" not in result.output
    assert "not-the-password" not in result.output
    assert len(result.output.strip().splitlines()) == 1
