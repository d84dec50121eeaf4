"""Browser tests: Debian's Chromium driven by Playwright against a real waitress server.

The server is the one a user starts: ``petition-flow init --demo`` then ``petition-flow
serve`` in a fresh instance folder (the embedded SQLite default), on 127.0.0.1 and a free
port. Without /usr/bin/chromium or the playwright package the tests skip with the reason —
except under CI=true, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from petition_flow import clock

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Screenshots go to a scratch folder, so running the tests never changes the clone; the README's
# pictures are refreshed on purpose with PETITION_FLOW_SCREENSHOTS=docs/screenshots.
SCREENSHOTS = Path(os.environ.get("PETITION_FLOW_SCREENSHOTS")
                   or Path(tempfile.gettempdir()) / "petition_flow_screenshots")
if not SCREENSHOTS.is_absolute():
    SCREENSHOTS = ROOT / SCREENSHOTS
DEMO_PASSWORD = "baoji-demo-2026"


def _missing(chromium: str = CHROMIUM) -> str | None:
    if not Path(chromium).exists():
        return f"{chromium} 不存在（apt-get install chromium）"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "未安装 Python 包 playwright（pip install playwright）"
    return None


def require_browser(chromium: str = CHROMIUM) -> None:
    """Skip when the browser is missing — but fail under CI=true, where it is required."""
    reason = _missing(chromium)
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI 必须运行浏览器测试：{reason}")
        pytest.skip(f"跳过浏览器测试：{reason}")


@pytest.fixture(scope="session")
def browser_or_skip():
    require_browser()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from petition_flow.cli import main; "
            "sys.exit(main())", *args]


@pytest.fixture(scope="session")
def demo_env(browser_or_skip, tmp_path_factory) -> dict[str, str]:
    """A fresh demo instance; the environment that points the CLI at it."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PETITION_FLOW_")}
    env.update(PETITION_FLOW_INSTANCE=str(instance), PYTHONPATH=str(ROOT),
               PYTHONWARNINGS="ignore")
    subprocess.run(_cli("init", "--demo"), env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=300)
    return env


def run_cli(env: dict[str, str], *args: str) -> str:
    """Run ``petition-flow …`` on the demo instance (beside the running server); its output."""
    done = subprocess.run(_cli(*args), env=env, cwd=ROOT, check=True, capture_output=True,
                          text=True, timeout=300)
    return done.stdout


@pytest.fixture(scope="session")
def server(demo_env):
    """The demo instance served by waitress; yields its base URL."""
    env = demo_env
    port = _free_port()
    proc = subprocess.Popen(_cli("serve", "--port", str(port)), env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found and int(found.group(1)) == port, line + proc.stderr.read()
        base = found.group(0).rstrip("/")
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


@pytest.fixture(scope="session")
def chromium(browser_or_skip):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:2000]


def logout(page) -> None:
    page.click("header button:has-text('退出')")
    page.wait_for_url(re.compile(r"/login"))


def fire(page, trigger: str, *, fields: dict | None = None, selects: dict | None = None,
         checks: tuple[str, ...] = ()) -> None:
    """Open an action on the case page, fill its inputs, submit, and expect success."""
    form = page.locator(f'form[action$="/actions/{trigger}"]')
    details = page.locator("details.action", has=form)
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    for name, value in (selects or {}).items():
        form.locator(f'[name="{trigger}-{name}"]').select_option(label=value)
    for name, value in (fields or {}).items():
        form.locator(f'[name="{trigger}-{name}"]').fill(value)
    for name in checks:
        form.locator(f'[name="{trigger}-{name}"]').check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    confirm = page.locator("form.confirm")
    if confirm.count():  # an irreversible step shows its effect first and asks
        confirm.locator("button[type=submit]").click()
        page.wait_for_load_state()
    flash = page.locator(".flash-success")
    assert flash.count() == 1, page.locator(".errors").all_inner_texts()


def china_today() -> str:
    """Today as the app counts it (China time): the machine's date differs from 00:00 to
    08:00 China time, when a delivery dated by it would be refused as before receipt."""
    return clock.local_date(clock.now()).isoformat()
