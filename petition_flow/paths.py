"""Where the project's data folders are, from a checkout or from an installed wheel."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache  # where the package lies does not change while it runs; asked on every use case
def _data_dir(name: str) -> Path:
    # A checkout (or editable install) keeps the folders beside the package;
    # a wheel ships them inside it as petition_flow/_data/<name>.
    beside = _PACKAGE.parent / name
    if beside.is_dir():
        return beside
    return _PACKAGE / "_data" / name


def workflows_dir() -> Path:
    return Path(os.environ.get("PETITION_FLOW_WORKFLOWS", _data_dir("workflows")))


def templates_dir() -> Path:
    return _data_dir("templates")


def instance_dir() -> Path:
    """``./instance`` in the current directory unless PETITION_FLOW_INSTANCE names another."""
    return Path(os.environ.get("PETITION_FLOW_INSTANCE", "instance")).resolve()


def documents_dir() -> Path:
    """Issued PDFs, numbering.yaml and a county's own notice texts: ``<instance>/documents``
    unless PETITION_FLOW_DOCUMENTS names another folder."""
    named = os.environ.get("PETITION_FLOW_DOCUMENTS")
    return Path(named).resolve() if named else instance_dir() / "documents"
