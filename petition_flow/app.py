"""The Flask application factory: configuration, database session per request, extensions,
blueprints. Everything below services/ is unaware of Flask."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from . import config, paths
from .db import (
    PAGE_BUSY_TIMEOUT,
    WAITING_WRITERS,
    close_request_session,
    make_engine,
    make_session_factory,
)
from .extensions import csrf, login_manager
from .instance import secure_folder, secure_sqlite, write_private
from .models import MAX_ID
from .proxy import install_proxy, install_static_versions
from .settings import read_secret_key

# Views whose requests may be larger than MAX_CONTENT_LENGTH (file uploads), and the setting
# that bounds them; a larger request gets the Chinese 413 page (web/errors.py).
UPLOAD_ENDPOINTS = {"admin.calendar_upload": "UPLOAD_MAX_CONTENT_LENGTH",
                    "handling.case_attach": "ATTACHMENT_MAX_CONTENT_LENGTH",
                    "reception.petition_create": "ATTACHMENT_MAX_CONTENT_LENGTH"}


def create_app(settings: dict[str, Any] | None = None, instance_path: Path | None = None) -> Flask:
    instance = Path(instance_path or paths.instance_dir())
    app = Flask(
        __name__, instance_path=str(instance), instance_relative_config=True,
        template_folder=str(paths.templates_dir()),
        static_folder=str(Path(__file__).resolve().parent / "static"),
    )
    secure_folder(instance)
    app.config.update(
        DATABASE_URL=config.database_url(instance),
        SECRET_KEY=os.environ.get("PETITION_FLOW_SECRET_KEY") or _instance_secret(instance),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
    )
    # Session limits, throttling, password policy, body limits, SESSION_COOKIE_SECURE,
    # TRUSTED_PROXIES and HTTPS (proxy.py).
    app.config.update(config.security_settings())
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(settings or {})
    install_proxy(app)  # TRUSTED_PROXIES, HTTPS: reads the final config
    install_static_versions(app)
    register_database(app)
    try:
        _refuse_other_code(app)
        register_requests(app)
        register_extensions(app)
        register_blueprints(app)
    except BaseException:
        # A refused start closes the pool it opened (the stamp check has connected); an
        # engine passed in as ENGINE belongs to the caller.
        if app.config.get("ENGINE") is None:
            app.extensions["petition_flow.engine"].dispose()
        raise
    return app


def _refuse_other_code(app: Flask) -> None:
    """A web worker on code other than the database's stamp does not start (stamp.py)."""
    from .settings import SettingsError
    from .stamp import check_engine

    problem = check_engine(app.extensions["petition_flow.engine"])
    if problem:
        raise SettingsError([problem, "网页服务未启动。"])


def _instance_secret(instance: Path) -> str:
    """A per-instance random key, created once (mode 0600) and kept in the instance folder."""
    path = instance / "secret_key"
    if path.exists():
        try:
            path.chmod(0o600)
        except OSError:
            pass  # read_secret_key says what is wrong with a file we cannot even chmod
        return read_secret_key(path)  # empty or unreadable: a clear SettingsError at start
    key = secrets.token_hex(32)
    write_private(path, key)
    return key


class BoundedInt(IntegerConverter):
    """``<int:…>`` that matches only ids a row can have: 2^63 is "not found", not a 500."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_requests(app: Flask) -> None:
    """Request hygiene: bounded integer routes, one body limit (larger only for uploads)."""
    app.url_map.converters["int"] = BoundedInt

    @app.before_request
    def _upload_limit():
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = app.config[UPLOAD_ENDPOINTS[request.endpoint]]

    @app.before_request
    def _refuse_nul():
        # No database stores NUL (PostgreSQL refuses it in text): refuse it in any query or
        # form value at the door, with a message, instead of a 500 further in.
        for values in (request.args, request.form):
            for key, value in values.items(multi=True):
                if "\x00" in key or "\x00" in value:
                    raise BadRequest(description="提交的内容包含空字符（NUL），无法处理，请删除后重试。")


def register_database(app: Flask) -> None:
    # Pages wait at most a few seconds for a held SQLite lock, then answer 503 (db.py).
    if app.config.get("ENGINE") is None:
        secure_sqlite(app.config["DATABASE_URL"])
    engine = app.config.get("ENGINE") or make_engine(
        app.config["DATABASE_URL"],
        busy_timeout=float(app.config.get("SQLITE_BUSY_TIMEOUT", PAGE_BUSY_TIMEOUT)),
        waiting_writers=int(app.config.get("SQLITE_WAITING_WRITERS", WAITING_WRITERS)))
    app.extensions["petition_flow.engine"] = engine
    app.extensions["petition_flow.sessions"] = make_session_factory(engine)
    app.teardown_appcontext(close_request_session)


def register_extensions(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Each role's pages and the JSON API register here."""
    from .api import init_app as register_api

    register_api(app)

    from .web import register_web

    register_web(app)
