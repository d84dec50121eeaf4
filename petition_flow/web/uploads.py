"""File uploads of the pages: the attachment store and limits from the app's settings, and
the files of a multipart form as services/attachments.Upload."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, request

from ..services.attachments import DEFAULT_MAX_BYTES, Upload, store_for


def store():
    return store_for(current_app.config, Path(current_app.instance_path))


def max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def uploads_from(field: str = "files") -> list[Upload]:
    """The files of a multipart form (an empty file input sends one nameless, empty part)."""
    description = (request.form.get("description") or "").strip()
    return [Upload(f.filename or "", f.read(), description)
            for f in request.files.getlist(field) if f.filename]
