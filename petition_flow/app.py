"""The Flask application factory: configuration, database session per request, extensions,
blueprints. Everything below services/ is unaware of Flask."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, g

from . import config, paths
from .db import PAGE_BUSY_TIMEOUT, WAITING_WRITERS, make_engine, make_session_factory
from .extensions import csrf, login_manager
from .settings import read_secret_key


def create_app(settings: dict[str, Any] | None = None, instance_path: Path | None = None) -> Flask:
    instance = Path(instance_path or paths.instance_dir())
    app = Flask(
        __name__, instance_path=str(instance), instance_relative_config=True,
        template_folder=str(paths.templates_dir()),
        static_folder=str(Path(__file__).resolve().parent / "static"),
    )
    app.config.update(
        DATABASE_URL=config.database_url(instance),
        SECRET_KEY=os.environ.get("PETITION_FLOW_SECRET_KEY") or _instance_secret(instance),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=8 * 3600,  # a working day; then log in again
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(settings or {})
    register_database(app)
    register_extensions(app)
    register_blueprints(app)
    return app


def _instance_secret(instance: Path) -> str:
    """A per-instance random key, created once and kept in the instance folder."""
    path = instance / "secret_key"
    if path.exists():
        return read_secret_key(path)  # empty or unreadable: a clear SettingsError at start
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def register_database(app: Flask) -> None:
    # Pages wait at most a few seconds for a held SQLite lock, then answer 503 (db.py).
    engine = app.config.get("ENGINE") or make_engine(
        app.config["DATABASE_URL"],
        busy_timeout=float(app.config.get("SQLITE_BUSY_TIMEOUT", PAGE_BUSY_TIMEOUT)),
        waiting_writers=int(app.config.get("SQLITE_WAITING_WRITERS", WAITING_WRITERS)))
    app.extensions["petition_flow.engine"] = engine
    app.extensions["petition_flow.sessions"] = make_session_factory(engine)

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_session():
    """The request's database session, opened on first use and closed on teardown."""
    from flask import current_app

    if "db_session" not in g:
        g.db_session = current_app.extensions["petition_flow.sessions"]()
    return g.db_session


def register_extensions(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Each role's pages and the JSON API register here."""
    from .api import init_app as register_api

    register_api(app)

    from .web import register_web

    register_web(app)
