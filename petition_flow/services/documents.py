"""Notices as official documents: GB/T 9704-2012 《党政机关公文格式》 layout, PDF, 发文字号.

A notice's text is rendered from its template (services/notices.py); this module lays it out
as a document and renders it to PDF with WeasyPrint (a maintained HTML/CSS → PDF library that
embeds and subsets the fonts, supports @page margins and margin boxes for page numbers, and
writes the same bytes for the same input when the metadata dates and the file identifier are
given — what keeping "what was handed over" byte for byte needs; headless browsers embed
their own creation time and are far heavier to run in a county's server).

The layout, as far as the standard applies to a notice (points of GB/T 9704-2012):
- §5.2.1 A4; §5.2.2 版心 156 mm × 225 mm: margins 上37 下35 左28 右26 mm;
- §7.2.1/§7.2.4 版头: the issuing organ in red 小标宋, the 发文字号 below it
  (机关代字〔年份〕序号号), a red separator line (§7.2.6);
- §7.3.1 title: 2号小标宋 (22 pt), centred; §7.3.3 body: 3号仿宋 (16 pt), 22 lines a page;
- §7.3.5.1 发文机关署名 and 成文日期 at the lower right (date 右空四字, the organ centred over
  it), two lines left above them for the 印章; kept on one page with the last paragraph so
  the signature never stands alone on a page (§7.3.5.4);
- §7.5 页码: 4号半角宋体, "— 1 —", odd pages right and even pages left, one character in.
The standard fonts (方正小标宋, 仿宋_GB2312) are not free: each stack names them first and
falls back to the CJK fonts Debian installs (fonts-noto-cjk), so a deployment that installs
the real ones gets them without a change here.

A notice that is served on the petitioner gets a 送达回证 slip (受送达人签收) after a cut
line. The PDF is kept content-addressed in the instance folder under its SHA-256, which also
goes into the ``notice_issued`` audit entry.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from ..clock import CHINA_TZ
from ..models import DocumentNumber, Region
from ..paths import documents_dir
from .dbutil import bump_counter

DEFAULT_PATTERN = "{agency}{type}〔{year}〕{seq}号"
DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")

TITLE_FONTS = ('"方正小标宋简体", "FZXiaoBiaoSong-B05S", "方正小标宋_GBK", '
               '"Noto Serif CJK SC", "Source Han Serif SC", serif')
BODY_FONTS = ('"仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", '
              '"Noto Serif CJK SC", "Source Han Serif SC", serif')
PAGE_NO_FONTS = '"宋体", "SimSun", "Noto Serif CJK SC", serif'

LINE = "28.9pt"  # 225 mm / 22 lines (§5.2.2)

CSS = f"""
@page {{
  size: A4;
  margin: 37mm 26mm 35mm 28mm;
}}
@page :right {{
  @bottom-right {{ content: "— " counter(page) " —"; font-family: {PAGE_NO_FONTS};
    font-size: 14pt; vertical-align: top; padding-top: 7mm; margin-right: 1em; }}
}}
@page :left {{
  @bottom-left {{ content: "— " counter(page) " —"; font-family: {PAGE_NO_FONTS};
    font-size: 14pt; vertical-align: top; padding-top: 7mm; margin-left: 1em; }}
}}
html {{ font-family: {BODY_FONTS}; font-size: 16pt; line-height: {LINE}; color: #000; }}
body {{ margin: 0; }}
p {{ margin: 0; text-align: justify; }}
.masthead {{ text-align: center; color: #c00; }}
.masthead .organ {{ font-family: {TITLE_FONTS}; font-size: 26pt; line-height: 36pt;
  letter-spacing: 0.1em; }}
.masthead .docno {{ color: #000; margin-top: 6pt; }}
.masthead hr {{ border: 0; border-top: 1.2pt solid #c00; margin: 4mm 0 {LINE} 0; }}
h1 {{ font-family: {TITLE_FONTS}; font-size: 22pt; font-weight: bold; line-height: 33pt;
  text-align: center; margin: 0 0 {LINE} 0; }}
.closing {{ break-inside: avoid; page-break-inside: avoid; }}
.signature {{ text-align: right; margin-top: calc(2 * {LINE}); }}
.signature .block {{ display: inline-block; text-align: center; margin-right: 4em; }}
.service {{ break-inside: avoid; page-break-inside: avoid; margin-top: {LINE};
  font-size: 14pt; line-height: 24pt; }}
.service .cut {{ border-top: 1pt dashed #000; text-align: center; font-size: 10.5pt;
  line-height: 16pt; padding-top: 2pt; }}
.service h2 {{ font-family: {TITLE_FONTS}; font-size: 18pt; text-align: center; margin: 4pt 0; }}
.service table {{ width: 100%; border-collapse: collapse; }}
.service th, .service td {{ border: 0.75pt solid #000; padding: 2pt 6pt; text-align: left;
  vertical-align: top; font-weight: normal; }}
.service th {{ width: 7em; }}
.service td.sign {{ height: 48pt; }}
"""


@dataclass(frozen=True)
class Parts:
    """A notice's text cut into the pieces the layout places: the title, the paragraphs, the
    signature (issuing organ) and the date. The templates write the title on the first line
    and the signature and date on the last two (see templates/notices/)."""

    title: str
    paragraphs: tuple[str, ...]
    organ: str | None
    date: str | None

    @property
    def addressee(self) -> str | None:
        """The salutation (主送): the first short paragraph ending in a colon."""
        for p in self.paragraphs[:4]:
            text = p.strip("　 ")
            if text.endswith("：") and not p.startswith("　") and len(text) <= 120 and \
                    not text.startswith("信访件编号"):
                return text[:-1]
        return None


def parts(body: str) -> Parts:
    lines = [line.rstrip() for line in body.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line.strip()]
    if not lines:
        return Parts("", (), None, None)
    title = lines.pop(0).strip("　 ")
    organ = date = None
    if len(lines) >= 2 and DATE_LINE.match(lines[-1].strip("　 ")):
        date = lines.pop().strip("　 ")
        organ = lines.pop().strip("　 ")
    return Parts(title, tuple(lines), organ, date)


@dataclass(frozen=True)
class Document:
    """What the renderer needs; everything else comes from the text itself."""

    body: str
    doc_no: str | None
    issued_at: datetime
    served: bool


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def document_html(doc: Document) -> str:
    """The document as one HTML page (the PDF's source and the print view's)."""
    part = parts(doc.body)
    paras = list(part.paragraphs)
    # The last paragraph (特此告知。 or the closing sentence) stays with the signature.
    tail = paras[-1:] if part.organ else []
    head = paras[:-1] if part.organ else paras
    out = ['<article class="document">']
    if part.organ:
        out.append('<header class="masthead">'
                   f'<div class="organ">{html.escape(part.organ)}</div>'
                   + (f'<div class="docno">{html.escape(doc.doc_no)}</div>' if doc.doc_no else "")
                   + "<hr></header>")
    out.append(f"<h1>{html.escape(part.title)}</h1>")
    out.append('<div class="text">' + "".join(_p(p) for p in head) + "</div>")
    if part.organ:
        out.append('<div class="closing">' + "".join(_p(p) for p in tail)
                   + '<div class="signature"><div class="block">'
                   f'<p class="organ">{html.escape(part.organ)}</p>'
                   f'<p class="date">{html.escape(part.date or "")}</p></div></div></div>')
    if doc.served:
        out.append(service_slip_html(part, doc.doc_no))
    out.append("</article>")
    return "".join(out)


def service_slip_html(part: Parts, doc_no: str | None) -> str:
    """送达回证: the petitioner signs for the notice (the slip is cut off and kept on file)."""
    what = part.title + (f"（{doc_no}）" if doc_no else "")
    rows = [("送达文书", html.escape(what)), ("受送达人", html.escape(part.addressee or "")),
            ("送达方式", "□ 直接送达　□ 邮寄送达　□ 留置送达　□ 其他"), ("送达地点", ""),
            ("送达人", ""), ("备　　注", "")]
    cells = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows[:4])
    cells += ('<tr><th>受送达人签收</th><td class="sign">（签名或盖章）'
              '<br>　　　　　　　　　　　　年　　月　　日</td></tr>')
    cells += "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows[4:])
    return ('<section class="service"><div class="cut">（沿此线剪下，由送达人带回存档）</div>'
            f"<h2>送达回证</h2><table>{cells}</table></section>")


def _w3c(instant: datetime) -> str:
    return instant.astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M:%S+08:00")


def page_html(doc: Document) -> str:
    part = parts(doc.body)
    stamp = _w3c(doc.issued_at)
    return ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{html.escape(part.title)}</title>"
            f'<meta name="author" content="{html.escape(part.organ or "")}">'
            f'<meta name="dcterms.created" content="{stamp}">'
            f'<meta name="dcterms.modified" content="{stamp}">'
            f"<style>{CSS}</style></head><body>{document_html(doc)}</body></html>")


def render_pdf(doc: Document) -> bytes:
    """The PDF, the same bytes for the same document: its dates come from ``issued_at`` and
    its file identifier from the text, nothing from the clock or a random source."""
    import weasyprint  # loads pango on first use; the rest of the app does not need it

    source = page_html(doc)
    identifier = hashlib.sha256(source.encode()).hexdigest()[:32].encode()
    return weasyprint.HTML(string=source).write_pdf(pdf_identifier=identifier)


def merge_pdfs(files: list[bytes]) -> bytes:
    """Several documents as one PDF for printing (each keeps its own page numbers)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for data in files:
        writer.append(io.BytesIO(data))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _store() -> Path:
    return documents_dir() / "pdf"


def pdf_path(digest: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValueError(digest)
    return _store() / digest[:2] / f"{digest}.pdf"


def keep(data: bytes) -> str:
    """Store the PDF under its SHA-256 (written once, atomically) and return the hash."""
    digest = sha256(data)
    path = pdf_path(digest)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return digest


def kept(digest: str) -> bytes | None:
    """The stored PDF, if present and still matching its hash."""
    path = pdf_path(digest)
    if not path.is_file():
        return None
    data = path.read_bytes()
    return data if sha256(data) == digest else None


# --- when to render ------------------------------------------------------------------------

def seal(document: Document) -> str:
    """The SHA-256 of everything a notice's PDF is made from (text, number, issue time, whether
    it is served): kept in its ``notice_issued`` audit entry, so a PDF rendered later can be
    shown to be the one the issuer made, and a row changed since can be refused."""
    issued = document.issued_at.astimezone(UTC).isoformat()
    canonical = json.dumps({"body": document.body, "doc_no": document.doc_no,
                            "issued_at": issued, "served": document.served},
                           ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- 发文字号 -------------------------------------------------------------------------------

def numbering_file() -> Path:
    return documents_dir() / "numbering.yaml"


def numbering() -> dict:
    """The instance's ``numbering.yaml``: ``pattern`` and per-county ``agencies`` (机关代字),
    e.g. ``{pattern: "{agency}{type}〔{year}〕{seq}号", agencies: {meixian: 眉信访}}``."""
    path = numbering_file()
    if not path.is_file():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return loaded if isinstance(loaded, dict) else {}


def agency_code(region: Region, config: dict | None = None) -> str:
    """机关代字 of the county's petition bureau: configured, or the county's short name and
    信访 (眉县 → 眉信访, 金台区 → 金台信访, 陇县 → 陇信访)."""
    config = numbering() if config is None else config
    configured = (config.get("agencies") or {}).get(region.code)
    if configured:
        return str(configured)
    short = region.name
    if len(short) > 1 and short[-1] in "县区市":
        short = short[:-1]
    return f"{short}信访"


def next_doc_no(session: Session, region: Region, year: int, doc_type: str) -> str:
    """The next 发文字号 of this county, year and type (GB/T 9704-2012 §7.2.4: year in 〔〕,
    sequence without leading zeros and without 第). The counter row is locked, and a unique
    index on ``notices.doc_no`` refuses a duplicate however it came about."""
    seq = bump_counter(session, DocumentNumber,
                       {"region_id": region.id, "year": year, "doc_type": doc_type})
    config = numbering()
    pattern = str(config.get("pattern") or DEFAULT_PATTERN)
    return pattern.format(agency=agency_code(region, config), type=doc_type, year=year,
                          seq=seq)
