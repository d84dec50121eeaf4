"""Settings: defaults, overridden by PETITION_FLOW_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from . import paths

DB_FILENAME = "petition_flow.sqlite3"


def database_url(instance: Path | None = None) -> str:
    """PETITION_FLOW_DATABASE_URL, else SQLite in the instance folder (the embedded default)."""
    url = os.environ.get("PETITION_FLOW_DATABASE_URL")
    if url:
        return url
    folder = instance or paths.instance_dir()
    return f"sqlite:///{folder / DB_FILENAME}"
