"""The workflows in use: every workflows/*.yaml, loaded and checked once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..errors import WorkflowError
from .engine import WorkflowEngine
from .loader import load_workflow_file

DEFAULT_WORKFLOW = "meixian_six_step"


def workflow_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())


@lru_cache(maxsize=8)
def engines(folder: Path, templates_dir: Path | None = None) -> dict[str, WorkflowEngine]:
    out: dict[str, WorkflowEngine] = {}
    for path in workflow_files(folder):
        spec = load_workflow_file(path, templates_dir)
        if spec.name in out:
            raise WorkflowError(f"{path.name}: name: 工作流名称“{spec.name}”重复。")
        out[spec.name] = WorkflowEngine(spec)
    return out
