"""Running behind a reverse proxy (deploy/nginx/petition-flow.conf): whom to believe about
the client's address and scheme, Secure cookies and HSTS under HTTPS, and long-lived caching
of the static files, whose URLs carry a hash of their content.

- ``TRUSTED_PROXIES`` (default 0): the number of proxies in front that append to
  X-Forwarded-For and set X-Forwarded-Proto/-Host. With 0 these headers are ignored — anyone
  can send them — and the client address is the connection's. With 1 (nginx on the same
  machine) the address nginx appended is the client's; it is what the sign-in throttle, the
  session list and the audit log record.
- ``HTTPS`` (default off): users reach the site over HTTPS. The session and remember-me
  cookies are then ``Secure``, links are built as https://, and every answer carries
  ``Strict-Transport-Security`` (HSTS_SECONDS, one year by default).
- Static files: ``url_for('static', …)`` adds ``?v=<first 12 hex digits of the file's
  SHA-256>``; an answer to a URL whose ``v`` is the file's current hash may be cached for a
  year (``immutable``), any other static answer must be revalidated. An upgrade changes the
  hash of every changed file, so browsers never keep a stale script. nginx serving /static
  itself applies the same rule (deploy/nginx/petition-flow.conf).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .settings import trusted_proxies

HSTS_SECONDS = 365 * 24 * 3600
STATIC_MAX_AGE = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={STATIC_MAX_AGE}, immutable"
REVALIDATE = "no-cache"


def install_proxy(app: Flask) -> None:
    """ProxyFix for TRUSTED_PROXIES, HTTPS cookies and HSTS; call after the config is final."""
    count = trusted_proxies(app.config)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    https = bool(app.config.get("HTTPS"))
    if https:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True,
                          PREFERRED_URL_SCHEME="https")
        hsts = f"max-age={int(app.config.get('HSTS_SECONDS', HSTS_SECONDS))}"

        @app.after_request
        def _hsts(response):
            response.headers.setdefault("Strict-Transport-Security", hsts)
            return response


class StaticVersions:
    """The content hash of each static file, computed once per process (the files are part of
    the installed package and change only with an upgrade, which restarts the processes)."""

    def __init__(self, folder: Path):
        self.folder = folder.resolve()
        self._known: dict[str, str | None] = {}

    def of(self, filename: str) -> str | None:
        if filename not in self._known:
            path = (self.folder / filename).resolve()
            digest = None
            if path.is_file() and path.is_relative_to(self.folder):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            self._known[filename] = digest
        return self._known[filename]


def install_static_versions(app: Flask) -> None:
    versions = StaticVersions(Path(app.static_folder))
    app.extensions["petition_flow.static_versions"] = versions

    @app.url_defaults
    def _version(endpoint, values):
        if endpoint == "static" and "v" not in values:
            digest = versions.of(values.get("filename", ""))
            if digest:
                values["v"] = digest

    @app.after_request
    def _static_cache(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            current = versions.of(request.view_args.get("filename", "") if request.view_args
                                  else "")
            fresh = current is not None and request.args.get("v") == current
            response.headers["Cache-Control"] = IMMUTABLE if fresh else REVALIDATE
        return response
