"""Database tables (SQLAlchemy 2). No Flask here.

Instants are stored as UTC; calendar dates (trigger and due dates) as dates,
because statutory periods are counted in whole Chinese calendar days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from .domain.spec import MAX_ID  # noqa: F401  (one definition; re-exported for the web layer)
from .sealed import Sealed


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, naive UTC in the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Region(Base):
    """Baoji city (市) or one of its districts and counties (区县)."""

    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # pinyin, e.g. "meixian"
    division_code: Mapped[str] = mapped_column(String(6), unique=True)  # 行政区划代码
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # "city" | "county"
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    pilot: Mapped[str | None] = mapped_column(String(16))  # "provincial" | "city" | None


class Unit(Base):
    """A unit (单位): petition bureau, politico-legal committee, court, bureau, township…"""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    region: Mapped[Region] = relationship(lazy="joined")


@event.listens_for(Region, "load")
@event.listens_for(Unit, "load")
def _keep_in_session(target: Region | Unit, context) -> None:
    """Keep reference rows for the life of the session that read them. The identity map
    holds objects weakly, so a unit one helper read was gone when the next asked for it
    (issue 18: a transfer fetched the same unit five times); held here, ``session.get``
    answers from the map. A session is one request or one job; keyed by row, so a session
    that is cleared and reads a row again replaces it rather than growing."""
    kept = context.session.info.setdefault("reference_rows", {})
    kept[(type(target), target.id)] = target


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Unused since sign-in failures are throttled per address (LoginThrottle), not per account.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # 等保 身份鉴别: an initial or reset password must be changed at the first sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    password_changed_at: Mapped[datetime | None]
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    unit: Mapped[Unit] = relationship(lazy="joined")


class UserSession(Base):
    """A signed-in browser (会话): the cookie holds a random token, this row its SHA-256.
    Deleting the row ends the session at once, whatever the cookie says."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    remote_addr: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(256))


class LoginThrottle(Base):
    """Failed sign-ins per key ("addr:<address>" or "name:<username>@<address>"), and the
    instant before which that key may not try again (growing delays)."""

    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]


class PasswordHistory(Base):
    """Earlier password hashes of a user, so the last few are not chosen again."""

    __tablename__ = "password_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime]


