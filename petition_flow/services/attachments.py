"""Attachments (附件) of a case: scanned letters, ID copies, evidence (issue 17).

- Type from content (domain/filetypes.py), never from the name; a size limit
  (``ATTACHMENT_MAX_BYTES``); both refused with a Chinese message before anything is stored.
- Content-addressed: a file is kept once under the SHA-256 of its bytes, whatever case or
  name it comes with; the hash is in the ``attachment_added`` audit entry, so what was attached
  can be proven byte for byte.
- Encrypted at rest with the instance's data key (keys.py; AES-256-GCM or SM4-GCM, crypto.py),
  the hash bound as associated data: a blob moved to another name does not open. The store
  sees ciphertext only (等保 数据保密性).
- Behind one storage interface, ``BlobStore`` (put / get / exists by name). ``LocalFolderStore``
  (``<instance>/attachments``, the default) is the only one shipped. An S3-compatible store
  (MinIO, for several servers sharing files) is one class of three methods over an S3 client
  — ``put_object``/``get_object``/``head_object`` on ``bucket/name`` — chosen in
  ``store_for`` by ``ATTACHMENT_STORE = "s3"``; nothing else changes, since encryption,
  hashing and checks happen above the store.
- Listed and downloaded through the disclosure policy (services/disclosure.py): a case the
  actor may not view (another county, a 检举控告 that names them, 第三十条第三款) answers
  "not found" for its attachments too; names and descriptions are masked like the case's
  other free text; the files themselves (an ID copy cannot be masked) only to those who need
  to know (第四十七条; 个人信息保护法第六条), each download audited.
- Thumbnails of images (Pillow), kept and encrypted like the files, shown to the same people.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import crypto, keys
from ..db import retry_conflicts, write_transaction
from ..domain.filetypes import ALLOWED_TEXT, TYPES, FileType, detect, download_name
from ..errors import NotFoundError, PermissionDenied, PetitionFlowError, ValidationError
from ..models import Attachment, Case, User
from .actor import Actor, require_act, require_view
from .audit import AuditBatch
from .disclosure import needs_to_know, text_for
from .petitions import load_case

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 10  # per upload
NAME_MAX = 200
DESCRIPTION_MAX = 200
THUMBNAIL_PX = 240
THUMBNAIL_MAX_PIXELS = 40_000_000  # larger images get no thumbnail (decompression bombs)
NOT_FOUND = "未找到该附件。"
MAGIC = b"PFA1"  # the envelope: MAGIC, "<aead> <key id>\n", nonce || ciphertext || tag


class AttachmentStoreError(PetitionFlowError):
    """The store lacks a file the database lists, or it does not open under our keys."""

    code = "attachment_store"


# --- the storage interface ----------------------------------------------------------------

class BlobStore(Protocol):
    """Where sealed attachment bytes live, by name (the plaintext's SHA-256)."""

    def put(self, name: str, blob: bytes) -> None: ...

    def get(self, name: str) -> bytes: ...

    def exists(self, name: str) -> bool: ...


class LocalFolderStore:
    """A folder (default ``<instance>/attachments``), two hex digits of fan-out per level."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        if len(name) != 64 or any(c not in "0123456789abcdef" for c in name):
            raise ValueError("not a SHA-256 name")
        return self.root / name[:2] / name

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def put(self, name: str, blob: bytes) -> None:
        path = self._path(name)
        if path.exists():
            return  # content-addressed: the same name holds the same content
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f"{name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def get(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            raise AttachmentStoreError(f"附件存储中缺少文件 {name[:12]}…，请从备份恢复附件目录。") \
                from None


def store_for(config: Mapping[str, Any], instance: Path) -> BlobStore:
    """The configured store: ``ATTACHMENT_STORE`` ("local", the default) and
    ``ATTACHMENT_FOLDER`` (default ``<instance>/attachments``)."""
    kind = config.get("ATTACHMENT_STORE", "local")
    if kind != "local":
        raise AttachmentStoreError(f"不支持的附件存储类型“{kind}”：目前只支持 local（实例目录）。")
    return LocalFolderStore(Path(config.get("ATTACHMENT_FOLDER") or Path(instance) /
                                 "attachments"))


# --- sealing ----------------------------------------------------------------------------

def _aad(name: str) -> bytes:
    return f"attachment:{name}".encode()


def seal_blob(name: str, data: bytes) -> bytes:
    ring = keys.active()
    body = crypto.seal_bytes(ring.aead, ring.data_keys[ring.current], data, _aad(name))
    return MAGIC + f"{ring.aead} {ring.current}\n".encode() + body


def open_blob(name: str, blob: bytes) -> bytes:
    ring = keys.active()
    try:
        header, body = blob[len(MAGIC):].split(b"\n", 1)
        aead, key_id = header.decode().split(" ")
        if not blob.startswith(MAGIC) or key_id not in ring.data_keys:
            raise ValueError
        data = crypto.open_bytes(aead, ring.data_keys[key_id], body, _aad(name))
    except (ValueError, UnicodeDecodeError, crypto.DecryptionError):
        raise AttachmentStoreError(f"附件 {name[:12]}… 无法解密或已被改动。") from None
    if hashlib.sha256(data).hexdigest() != name:
        raise AttachmentStoreError(f"附件 {name[:12]}… 的内容与其哈希不符：文件已被改动。")
    return data


# --- checking an upload -------------------------------------------------------------------

@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    description: str = ""


@dataclass(frozen=True)
class Checked:
    filename: str
    description: str
    data: bytes
    sha256: str
    filetype: FileType
    thumbnail: bytes | None


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 ", " ")
    return f"{max(size, 1) // 1024 or 1} KB" if size >= 1024 else f"{size} 字节"


def _refuse(message: str):
    raise ValidationError(message)


def _clean_name(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name[-NAME_MAX:] or "附件"


def check_upload(upload: Upload, max_bytes: int) -> Checked:
    """The upload if it may be attached; ValidationError (Chinese) if not."""
    name = _clean_name(upload.filename)
    if not upload.data:
        _refuse(f"文件“{name}”是空文件，未上传。")
    if len(upload.data) > max_bytes:
        _refuse(f"文件“{name}”过大（{size_text(len(upload.data))}），"
                f"每个附件不能超过{size_text(max_bytes)}；请压缩或拆分后再上传。")
    filetype = detect(upload.data)
    if filetype is None:
        _refuse(f"文件“{name}”不是允许的附件类型。只能上传{ALLOWED_TEXT}文件；"
                "系统按文件内容判断类型，改文件名无效。")
    description = (upload.description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        _refuse(f"附件说明不能超过{DESCRIPTION_MAX}字。")
    return Checked(name, description, upload.data, hashlib.sha256(upload.data).hexdigest(),
                   filetype, thumbnail(upload.data) if filetype.image else None)


def thumbnail(data: bytes) -> bytes | None:
    """A small PNG of an image, or None when it cannot (or should not) be decoded."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > THUMBNAIL_MAX_PIXELS:
                    return None
                image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
                out = io.BytesIO()
                image.convert("RGB").save(out, "PNG")
                return out.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning,
            Image.DecompressionBombError):
        return None


