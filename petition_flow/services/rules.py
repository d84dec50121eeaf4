"""What code reads from the loaded workflows instead of writing their ids again.

A state, trigger or clock id lives in workflows/*.yaml only (a test checks that no module
spells one): code asks by flag (``closes_case``, ``answered``, ``refusal``), by clock tag
(``measures: handling``) or by trigger tag (``tags: [delivery]``), over every loaded workflow.
"""

from __future__ import annotations

from ..domain.registry import DEFAULT_WORKFLOW, engines
from ..domain.spec import ClockRule, WorkflowSpec
from ..paths import templates_dir, workflows_dir


def specs() -> list[WorkflowSpec]:
    return [engine.spec for engine in engines(workflows_dir(), templates_dir()).values()]


def default_spec() -> WorkflowSpec:
    return engines(workflows_dir(), templates_dir())[DEFAULT_WORKFLOW].spec


def states_where(flag: str) -> tuple[str, ...]:
    """The states flagged ``flag`` in any workflow."""
    return tuple(dict.fromkeys(s for spec in specs() for s in spec.states_where(flag)))


def states_measured(what: str) -> tuple[str, ...]:
    """The states in which a clock measuring ``what`` runs, in any workflow."""
    return tuple(sorted({s for spec in specs() for s in spec.states_measured(what)}))


def clocks_measuring(what: str) -> dict[str, ClockRule]:
    """Clock id -> rule, for the clocks measuring ``what`` in any workflow."""
    return {c.id: c for spec in specs() for c in spec.clocks_measuring(what)}


def tagged(tag: str) -> tuple[str, ...]:
    """The triggers tagged ``tag`` in any workflow (their inputs are stored under that id)."""
    return tuple(dict.fromkeys(t for spec in specs() for t in spec.tagged(tag)))


def tagged_one(tag: str) -> str:
    """The one trigger tagged ``tag`` (the loader allows one per workflow)."""
    found = tagged(tag)
    if len(found) != 1:
        raise LookupError(f"workflows tag {len(found)} triggers {tag!r}; code expects one")
    return found[0]
