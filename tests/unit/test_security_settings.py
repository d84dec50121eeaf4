"""The security settings: each one documented in the README with its default, and
overridable by PETITION_FLOW_<NAME> with a Chinese message for a bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from petition_flow.config import security_settings
from petition_flow.services.security import DEFAULTS, ThrottlePolicy

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_the_readme_lists_each_security_setting_with_its_default(name):
    row = next((line for line in README.splitlines() if line.startswith(f"| `{name}` |")), None)
    assert row is not None, name
    default = DEFAULTS[name]
    shown = row.split("|")[2].strip()
    if isinstance(default, bool):
        assert shown == ("on" if default else "off"), name
    else:
        assert shown.split()[0] == str(default), name


def test_environment_variables_override_the_defaults():
    out = security_settings({"PETITION_FLOW_SESSION_IDLE_MINUTES": "15",
                             "PETITION_FLOW_SESSION_COOKIE_SECURE": "true"})
    assert out["SESSION_IDLE_MINUTES"] == 15 and out["SESSION_COOKIE_SECURE"] is True
    assert out["PASSWORD_MIN_LENGTH"] == DEFAULTS["PASSWORD_MIN_LENGTH"]


@pytest.mark.parametrize("name, raw", [("PASSWORD_MIN_LENGTH", "eight"),
                                       ("SESSION_COOKIE_SECURE", "maybe"),
                                       ("LOGIN_DELAY_MAX_SECONDS", "-1")])
def test_a_bad_value_is_refused_naming_the_variable(name, raw):
    with pytest.raises(ValueError) as refused:
        security_settings({f"PETITION_FLOW_{name}": raw})
    assert f"PETITION_FLOW_{name}" in str(refused.value)


def test_the_sign_in_delay_doubles_and_stops_at_its_ceiling():
    policy = ThrottlePolicy()
    assert [policy.delay(n, 3).total_seconds() for n in (3, 4, 5, 6)] == [0, 2, 4, 8]
    assert policy.delay(40, 3).total_seconds() == 900
