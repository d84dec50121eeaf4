"""The workflow engines in use, and the one a case runs on.

Its own module, below petitions.py: calendars, repeats and alerts need the engines without
importing the use cases that need them (petitions imports calendars and repeats)."""

from __future__ import annotations

from ..domain.engine import WorkflowEngine
from ..domain.registry import engines
from ..models import Case
from ..paths import templates_dir, workflows_dir


def all_engines() -> dict[str, WorkflowEngine]:
    return engines(workflows_dir(), templates_dir())


def engine_for(case: Case) -> WorkflowEngine:
    return all_engines()[case.workflow]
