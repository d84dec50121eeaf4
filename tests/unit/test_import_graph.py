"""No import circle among the modules of petition_flow (issue #14): the graph is read from the
source (tests/importgraph.py says what counts as an import), and a circle fails by name."""

from __future__ import annotations

import textwrap

from importgraph import circles, import_graph


def _package(tmp_path, files: dict[str, str]):
    root = tmp_path / "pkg"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_the_modules_of_petition_flow_import_one_another_without_a_circle():
    assert circles() == []


def test_the_graph_sees_the_layers_it_is_meant_to_keep_apart():
    graph = import_graph()

    assert "petition_flow.db" in graph["petition_flow.web.common"]
    assert "petition_flow.services.petitions" in graph["petition_flow.devtools.demo"]
    assert "petition_flow.web.handling.blueprint" in graph["petition_flow.web.handling.views"]


def test_relative_imports_resolve_to_the_module_they_name(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "db.py": "",
        "sub/__init__.py": "from . import views\nfrom .. import db\n",
        "sub/views.py": "from ..db import x\nfrom . import helper\n",
        "sub/helper.py": "import pkg.db\n",
    })

    assert import_graph(root) == {
        "pkg": {}, "pkg.db": {},
        "pkg.sub": {"pkg.sub.views": 1, "pkg.db": 2},
        "pkg.sub.views": {"pkg.db": 1, "pkg.sub.helper": 2},
        "pkg.sub.helper": {"pkg.db": 1},
    }


def test_a_circle_closed_by_an_import_inside_a_function_is_found_and_named(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from .b import f\n",
        "b.py": "def f():\n    from .c import g\n    return g\n",
        "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import T\n",
        "d.py": "from . import a\n",
    })

    assert circles(root) == [
        "3 modules in a circle: pkg.a (line 1) -> pkg.b (line 2) -> pkg.c (line 3) -> pkg.a"
    ]


def test_a_blueprint_package_whose_views_import_bp_from_its_face_is_a_circle(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "web/__init__.py": "bp = object()\nfrom . import views\n",
        "web/views.py": "from . import bp\n",
    })

    assert circles(root) == [
        "2 modules in a circle: pkg.web (line 2) -> pkg.web.views (line 1) -> pkg.web"
    ]
