"""`petition-flow serve`, and the house rules of the web layer (thin views, one clock)."""

import re
from pathlib import Path

from click.testing import CliRunner

from petition_flow import cli

WEB = Path(__file__).resolve().parents[2] / "petition_flow" / "web"


class FakeServer:
    effective_port = 5000
    ran = closed = False

    def run(self):
        FakeServer.ran = True
        raise KeyboardInterrupt

    def close(self):
        FakeServer.closed = True


def test_serve_defaults_to_127_0_0_1_port_5000_and_prints_the_address(
        monkeypatch, database_url, engine):
    seen = {}

    def create_server(app, host, port, threads):
        seen.update(host=host, port=port, app=app)
        server = FakeServer()
        server.effective_port = port
        return server

    monkeypatch.setenv("PETITION_FLOW_DATABASE_URL", database_url)
    monkeypatch.setattr("waitress.create_server", create_server)
    result = CliRunner().invoke(cli.main, ["serve"])
    assert result.exit_code == 0, result.output
    assert seen["host"] == "127.0.0.1" and seen["port"] == 5000
    assert "http://127.0.0.1:5000/" in result.output
    assert FakeServer.ran and FakeServer.closed


def test_serve_takes_host_and_port_options(monkeypatch, database_url, engine):
    seen = {}

    def create_server(app, host, port, threads):
        seen.update(host=host, port=port)
        server = FakeServer()
        server.effective_port = port
        return server

    monkeypatch.setenv("PETITION_FLOW_DATABASE_URL", database_url)
    monkeypatch.setattr("waitress.create_server", create_server)
    result = CliRunner().invoke(cli.main, ["serve", "--host", "0.0.0.0", "--port", "8080"])
    assert result.exit_code == 0, result.output
    assert seen == {"host": "0.0.0.0", "port": 8080}
    assert "http://127.0.0.1:8080/" in result.output


def test_serve_refuses_to_start_on_a_database_that_was_never_initialised(monkeypatch, tmp_path):
    monkeypatch.setenv("PETITION_FLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    result = CliRunner().invoke(cli.main, ["serve"])
    assert result.exit_code != 0
    assert "petition-flow init" in result.output


def test_no_web_module_commits_or_reads_the_wall_clock_itself():
    for path in WEB.rglob("*.py"):
        source = path.read_text("utf-8")
        assert not re.search(r"\.commit\(|\.rollback\(", source), path
        assert "datetime.now" not in source and "date.today" not in source, path


def test_every_page_template_is_in_the_top_level_templates_folder_and_uses_no_cdn():
    templates = Path(__file__).resolve().parents[2] / "templates"
    for path in templates.rglob("*.html"):
        source = path.read_text("utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", source), path