# --- use cases ----------------------------------------------------------------------------

def _store(store: BlobStore, data: bytes) -> str:
    name = hashlib.sha256(data).hexdigest()
    if not store.exists(name):
        store.put(name, seal_blob(name, data))
    return name


def check_uploads(uploads: list[Upload], max_bytes: int) -> list[Checked]:
    if len(uploads) > MAX_FILES:
        _refuse(f"一次最多上传{MAX_FILES}个附件。")
    return [check_upload(u, max_bytes) for u in uploads]


@retry_conflicts
def add_attachments(session: Session, actor: Actor, now: datetime, case_id: int,
                    uploads: list[Upload], store: BlobStore,
                    max_bytes: int = DEFAULT_MAX_BYTES) -> list[Attachment]:
    """Attach files to a case at its current step; each audited with its SHA-256."""
    if not uploads:
        _refuse("请选择要上传的文件。")
    with write_transaction(session):
        case = load_case(session, case_id)
        require_act(actor, case)
        checked = check_uploads(uploads, max_bytes)
        audit = AuditBatch(actor, now)
        rows = []
        for item in checked:
            _store(store, item.data)
            thumb = _store(store, item.thumbnail) if item.thumbnail else None
            row = Attachment(case_id=case.id, sha256=item.sha256, size=len(item.data),
                             kind=item.filetype.kind, filename=item.filename,
                             description=item.description, state=case.state,
                             thumbnail_sha256=thumb, uploaded_at=now,
                             uploaded_by_user_id=actor.user_id)
            session.add(row)
            session.flush()
            # No file name in the log: a name such as “王建国身份证.jpg” is personal data, and
            # the log reaches auditors and exports that never see the case's parties. The
            # attachment's id and hash say which file it was; its name stays on its row.
            audit.add("attachment_added", case_id=case.id, attachment_id=row.id,
                      sha256=item.sha256, size=row.size, kind=row.kind,
                      state=case.state, thumbnail_sha256=thumb)
            rows.append(row)
        audit.flush(session)
    return rows


