"""The import graph of a package, read from the source with ``ast`` (nothing is imported).

Every ``import`` and ``from … import`` counts, wherever it stands: at module level, inside a
function (a deferred import is still a dependency, and deferring is how a circle hides) and
under ``if TYPE_CHECKING:`` (a type named from a module is a dependency on it). Relative
imports are resolved against the importing module. ``from pkg import name`` is an edge to the
module ``pkg.name`` when there is one, else to ``pkg`` itself (its ``__init__``). The parent
package Python imports implicitly before a submodule is not an edge: only what the code says.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "petition_flow"


@dataclass(frozen=True)
class Import:
    target: str  # absolute dotted name, as written (relative dots resolved)
    line: int


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def package_modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, package): p for p in sorted(package.rglob("*.py"))}


def imports(path: Path, package: Path = PACKAGE) -> list[Import]:
    """Every import in the file, relative ones made absolute; ``from a import b`` gives
    ``a.b`` (which ``resolve`` maps to the module ``a.b`` or to ``a``)."""
    name = module_name(path, package)
    # The package a relative import starts from: the module's own package, or itself
    # when the module is a package's __init__.
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                if len(base) != len(here) - (node.level - 1):
                    raise ValueError(f"{path}:{node.lineno}: relative import beyond the top")
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            found += [Import(f"{source}.{alias.name}", node.lineno) for alias in node.names
                      if alias.name != "*"] or [Import(source, node.lineno)]
    return found


def resolve(target: str, modules: dict[str, Path]) -> str | None:
    """The module of the package that ``target`` names (the longest dotted prefix that is
    one), or None for a module outside the package."""
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def import_graph(package: Path = PACKAGE) -> dict[str, dict[str, int]]:
    """module -> {imported module of the same package: first line that imports it}."""
    modules = package_modules(package)
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        edges: dict[str, int] = {}
        for imp in imports(path, package):
            target = resolve(imp.target, modules)
            if target is not None and target != name:
                edges[target] = min(edges.get(target, imp.line), imp.line)
        graph[name] = edges
    return graph


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively: the groups of modules that reach one another."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, {})))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


def shortest_circle(graph: dict[str, dict[str, int]], group: list[str]) -> list[str]:
    """One shortest circle through the first module of a group: [a, b, …, a]."""
    start, members = group[0], set(group)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node]):
            if child not in members:
                continue
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if child not in came_from:
                came_from[child] = node
                queue.append(child)
    raise AssertionError(f"{group} is not a circle")


def circles(package: Path = PACKAGE) -> list[str]:
    """Each import circle as one line naming its modules and the lines that close it."""
    graph = import_graph(package)
    out = []
    for group in strongly_connected(graph):
        loop = shortest_circle(graph, group)
        steps = [f"{a} (line {graph[a][b]})" for a, b in zip(loop, loop[1:], strict=False)]
        out.append(f"{len(group)} modules in a circle: {' -> '.join([*steps, loop[-1]])}"
                   + (f"; all of them: {', '.join(group)}" if len(group) > len(loop) - 1 else ""))
    return out
