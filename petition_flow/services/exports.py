"""Exports (导出): case lists, statistics and the audit log as CSV and XLSX.

- CSV is UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly.
- XLSX is written with openpyxl in write-only mode: rows go to a temporary file as they come,
  the workbook is zipped at the end and sent in chunks.
- Rows are produced in chunks (keyset paging by id or sequence number), so an export of a
  million rows holds one chunk in memory, never the whole list (measured: ``petition-flow
  bench`` does not cover it yet; ``tests/integration/test_exports.py`` checks the chunking).
- Petitioners appear as the disclosure policy shows them for the purpose "export"
  (services/disclosure.py): masked, by the one masking function.
- Every export is written to the audit log (who, what, which filters, which format) in its own
  transaction before the first row is sent.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import CHINA_TZ
from ..db import write_transaction
from ..domain.guards import CATEGORIES
from ..domain.labels import audit_label
from ..domain.roles import ROLE_LABELS
from ..errors import ValidationError
from ..models import AuditEntry, Party, Region, Unit
from . import queries
from .actor import Actor, require_permission
from .audit import AuditBatch
from .disclosure import REFUSED, UNMASKED, decide, full_party, mask_party
from .notices import CHANNELS
from .statistics import Report, format_figure

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
BOM = "\ufeff"
CHUNK_BYTES = 64 * 1024
AUDIT_CHUNK = 1000


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValidationError("导出格式无效：应为 csv 或 xlsx。", fields={"format": "应为 csv 或 xlsx。"})
    return fmt


def record_export(session: Session, actor: Actor, now: datetime, what: str, fmt: str,
                  filters: dict) -> None:
    """Write the export to the audit log (its own transaction, before any row is sent)."""
    with write_transaction(session):
        audit = AuditBatch(actor, now)
        audit.add("exported", what=what, format=fmt,
                  filters={k: v for k, v in filters.items() if v not in (None, "", False)})
        audit.flush(session)


# --- writers -------------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def csv_chunks(rows: Iterable[list]) -> Iterator[bytes]:
    """CSV with BOM, yielded about every 64 KiB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    for row in rows:
        writer.writerow([_cell_text(v) for v in row])
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(sheets: Iterable[tuple[str, Iterable[list]]]) -> Iterator[bytes]:
    """An XLSX workbook, one sheet per (title, rows); a first row is the header."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        for row in rows:
            cells = []
            for value in row:
                if isinstance(value, Percent):
                    cell = WriteOnlyCell(sheet, value=value.value)
                    cell.number_format = "0.0%"
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
        out.seek(0)
        while chunk := out.read(CHUNK_BYTES):
            yield chunk


class Percent:
    """A rate: a fraction in XLSX (shown as a percentage), "66.7%" in CSV."""

    def __init__(self, value: float, text: str):
        self.value, self.text = value, text

    def __str__(self) -> str:
        return self.text


def chunks(fmt: str, title: str, rows: Iterable[list]) -> Iterator[bytes]:
    return csv_chunks(rows) if fmt == "csv" else xlsx_chunks([(title, rows)])


# --- what is exported ----------------------------------------------------------------------

CASE_HEADER = ["信访件编号", "县（区）", "收到时间", "信访渠道", "类别", "事项摘要", "状态", "承办单位",
               "首办单位", "最近截止日期", "办结时间", "信访人", "身份证号", "联系电话"]


def _local(instant: datetime | None) -> str:
    return instant.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if instant else ""


def case_rows(session: Session, actor: Actor, filters: queries.CaseFilters, today: date,
              state_labels: dict[str, str]) -> Iterator[list]:
    """The filtered case list, every page of it, petitioners as the policy shows them.
    Filters and permission are checked now, before anything is sent."""
    queries.check_filters(session, actor, filters, today)
    return _case_rows(session, actor, filters, today, state_labels)


def _case_rows(session, actor, filters, today, state_labels) -> Iterator[list]:
    regions = dict(session.execute(select(Region.id, Region.name)).all())
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    yield CASE_HEADER
    for chunk in queries.iter_cases(session, actor, filters, today):
        ids = [c.id for c, _ in chunk]
        parties: dict[int, list[Party]] = {}
        for p in session.execute(select(Party).where(Party.case_id.in_(ids))
                                 .order_by(Party.id)).scalars():
            parties.setdefault(p.case_id, []).append(p)
        for case, due in chunk:
            decision = decide(actor, case, "export")
            if decision == REFUSED:
                continue
            show = full_party if decision == UNMASKED else mask_party
            shown = [show(p) for p in parties.get(case.id, [])]
            yield [case.case_no, regions.get(case.region_id, ""), _local(case.received_at),
                   CHANNELS.get(case.channel, case.channel),
                   CATEGORIES.get(case.category or "", ""), case.summary,
                   state_labels.get(case.state, case.state),
                   units.get(case.responsible_unit_id, ""),
                   units.get(case.first_handler_unit_id, ""),
                   due.isoformat() if due else "", _local(case.closed_at),
                   "、".join(p.name for p in shown), "、".join(p.id_number for p in shown if
                                                          p.id_number),
                   "、".join(p.phone for p in shown if p.phone)]
        for plist in parties.values():
            for p in plist:
                if p in session:
                    session.expunge(p)


def statistics_rows(report: Report, group_label: str, as_text: bool) -> Iterator[list]:
    """One row per group and the total row: as the page shows each figure (CSV), or as
    numbers with rates formatted as percentages (XLSX)."""
    yield [group_label, *(d.name for d in report.definitions)]
    for group in [*report.groups, report.total]:
        row: list = [group.label]
        for d in report.definitions:
            figure = group.figures[d.key]
            if as_text:
                row.append(format_figure(d, figure))
            elif d.kind == "rate" and figure.value is not None:
                row.append(Percent(figure.value, format_figure(d, figure)))
            else:
                row.append(figure.value)
        yield row


def definition_rows(report: Report) -> Iterator[list]:
    yield ["指标", "口径", "统计期间"]
    for d in report.definitions:
        yield [d.name, d.formula, f"{report.period.start} 至 {report.period.end}（北京时间）"]


AUDIT_HEADER = ["序号", "时间（北京时间）", "用户名", "角色", "操作", "信访事项编号（内部）", "原状态",
                "新状态", "详情", "前一条哈希", "本条哈希"]


def audit_rows(session: Session, actor: Actor, start: date, end: date) -> Iterator[list]:
    """The audit log of a period (China-time days), in chain order, with the chain hashes."""
    require_permission(actor, "read_audit")
    if start > end:
        raise ValidationError("日期范围无效：开始日期晚于结束日期。",
                              fields={"date_from": "开始日期不能晚于结束日期。"})
    lo = datetime.combine(start, time(0), CHINA_TZ)
    hi = datetime.combine(end + timedelta(days=1), time(0), CHINA_TZ)
    return _audit_rows(session, lo, hi)


def _audit_rows(session: Session, lo: datetime, hi: datetime) -> Iterator[list]:
    yield AUDIT_HEADER
    last = -1
    while True:
        entries = session.execute(
            select(AuditEntry).where(AuditEntry.at >= lo, AuditEntry.at < hi,
                                     AuditEntry.seq > last)
            .order_by(AuditEntry.seq).limit(AUDIT_CHUNK)).scalars().all()
        if not entries:
            return
        for e in entries:
            yield [e.seq, e.at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                   e.actor_username, ROLE_LABELS.get(e.actor_role, e.actor_role),
                   audit_label(e.action),
                   e.case_id, e.from_state or "", e.to_state or "",
                   json.dumps(e.details, ensure_ascii=False, sort_keys=True), e.prev_hash,
                   e.hash]
            session.expunge(e)
        last = entries[-1].seq


def filters_record(filters: queries.CaseFilters) -> dict:
    out = asdict(filters)
    out.pop("page"), out.pop("per_page")
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in out.items()}
