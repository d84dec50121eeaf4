"""The roles table is the one place that names roles: the README's table is generated from
it, and no other file of the application lists role names."""

from __future__ import annotations

import re
from pathlib import Path

from petition_flow.domain.roles import (
    NAV,
    PARTY_ACCESS,
    PERMISSIONS,
    ROLE_TABLE,
    ROLES_BY_ID,
    SCOPES,
    roles_markdown,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_roles_section_is_the_one_generated_from_the_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- roles:begin -->\n")[1].split("\n<!-- roles:end -->")[0]
    assert section == roles_markdown()


def test_every_role_uses_known_scopes_permissions_and_navigation_entries():
    for role in ROLE_TABLE:
        assert role.scope in SCOPES and role.parties in PARTY_ACCESS, role.id
        assert role.permissions <= set(PERMISSIONS), role.id
        assert set(role.nav) <= set(NAV), role.id
        assert role.stand_in is None or role.stand_in in ROLES_BY_ID, role.id
    assert len(ROLES_BY_ID) == len(ROLE_TABLE)


def _quoted_role_names(text: str) -> list[str]:
    names = "|".join(re.escape(r) for r in ROLES_BY_ID)
    return re.findall(rf"""["']({names})["']""", text)


def test_no_file_of_the_application_lists_role_names_outside_the_roles_table():
    offenders = []
    files = [*(ROOT / "petition_flow").rglob("*.py"), *(ROOT / "templates").rglob("*.html")]
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        if rel == "petition_flow/domain/roles.py" or "/migrations/" in rel:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "Blueprint(" in line:  # blueprint names (admin, reception) are not roles
                continue
            if _quoted_role_names(line):
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert offenders == []


def test_the_check_finds_a_role_name_written_in_a_line_of_code():
    assert _quoted_role_names('if actor.role == "county_supervisor":') == ["county_supervisor"]
    assert _quoted_role_names("role in ('handler', 'unit_leader')") == ["handler", "unit_leader"]