class CaseNumber(Base):
    """Per county and year sequence behind 信访件编号."""

    __tablename__ = "case_numbers"
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_no: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    """A petition matter (信访事项)."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(32), unique=True)
    query_code: Mapped[str] = mapped_column(String(16), unique=True)
    workflow: Mapped[str] = mapped_column(String(64))
    workflow_version: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(48))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    # The city whose bureau follows a county's case (region_id): it registered the matter and
    # sent it down (交办、转送, 信访工作条例第二十二条), or the county reported it up as major or
    # urgent (第二十五条). None for a county's own cases never reported up.
    upper_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    registered_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    responsible_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # 首办责任制: fixed at the first acceptance, never overwritten.
    first_handler_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    first_handler_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    first_handled_at: Mapped[datetime | None]
    # 承办人: the named handler of the responsible unit its leader assigned (services/assignment.py).
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime]
    summary: Mapped[str] = mapped_column(String(200))
    request: Mapped[str] = mapped_column(Text)
    facts_and_reasons: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(16))
    route: Mapped[int | None] = mapped_column(Integer)
    litigation_related: Mapped[bool] = mapped_column(Boolean, default=False)
    simple: Mapped[bool] = mapped_column(Boolean, default=False)
    major_urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    collective: Mapped[bool] = mapped_column(Boolean, default=False)
    # 挂牌督办: an open listed supervision order marks the case on every dashboard.
    listed_supervision: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # The nearest due date of its running duty clocks (None: none running), kept by the clock
    # code (services/clocks.py refresh_next_due): case lists sort by it without a subquery.
    next_due: Mapped[date | None] = mapped_column(Date)

    parties: Mapped[list[Party]] = relationship(
        back_populates="case", order_by="Party.id", cascade="all, delete-orphan"
    )
    clocks: Mapped[list[Clock]] = relationship(order_by="Clock.id", cascade="all")
    # Read with the case by load_case (one statement, issue 18); written only through
    # responsible_unit_id, never through this.
    responsible_unit: Mapped[Unit | None] = relationship(
        foreign_keys=[responsible_unit_id], viewonly=True)
    region: Mapped[Region] = relationship(foreign_keys=[region_id], viewonly=True)
    # Art. 30 ¶3 and Art. 28 ¶3: who is kept out of the case (services/confidentiality.py,
    # services/recusal.py); read only when a rule asks.
    accused: Mapped[list[CaseAccused]] = relationship(
        order_by="CaseAccused.id", cascade="all, delete-orphan")
    recusals: Mapped[list[Recusal]] = relationship(
        order_by="Recusal.id", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        Index("ix_cases_region_state", "region_id", "state"),
        Index("ix_cases_responsible_state", "responsible_unit_id", "state"),
        Index("ix_cases_first_handler", "first_handler_unit_id"),
        Index("ix_cases_upper_region", "upper_region_id"),
        # The dashboards count open cases per county and state from this index alone.
        Index("ix_cases_open_region_state", "closed_at", "region_id", "state"),
        # The statistics: later repeats of a concluded case (息访在县域率) and the
        # registration cohort's period (migration 0013_stats_indexes).
        Index("ix_cases_repeat_of", "repeat_of_id"),
        Index("ix_cases_received", "received_at"),
        Index("ix_cases_assigned_user", "assigned_user_id"),
    )


class Party(Base):
    """A petitioner (信访人) of a case; collective visits mark ≤ 5 representatives.

    ID number, phone and address are encrypted at rest (sealed.py); exact matches on ID
    number and phone (repeat detection, search) use their keyed blind indexes."""

    __tablename__ = "parties"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str | None] = mapped_column(Sealed("parties.id_number"))
    phone: Mapped[str | None] = mapped_column(Sealed("parties.phone"))
    address: Mapped[str | None] = mapped_column(Sealed("parties.address"))
    id_number_index: Mapped[str | None] = mapped_column(String(32), index=True)
    phone_index: Mapped[str | None] = mapped_column(String(32))
    representative: Mapped[bool] = mapped_column(Boolean, default=False)
    case: Mapped[Case] = relationship(back_populates="parties")

    __table_args__ = (Index("ix_parties_name_phone_index", "name", "phone_index"),)

    @validates("id_number", "phone")
    def _blind_index(self, key: str, value: str | None) -> str | None:
        setattr(self, f"{key}_index", blind_index(key, value))
        return value


def blind_index(kind: str, value: str | None) -> str | None:
    """The keyed hash an exact-match lookup of ``kind`` ("id_number" | "phone") compares."""
    from .keys import active

    return None if value is None else active().blind_index(kind, value)


class Clock(Base):
    """A statutory or local time limit running on a case, with the inputs of its due date."""

    __tablename__ = "clocks"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    rule: Mapped[str] = mapped_column(String(48))
    label: Mapped[str] = mapped_column(String(64))
    article: Mapped[str] = mapped_column(String(128))
    unit: Mapped[str] = mapped_column(String(16))  # "calendar" | "workday"
    duty: Mapped[bool] = mapped_column(Boolean, default=True)  # False: a petitioner's window
    days: Mapped[int] = mapped_column(Integer)
    workflow_version: Mapped[str] = mapped_column(String(16))
    trigger_date: Mapped[date] = mapped_column(Date)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    excluded_days: Mapped[int] = mapped_column(Integer, default=0)
    paused_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # running | paused | stopped
    due_date: Mapped[date] = mapped_column(Date)
    # 红黄蓝: the days this clock turns blue, yellow and red (recomputed with the due date).
    blue_on: Mapped[date | None] = mapped_column(Date)
    yellow_on: Mapped[date | None] = mapped_column(Date)
    red_on: Mapped[date | None] = mapped_column(Date)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    calendar_version: Mapped[str] = mapped_column(String(128))
    explanation: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped on every recompute
    # The next day the warning colour may change; None once red (or for a petitioner's
    # window). The sweeper reads only running clocks with next_level_on <= today.
    next_level_on: Mapped[date | None] = mapped_column(Date)
    started_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_clocks_status_due", "status", "due_date"),
        Index("ix_clocks_case", "case_id", "rule"),
        Index("ix_clocks_status_next_level", "status", "next_level_on"),
        # A case's nearest running duty deadline (inbox order), read from the index alone.
        Index("ix_clocks_case_running_due", "case_id", "status", "duty", "due_date"),
        # Running duty clocks due by a day (overdue and due-soon counts of the dashboards).
        Index("ix_clocks_running_due", "status", "duty", "due_date", "case_id"),
    )


class Notice(Base):
    """A notice or document issued on a case (告知书、意见书…), text rendered from templates."""

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime]
    issued_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issuer_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # 发文字号 (GB/T 9704-2012 §7.2.4), unique; the PDF as issued, kept content-addressed in
    # the instance folder (services/documents.py) under its SHA-256, also in the audit entry.
    doc_no: Mapped[str | None] = mapped_column(String(64))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        Index("uq_notices_doc_no", "doc_no", unique=True),
        # The scheduler's queue of PDFs to render: only the pending rows are in it.
        Index("ix_notices_pdf_pending", "id", sqlite_where=text("pdf_sha256 IS NULL"),
              postgresql_where=text("pdf_sha256 IS NULL")),
    )


class DocumentNumber(Base):
    """Per county, year and document type (告、意、函…) sequence behind 发文字号."""

    __tablename__ = "document_numbers"
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_no: Mapped[int] = mapped_column(Integer, default=0)


class Attachment(Base):
    """A file attached to a case (附件): its bytes are kept encrypted in the attachment store
    under their SHA-256 (services/attachments.py); this row says which case, who, when, what."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # domain/filetypes.py TYPES
    filename: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(48))  # the case's state when it was attached
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CaseNote(Base):
    """An internal note on a case (内部备注): staff only, never on public pages or notices."""

    __tablename__ = "case_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AuditEntry(Base):
    """Append-only audit log, chained by SHA-256 and keyed by an HMAC whose key is outside the
    database (see services/audit.py, services/chainseal.py); the database refuses UPDATE and
    DELETE on it (migration 0010_evidence)."""

    __tablename__ = "audit_entries"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_username: Mapped[str] = mapped_column(String(64))
    actor_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(48))
    to_state: Mapped[str | None] = mapped_column(String(48))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    mac: Mapped[str] = mapped_column(String(64))  # HMAC of (seq, hash) under the audit key


