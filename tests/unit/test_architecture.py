"""The rules of the house (architecture.md §3), checked on the source: dependencies point down,
only clock.py reads the wall clock, and every action a workflow may name is implemented."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import importgraph
import pytest

from petition_flow.domain.guards import ACTIONS
from petition_flow.services.actions import ACTION_IMPLEMENTATIONS

PACKAGE = Path(__file__).resolve().parents[2] / "petition_flow"
WALL_CLOCK_READS = ("datetime.now", "datetime.utcnow", "datetime.today", "date.today",
                    "time.time")
WEB_FRAMEWORK = ("flask", "werkzeug")
DATABASE = ("sqlalchemy",)


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


@cache
def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_roots(path: Path) -> set[str]:
    """Top-level names of the absolute imports in a module (``flask_login`` stays as is)."""
    roots = set()
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def is_forbidden(root: str, forbidden: tuple[str, ...]) -> bool:
    return any(root == name or root.startswith(f"{name}_") for name in forbidden)


def wall_clock_reads(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of ``datetime.now()``-style calls, import aliases resolved."""
    tree = parse(path)
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {a.asname or a.name: a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            aliases |= {a.asname or a.name: f"{node.module}.{a.name}" for a in node.names}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        parts, target = [], node.func
        while isinstance(target, ast.Attribute):
            parts.insert(0, target.attr)
            target = target.value
        if not isinstance(target, ast.Name):
            continue
        dotted = ".".join([aliases.get(target.id, target.id), *parts])
        if any(dotted == read or dotted.endswith(f".{read}") for read in WALL_CLOCK_READS):
            found.append((node.lineno, dotted))
    return sorted(found)


# --- dependencies point down ----------------------------------------------------------------

@pytest.mark.parametrize("path", modules("domain"), ids=relative)
def test_a_domain_module_imports_neither_the_web_framework_nor_the_database(path):
    bad = {r for r in imported_roots(path) if is_forbidden(r, WEB_FRAMEWORK + DATABASE)}

    assert not bad, f"{relative(path)} imports {sorted(bad)}"


# What of the package domain/ may import (relative imports resolved): itself and the errors.
DOMAIN_MAY_IMPORT = ("petition_flow.domain", "petition_flow.errors")


@pytest.mark.parametrize("path", modules("domain"), ids=relative)
def test_a_domain_module_imports_nothing_of_the_package_but_domain_and_errors(path):
    bad = [f"line {imp.line}: {imp.target}" for imp in importgraph.imports(path)
           if imp.target.startswith("petition_flow.") and not any(
               imp.target == ok or imp.target.startswith(f"{ok}.") for ok in DOMAIN_MAY_IMPORT)]

    assert bad == [], f"{relative(path)} reaches above domain/"


# What a use case may not import, directly or through a relative import: the web framework and
# werkzeug's request objects (password hashing from werkzeug.security is no web code), and the
# modules above services/ that are made of Flask.
WEB_LAYER = ("petition_flow.app", "petition_flow.cli", "petition_flow.extensions",
             "petition_flow.scheduler", "petition_flow.web", "petition_flow.api",
             "petition_flow.devtools")


def web_imports(path: Path, package: Path = PACKAGE) -> list[str]:
    """Imports of a module (relative ones resolved, function-level ones included) that are
    Flask, werkzeug's web objects or the web layer of petition_flow."""
    bad = []
    for imp in importgraph.imports(path, package):
        root = imp.target.split(".")[0]
        if is_forbidden(root, ("flask",)) or (
                root == "werkzeug" and not imp.target.startswith("werkzeug.security")) or any(
                imp.target == top or imp.target.startswith(f"{top}.") for top in WEB_LAYER):
            bad.append(f"line {imp.line}: {imp.target}")
    return bad


@pytest.mark.parametrize("path", modules("services"), ids=relative)
def test_a_service_module_does_not_import_flask(path):
    assert web_imports(path) == [], f"{relative(path)} imports the web layer"


def test_the_service_import_check_resolves_relative_and_deferred_imports(tmp_path):
    package = tmp_path / "petition_flow"
    (package / "services").mkdir(parents=True)
    sample = package / "services" / "sample.py"
    sample.write_text("from werkzeug.security import check_password_hash\n"
                      "from ..app import create_app\n"
                      "def f():\n    from flask import request\n"
                      "    from werkzeug.datastructures import FileStorage\n"
                      "    from ..web import common\n", encoding="utf-8")

    assert web_imports(sample, package) == ["line 2: petition_flow.app.create_app", "line 4: flask.request",
                     "line 5: werkzeug.datastructures.FileStorage",
                     "line 6: petition_flow.web.common"]


_PROBE = """
import importlib, json, pkgutil, sys
seen = {}
import petition_flow
seen["petition_flow"] = sorted(sys.modules)
import petition_flow.domain as domain
for info in pkgutil.iter_modules(domain.__path__, "petition_flow.domain."):
    importlib.import_module(info.name)
seen["domain"] = sorted(sys.modules)
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def loaded_after() -> dict[str, list[str]]:
    """Modules loaded in a fresh interpreter after ``import petition_flow``, and after importing
    every domain module as well (which would reveal a domain module reaching sqlalchemy
    through ``..models`` or ``..db``)."""
    result = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                            cwd=PACKAGE.parent, check=True, timeout=60)
    return json.loads(result.stdout)


def _framework_modules(names: list[str], forbidden: tuple[str, ...]) -> list[str]:
    return [n for n in names if is_forbidden(n.split(".")[0], forbidden)]


def test_importing_the_package_does_not_import_flask(loaded_after):
    assert _framework_modules(loaded_after["petition_flow"], WEB_FRAMEWORK + DATABASE) == []


def test_importing_every_domain_module_pulls_in_no_flask_and_no_sqlalchemy(loaded_after):
    assert {"petition_flow.domain.engine", "petition_flow.domain.loader"} <= set(
        loaded_after["domain"]
    )
    assert _framework_modules(loaded_after["domain"], WEB_FRAMEWORK + DATABASE) == []


# --- time is data ---------------------------------------------------------------------------

def test_no_module_but_clock_py_reads_the_wall_clock():
    reads = [f"{relative(path)}:{line} {name}()" for path in sorted(PACKAGE.rglob("*.py"))
             if path != PACKAGE / "clock.py" for line, name in wall_clock_reads(path)]

    assert reads == []


def test_the_wall_clock_check_does_find_the_read_in_clock_py():
    assert [name for _, name in wall_clock_reads(PACKAGE / "clock.py")] == [
        "datetime.datetime.now"
    ]


def test_the_wall_clock_check_sees_through_import_aliases(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import time\nfrom datetime import date as d, datetime as dt\nimport datetime\n"
        "a = dt.utcnow()\nb = d.today()\nc = time.time()\ne = datetime.datetime.now()\n"
        "f = clock.now()\n",
        encoding="utf-8",
    )

    assert wall_clock_reads(sample) == [
        (4, "datetime.datetime.utcnow"), (5, "datetime.date.today"), (6, "time.time"),
        (7, "datetime.datetime.now"),
    ]


# --- actions --------------------------------------------------------------------------------

def test_every_action_a_workflow_may_name_is_implemented_and_nothing_else_is():
    assert set(ACTION_IMPLEMENTATIONS) == set(ACTIONS)
    assert all(callable(f) for f in ACTION_IMPLEMENTATIONS.values())


def test_every_service_module_that_commits_starts_its_transactions_as_a_writer():
    """On SQLite a writer must take the lock before it reads (db.begin_write)."""
    services = Path(__file__).resolve().parents[2] / "petition_flow" / "services"
    for path in sorted(services.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "session.commit()" in source:
            assert "begin_write(" in source or "write_transaction(" in source, \
                f"{path.name} commits without begin_write"


# --- one unit of work ----------------------------------------------------------------------

# Commits outside db.write_transaction, each for a reason: the token's last-used stamp goes
# through a connection of its own so that a read never waits for it; delivery ends the
# caller's read transaction to show it what the channel sessions wrote.
OWN_COMMITS = {"petition_flow/services/tokens.py": 2, "petition_flow/services/notify.py": 1}
# Below the use cases (db.py is the helper, migrate.py runs Alembic) and the benchmark, which
# measures bare transactions and bulk loads on a scratch database.
NOT_USE_CASES = ("petition_flow/db.py", "petition_flow/migrate.py", "petition_flow/migrations/",
                 "petition_flow/devtools/bench.py")


def commits(path: Path) -> int:
    return sum(1 for node in ast.walk(parse(path)) if isinstance(node, ast.Call)
               and isinstance(node.func, ast.Attribute) and node.func.attr == "commit")


def test_every_write_commits_through_the_one_transaction_helper():
    """Services, the CLI, the scheduler, the pages and the API never call ``commit()``:
    db.write_transaction does (begin as a writer, commit once, roll back on error)."""
    found = {relative(path): n for path in sorted(PACKAGE.rglob("*.py"))
             if not relative(path).startswith(NOT_USE_CASES) and (n := commits(path))}

    assert found == OWN_COMMITS
