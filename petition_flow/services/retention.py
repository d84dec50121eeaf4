"""How far back the audit log goes (网络安全法 第二十一条: network logs kept at least six
months; 等保 安全审计: records backed up and kept). The application never deletes an audit
entry (the database refuses it, appendonly.py); this report says whether the log reaches
back as far as required, and whether its beginning is still there."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import local_date
from ..models import AuditEntry

DEFAULT_MONTHS = 6


def required_months() -> int:
    return int(os.environ.get("PETITION_FLOW_AUDIT_RETENTION_MONTHS") or DEFAULT_MONTHS)


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for d in range(day.day, 0, -1):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class RetentionReport:
    months: int
    entries: int
    first_seq: int | None
    oldest: datetime | None
    newest: datetime | None
    required_from: date

    @property
    def starts_at_first_entry(self) -> bool:
        return self.first_seq in (None, 1)

    @property
    def covers(self) -> bool:
        """The log reaches back to the required date (or to the system's first entry)."""
        return self.oldest is not None and self.starts_at_first_entry

    def lines(self) -> list[str]:
        if self.oldest is None:
            return ["审计日志为空。"]
        out = [f"审计日志共 {self.entries:,} 条，最早 {local_date(self.oldest)}，最新 "
               f"{local_date(self.newest)}（应用从不删除审计记录）。",
               f"保存要求：至少 {self.months} 个月（网络安全法第二十一条），即须保留 "
               f"{self.required_from} 以来的记录。"]
        if not self.starts_at_first_entry:
            out.append(f"不符合：最早一条是第{self.first_seq}条，其前的记录已不在数据库中。")
        elif local_date(self.oldest) <= self.required_from:
            out.append(f"符合：日志覆盖了要求的 {self.months} 个月。")
        else:
            out.append(f"符合：系统自 {local_date(self.oldest)} 起运行，此后的记录全部保存；"
                       f"满 {self.months} 个月后即覆盖完整期限。")
        return out


def retention_report(session: Session, now: datetime, months: int | None = None
                     ) -> RetentionReport:
    months = months or required_months()
    first, oldest, newest, count = session.execute(select(
        func.min(AuditEntry.seq), func.min(AuditEntry.at), func.max(AuditEntry.at),
        func.count())).one()
    if oldest is not None and oldest.tzinfo is None:  # aggregates bypass the column type
        from datetime import UTC

        oldest, newest = oldest.replace(tzinfo=UTC), newest.replace(tzinfo=UTC)
    return RetentionReport(months, count, first, oldest, newest,
                           _months_before(local_date(now), months))