class AuditHead(Base):
    """One row: the last sequence number and hash; locked to serialise appends."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str | None] = mapped_column(String(64))  # HMAC of (seq, hash): moving it back shows


class AuditCheckpoint(Base):
    """A signed head of the audit chain (sequence, hash, time), also appended to the
    checkpoint file outside the database; the file and this table check each other."""

    __tablename__ = "audit_checkpoints"
    n: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    line: Mapped[str] = mapped_column(Text)  # the signed line exactly as in the file


class CalendarYear(Base):
    """An imported holiday override for one year (国务院办公厅节假日安排)."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(256))
    holidays: Mapped[list[str]] = mapped_column(JSON)
    workdays: Mapped[list[str]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime]
    imported_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# --- confidentiality (信访工作条例第三十条第三款) and recusal (第二十八条第三款) ---


class CaseAccused(Base):
    """Who a 检举控告 accuses: a unit, a user of the system, or a person named in free text.
    Exactly one of ``unit_id``, ``user_id`` and ``name`` is set. Accused units and users never
    see the case (services/confidentiality.py)."""

    __tablename__ = "case_accused"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime]
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint("(CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END"
                        " + CASE WHEN user_id IS NULL THEN 0 ELSE 1 END"
                        " + CASE WHEN name IS NULL THEN 0 ELSE 1 END) = 1",
                        name="ck_case_accused_one_target"),
        # The scope clause asks "which cases accuse this unit / this user".
        Index("ix_case_accused_unit", "unit_id", "case_id"),
        Index("ix_case_accused_user", "user_id", "case_id"),
    )


class Recusal(Base):
    """回避: a member of staff with a conflict of interest in a case, declared by themselves or
    recorded by their unit leader; they may no longer act on it or be tasked with it."""

    __tablename__ = "recusals"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime]
    declared_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (UniqueConstraint("case_id", "user_id", name="uq_recusals_case_user"),)


# --- scheduler ---


class Alert(Base):
    """A warning raised once per (case, clock, level, deadline version), or per supervision
    order, level and order version (红黄蓝预警). ``reached_at`` is when the level was reached;
    ``raised_at`` when a sweep noticed it (later after downtime)."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    clock_id: Mapped[int | None] = mapped_column(ForeignKey("clocks.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_orders.id"))
    level: Mapped[str] = mapped_column(String(8))  # blue | yellow | red
    deadline_version: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(128))  # the clock's or the order's label
    due_date: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # responsible unit
    reached_at: Mapped[datetime]
    raised_at: Mapped[datetime]
    recipients: Mapped[list[str]] = mapped_column(JSON)  # "role:username", at raise time
    # Set when the deadline it warned of changed (a new version is warned afresh); the alert
    # is kept, marked, never deleted.
    superseded_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("case_id", "clock_id", "level", "deadline_version",
                         name="uq_alerts_clock_level_version"),
        UniqueConstraint("order_id", "level", "deadline_version",
                         name="uq_alerts_order_level_version"),
        Index("ix_alerts_raised_at", "raised_at"),
    )


class InboxItem(Base):
    """A message in a user's in-app inbox (站内消息): an alert, an order, a digest…"""

    __tablename__ = "inbox_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(64))  # "alert:12", "digest:2026-10-09"… once per user
    kind: Mapped[str] = mapped_column(String(24))
    level: Mapped[str | None] = mapped_column(String(8))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_inbox_user_key"),
        Index("ix_inbox_user_unread", "user_id", "read_at"),
    )


class UserContact(Base):
    """Where a user is reached outside the application (email for now)."""

    __tablename__ = "user_contacts"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))


