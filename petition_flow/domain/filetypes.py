"""Which kinds of file a case may carry as an attachment (附件), told from their content.

A file's name and the browser's declared type are whatever the sender chose; only the first
bytes say what a file is. Allowed: PDF, JPEG, PNG, OFD (GB/T 33190-2016, the national format of
electronic documents: a ZIP package with ``OFD.xml`` at its root), Word documents (DOCX: a ZIP
package with ``word/document.xml``; DOC: an OLE2 compound file). Anything else — an HTML page,
a script, another ZIP — is refused whatever it is called, so an attachment can never be served
as something a browser would run (等保 安全计算环境: 恶意代码防范).

A ZIP package is read by its central directory only: nothing is decompressed here.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    kind: str
    label: str
    mime: str
    extension: str
    image: bool = False


TYPES = {
    "pdf": FileType("pdf", "PDF 文件", "application/pdf", ".pdf"),
    "jpeg": FileType("jpeg", "JPEG 图片", "image/jpeg", ".jpg", image=True),
    "png": FileType("png", "PNG 图片", "image/png", ".png", image=True),
    "ofd": FileType("ofd", "OFD 版式文件", "application/ofd", ".ofd"),
    "docx": FileType("docx", "Word 文档", "application/vnd.openxmlformats-officedocument."
                     "wordprocessingml.document", ".docx"),
    "doc": FileType("doc", "Word 文档（97-2003）", "application/msword", ".doc"),
}
ALLOWED_TEXT = "PDF、JPEG、PNG、OFD、DOC/DOCX"

_PNG = b"\x89PNG\r\n\x1a\n"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
MAX_ZIP_ENTRIES = 10_000  # a Word document or OFD package has tens to hundreds


def detect(data: bytes) -> FileType | None:
    """The allowed type the content is, or None (refuse it)."""
    if data.startswith(b"%PDF-"):
        return TYPES["pdf"]
    if data.startswith(b"\xff\xd8\xff"):
        return TYPES["jpeg"]
    if data.startswith(_PNG):
        return TYPES["png"]
    if data.startswith(_OLE2):
        return TYPES["doc"]
    if data.startswith(_ZIP):
        return _package(data)
    return None


def _package(data: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            infos = package.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                return None
            names = {info.filename for info in infos}
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "OFD.xml" in names:
        return TYPES["ofd"]
    if "word/document.xml" in names and "[Content_Types].xml" in names:
        return TYPES["docx"]
    return None


def download_name(name: str, filetype: FileType) -> str:
    """The name a file is handed out under: its own stem with the extension of what it is
    (a PDF uploaded as ``信.html`` downloads as ``信.pdf``)."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return (stem.strip() or "附件") + filetype.extension
