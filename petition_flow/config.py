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


def security_settings(environ: dict[str, str] | None = None) -> dict:
    """The security settings (services/security.py DEFAULTS), each overridable by an
    environment variable PETITION_FLOW_<NAME> (integers; booleans as 1/0, true/false)."""
    from .services.security import DEFAULTS

    environ = os.environ if environ is None else environ
    out = dict(DEFAULTS)
    for name, default in DEFAULTS.items():
        raw = environ.get(f"PETITION_FLOW_{name}")
        if raw is None or not raw.strip():
            continue
        if isinstance(default, bool):
            if raw.strip().lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(f"PETITION_FLOW_{name} 应为 1/0 或 true/false，而不是“{raw}”。")
            out[name] = raw.strip().lower() in ("1", "true", "yes", "on")
        else:
            try:
                out[name] = int(raw)
            except ValueError:
                raise ValueError(f"PETITION_FLOW_{name} 应为整数，而不是“{raw}”。") from None
            if out[name] < 0:
                raise ValueError(f"PETITION_FLOW_{name} 不能为负数。")
    return out


def load_settings(instance: Path | None = None) -> dict:
    """Security settings as the web server sees them: defaults, environment, then the
    instance folder's config.py (the command line applies the same policy)."""
    out = security_settings()
    path = (instance or paths.instance_dir()) / "config.py"
    if path.exists():
        scope: dict = {}
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), scope)  # noqa: S102
        out.update({k: v for k, v in scope.items() if k.isupper()})
    return out