class Delivery(Base):
    """Outbox: a message to send by email or webhook, written with what caused it and sent
    afterwards; failures are recorded and retried with backoff, never dropped."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    target: Mapped[str] = mapped_column(String(512))  # address or URL
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    inbox_item_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_items.id"))
    status: Mapped[str] = mapped_column(String(16))  # pending | sent
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_deliveries_status_next", "status", "next_attempt_at"),)


class SupervisionOrder(Base):
    """督办单: a supervisor orders the responsible unit to act by a date and reply in writing."""

    __tablename__ = "supervision_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # The alert it was issued from; no foreign key, alerts already refer to orders.
    alert_id: Mapped[int | None] = mapped_column(Integer)
    issuer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issuer_role: Mapped[str] = mapped_column(String(32))
    target_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    listed: Mapped[bool] = mapped_column(Boolean, default=False)  # 挂牌督办
    requirements: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime]
    due_date: Mapped[date] = mapped_column(Date)
    blue_on: Mapped[date | None] = mapped_column(Date)
    yellow_on: Mapped[date | None] = mapped_column(Date)
    red_on: Mapped[date | None] = mapped_column(Date)
    next_level_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16))  # open | replied | closed
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None]
    replied_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    closed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    close_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_orders_status_next_level", "status", "next_level_on"),)


class AccountabilityRecord(Base):
    """追责问责: a duty clock went red; names unit, person and the rule broken, for a
    supervisor to confirm or dismiss with a reason. Nothing else follows automatically."""

    __tablename__ = "accountability_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id"))
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    article: Mapped[str] = mapped_column(String(128))
    ground: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date] = mapped_column(Date)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))  # pending | confirmed | dismissed
    # statutory (Arts. 43-45) | local_limit (限时办结超时: a stricter local limit missed while
    # the statutory period may still run; never an Art. 45 basis by itself)
    kind: Mapped[str] = mapped_column(String(16), default="statutory",
                                      server_default="statutory")
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_accountability_status", "status"),)


class SweepRun(Base):
    """When the deadline sweep last ran: alerts are "sent late after downtime" only when no
    sweep ran between the moment their level was reached and the sweep that raised them."""

    __tablename__ = "sweep_runs"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_run_at: Mapped[datetime]


class SchedulerLease(Base):
    """Which scheduler process is active; renewed while alive, taken over once expired."""

    __tablename__ = "scheduler_leases"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_sweep_at: Mapped[datetime | None]  # the holder's last deadline sweep (doctor)


class InstanceMeta(Base):
    """Named values about the instance; ``code_version`` is the stamp of the package that
    last ran ``init`` or ``db upgrade`` (stamp.py)."""

    __tablename__ = "instance_meta"
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
    written_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime]


# --- api ---


class ApiToken(Base):
    """A bearer token of the JSON API; it acts as its user (role and county scope).

    Only the SHA-256 of the token is stored: the token itself is shown once, at creation.
    """

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(lazy="joined")


# --- public pages (信访人查询、网上信访、评价、复查复核申请) ---


class PublicThrottle(Base):
    """Failed attempts on the public pages per key (a source address, a case number, a
    submitting address), shared by every process through the database."""

    __tablename__ = "public_throttles"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]


class Evaluation(Base):
    """满意度评价 by the petitioner: the handling unit and the petition bureau, one each."""

    __tablename__ = "evaluations"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    unit_rating: Mapped[str] = mapped_column(String(24))
    bureau_rating: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16))  # web
    created_at: Mapped[datetime]


class PetitionerRequest(Base):
    """A 复查/复核 request received online, for staff to record (with its received date)."""

    __tablename__ = "petitioner_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # the workflow trigger it asks staff to fire
    reasons: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # pending | recorded
    recorded_at: Mapped[datetime | None]

class IdempotencyKey(Base):
    """The first answer to a write sent with an ``Idempotency-Key`` (API) or a page form's
    one-time token, stored in the same transaction as the change and kept 24 hours: a
    retry gets this answer back instead of applying the change again."""

    __tablename__ = "idempotency_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path and body
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)


__all__ = [
    "AccountabilityRecord", "Alert", "ApiToken", "Attachment", "CaseNote", "AuditCheckpoint", "AuditEntry", "AuditHead",
    "Base", "CalendarYear", "Case", "CaseAccused", "CaseNumber", "Clock", "Delivery",
    "DocumentNumber", "Evaluation", "IdempotencyKey", "InboxItem", "LoginThrottle", "Notice", "Party",
    "PasswordHistory", "PetitionerRequest", "PublicThrottle", "Recusal", "Region",
    "SchedulerLease", "SupervisionOrder", "Unit", "User", "UserContact", "UserSession",
]