@dataclass(frozen=True)
class AttachmentView:
    id: int
    filename: str
    description: str
    kind_label: str
    size_text: str
    sha256: str
    state: str
    uploaded_at: datetime
    uploaded_by: str
    has_thumbnail: bool


@dataclass(frozen=True)
class AttachmentList:
    items: list[AttachmentView]
    may_download: bool  # the disclosure policy lets this actor open the files
    may_upload: bool


def list_attachments(session: Session, actor: Actor, case: Case,
                     may_upload: bool) -> AttachmentList:
    """The case's attachments as this actor may see them (the case is already in view)."""
    require_view(actor, case)
    rows = session.execute(select(Attachment, User.display_name)
                           .outerjoin(User, User.id == Attachment.uploaded_by_user_id)
                           .where(Attachment.case_id == case.id)
                           .order_by(Attachment.id)).all()
    items = [AttachmentView(a.id, text_for(actor, case, a.filename),
                            text_for(actor, case, a.description), TYPES[a.kind].label,
                            size_text(a.size), a.sha256, a.state, a.uploaded_at,
                            who or "—", a.thumbnail_sha256 is not None)
             for a, who in rows]
    return AttachmentList(items, needs_to_know(actor, case), may_upload)


@dataclass(frozen=True)
class FileOut:
    filename: str
    mime: str
    data: bytes


def _opened(session: Session, actor: Actor, case_id: int, attachment_id: int) -> tuple:
    case = load_case(session, case_id)
    require_view(actor, case)  # out of scope or hidden (第三十条): not found
    row = session.get(Attachment, attachment_id)
    if row is None or row.case_id != case.id:
        raise NotFoundError(NOT_FOUND)
    if not needs_to_know(actor, case):
        raise PermissionDenied("附件可能含有信访人身份信息，按照信访人信息保密的要求，您的角色不能查看附件内容。")
    return case, row


@retry_conflicts
def download_attachment(session: Session, actor: Actor, now: datetime, case_id: int,
                        attachment_id: int, store: BlobStore) -> FileOut:
    """The file, after its download is written to the audit log."""
    with write_transaction(session):
        case, row = _opened(session, actor, case_id, attachment_id)
        data = open_blob(row.sha256, store.get(row.sha256))
        audit = AuditBatch(actor, now)
        audit.add("attachment_downloaded", case_id=case.id, attachment_id=row.id,
                  sha256=row.sha256)  # no file name: see add_attachments
        audit.flush(session)
    filetype = TYPES[row.kind]
    return FileOut(download_name(row.filename, filetype), filetype.mime, data)


def attachment_thumbnail(session: Session, actor: Actor, case_id: int, attachment_id: int,
                         store: BlobStore) -> bytes:
    """The PNG thumbnail of an image attachment, for those who may open the file."""
    _, row = _opened(session, actor, case_id, attachment_id)
    if row.thumbnail_sha256 is None:
        raise NotFoundError(NOT_FOUND)
    return open_blob(row.thumbnail_sha256, store.get(row.thumbnail_sha256))
