"""The browser tests skip locally without Chromium, and fail under CI=true."""

import pytest

from tests.e2e.conftest import require_browser

pytestmark = pytest.mark.slow  # pyproject.toml: `-m "not slow"` leaves it out


def test_a_missing_chromium_skips_the_browser_tests_outside_ci(monkeypatch, tmp_path):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="跳过浏览器测试"):
        require_browser(str(tmp_path / "no-chromium"))


def test_a_missing_chromium_fails_the_browser_tests_under_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI 必须运行浏览器测试"):
        require_browser(str(tmp_path / "no-chromium"))
