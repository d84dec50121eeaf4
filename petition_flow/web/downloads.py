"""Streamed downloads (CSV/XLSX exports) for every blueprint."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import quote

from flask import Response, current_app, stream_with_context

from ..services import exports


def download(body: Iterator[bytes], fmt: str, name: str) -> Response:
    """A streamed file download with a Chinese file name (RFC 5987)."""
    filename = quote(f"{name}.{fmt}")
    return Response(stream_with_context(body), content_type=exports.FORMATS[fmt], headers={
        "Content-Disposition": f"attachment; filename=export.{fmt}; filename*=UTF-8''{filename}",
        "Cache-Control": "no-store"})


def with_own_session(make: Callable) -> Iterator:
    """Rows read while the response streams, from a session of their own: the request's
    session is closed when the view returns, before the first byte is sent."""
    session = current_app.extensions["petition_flow.sessions"]()
    try:
        yield from make(session)
    finally:
        session.close()
