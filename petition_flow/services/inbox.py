"""Who is told, and the in-app inbox (站内消息).

Recipients are named by organisational role, never by user, and resolved when a message is
raised by the role's scope in the roles table (domain/roles.py): a unit-scoped role means the
users with that role in the responsible unit (a petition bureau that still holds a matter has
no handlers: the role's ``stand_in``, its reception staff, act for it), a county-scoped role
the users of the case's county, a city-scoped role those of the city. A clock held by
supervisors (复查, 复核: ``held_by`` in the workflow) has no responsible unit of its own: its
unit-scoped recipients are those supervisors. Each recipient
gets one inbox item per message key, and an email when SMTP is configured and the user has
an address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from ..db import retry_conflicts, write_transaction
from ..domain.roles import ROLE_LABELS, role
from ..errors import NotFoundError
from ..models import Alert, Case, Clock, InboxItem, Unit, User, UserContact
from .actor import Actor
from .audit import AuditBatch
from .confidentiality import hidden_clause, told_about
from .dbutil import insert_ignore
from .notify import Outbox

_role_def = role


@dataclass(frozen=True)
class Recipient:
    user_id: int
    username: str
    display_name: str
    role: str
    email: str | None
    unit_id: int

    @property
    def label(self) -> str:
        return f"{ROLE_LABELS.get(self.role, self.role)} {self.display_name}"


class Directory:
    """Users by role in a unit, a county or the city; cached for one sweep or use case."""

    def __init__(self, session: Session):
        self.session = session
        self._cache: dict[tuple, list[Recipient]] = {}
        self._resolved: dict[tuple, list[Recipient]] = {}

    @classmethod
    def preloaded(cls, session: Session) -> Directory:
        """Every active user read once, grouped by unit, county and role: for a sweep, which
        resolves recipients for thousands of alerts and so never queries per alert."""
        directory = cls(session)
        cache = directory._cache
        rows = session.execute(
            select(User.id, User.username, User.display_name, User.role, UserContact.email,
                   User.unit_id, Unit.region_id)
            .join(Unit, Unit.id == User.unit_id)
            .outerjoin(UserContact, UserContact.user_id == User.id)
            .where(User.active.is_(True)).order_by(User.id)
        ).all()
        directory._complete = True
        for *fields, region_id in rows:
            r = Recipient(*fields)
            for key in (("unit", r.unit_id, r.role), ("region", region_id, r.role),
                        ("any", r.role), ("user", r.user_id)):
                cache.setdefault(key, []).append(r)
        return directory

    _complete = False  # preloaded: a key not in the cache has no users

    def _users(self, key: tuple, *where) -> list[Recipient]:
        if self._complete:
            return self._cache.get(key, [])
        if key not in self._cache:
            rows = self.session.execute(
                select(User.id, User.username, User.display_name, User.role, UserContact.email,
                       User.unit_id)
                .join(Unit, Unit.id == User.unit_id)
                .outerjoin(UserContact, UserContact.user_id == User.id)
                .where(User.active.is_(True), *where).order_by(User.id)
            ).all()
            self._cache[key] = [Recipient(*row) for row in rows]
        return self._cache[key]

    def in_unit(self, unit_id: int | None, role: str) -> list[Recipient]:
        if unit_id is None:
            return []
        found = self._users(("unit", unit_id, role), User.unit_id == unit_id, User.role == role)
        stand_in = _role_def(role).stand_in
        if not found and stand_in:
            return self.in_unit(unit_id, stand_in)
        return found

    def in_region(self, region_id: int, role: str) -> list[Recipient]:
        return self._users(("region", region_id, role), Unit.region_id == region_id,
                           User.role == role)

    def anywhere(self, role: str) -> list[Recipient]:
        return self._users(("any", role), User.role == role)

    def user(self, user_id: int) -> list[Recipient]:
        return self._users(("user", user_id), User.id == user_id)

    def holders(self, role: str, region_id: int) -> list[Recipient]:
        """The supervisors who hold a clock (``held_by``): the county's, or the city's."""
        return self.in_scope(role, unit_id=None, region_id=region_id)

    def in_scope(self, role: str, *, unit_id: int | None, region_id: int) -> list[Recipient]:
        """The users a role names for a matter held by ``unit_id`` in ``region_id``."""
        match _role_def(role).scope:
            case "unit":
                return self.in_unit(unit_id, role)
            case "county":
                return self.in_region(region_id, role)
            case "city":
                return self.anywhere(role)
        return []

    def resolve(self, roles, *, unit_id: int | None, region_id: int) -> list[Recipient]:
        """Everyone the roles name for a matter held by ``unit_id`` in ``region_id``, once each."""
        key = (tuple(roles), unit_id, region_id)
        if key not in self._resolved:
            out: dict[int, Recipient] = {}
            for name in roles:
                for r in self.in_scope(name, unit_id=unit_id, region_id=region_id):
                    out.setdefault(r.user_id, r)
            self._resolved[key] = list(out.values())
        return list(self._resolved[key])


def post(session: Session, outbox: Outbox, recipients: list[Recipient], *, key: str, kind: str,
         title: str, body: str, now: datetime, case_id: int | None = None,
         alert_id: int | None = None, level: str | None = None) -> int:
    """One inbox item per recipient (once per key) and an email each; returns how many."""
    posted = 0
    for r in told_about(session, case_id, recipients):
        item_id = insert_ignore(session, InboxItem, dict(
            user_id=r.user_id, key=key, kind=kind, level=level, case_id=case_id,
            alert_id=alert_id, title=title[:200], body=body, created_at=now, read_at=None))
        if item_id is None:
            continue
        posted += 1
        outbox.email(r.email, title, body, alert_id=alert_id, inbox_item_id=item_id)
    return posted


def _superseded(alert_id_column):
    return exists().where(Alert.id == alert_id_column, Alert.superseded_at.is_not(None))


def _mine(actor: Actor, *, unread_only: bool = False, kind: str | None = None) -> list:
    """The one scope rule of the inbox: a user only ever sees their own messages."""
    where = [InboxItem.user_id == actor.user_id,  # and never about a case accusing them:
             or_(InboxItem.case_id.is_(None), ~hidden_clause(actor, InboxItem.case_id))]
    if unread_only:  # an alert whose deadline changed no longer asks for attention
        where += [InboxItem.read_at.is_(None), ~_superseded(InboxItem.alert_id)]
    if kind is not None:
        where.append(InboxItem.kind == kind)
    return where


# Unread first, newest first; the id breaks ties so pages never overlap.
INBOX_ORDER = (InboxItem.read_at.is_not(None), InboxItem.created_at.desc(), InboxItem.id.desc())


def unread_count(session: Session, actor: Actor, *, kind: str | None = None) -> int:
    return session.execute(
        select(func.count()).select_from(InboxItem)
        .where(*_mine(actor, unread_only=True, kind=kind))
    ).scalar_one()


def list_inbox(session: Session, actor: Actor, *, unread_only: bool = False,
               limit: int = 50) -> list[InboxItem]:
    """The actor's messages, unread first, newest first."""
    stmt = (select(InboxItem).where(*_mine(actor, unread_only=unread_only))
            .order_by(*INBOX_ORDER).limit(limit))
    return list(session.execute(stmt).scalars())


# --- the actor's alerts (红黄蓝预警 in the inbox), for the API -------------------------------

@dataclass
class AlertFilters:
    unread_only: bool = False
    level: str | None = None
    case_id: int | None = None
    page: int = 1
    per_page: int = 50


@dataclass
class AlertEntry:
    """One alert as its recipient sees it: their inbox item, the alert, the case number and
    the clock the alert is about (None for a supervision order's alert)."""

    item: InboxItem
    alert: Alert
    case_no: str
    clock: str | None


@dataclass
class AlertPage:
    entries: list[AlertEntry]
    total: int
    unread: int  # all the actor's unread alerts, whatever the filters
    page: int
    per_page: int


def _alerts(actor: Actor, *where):
    return (select(InboxItem, Alert, Case.case_no, Clock.rule)
            .join(Alert, Alert.id == InboxItem.alert_id)
            .join(Case, Case.id == Alert.case_id)
            .outerjoin(Clock, Clock.id == Alert.clock_id)
            .where(*_mine(actor, kind="alert"), *where))


def list_alerts(session: Session, actor: Actor, filters: AlertFilters) -> AlertPage:
    """The actor's alerts (every role has an inbox; most roles' is often empty)."""
    where = []
    if filters.unread_only:
        where.append(InboxItem.read_at.is_(None))
    if filters.level is not None:
        where.append(InboxItem.level == filters.level)
    if filters.case_id is not None:
        where.append(InboxItem.case_id == filters.case_id)
    stmt = _alerts(actor, *where)
    total = session.execute(
        select(func.count()).select_from(stmt.with_only_columns(InboxItem.id).subquery())
    ).scalar_one()
    rows = session.execute(stmt.order_by(*INBOX_ORDER).limit(filters.per_page)
                           .offset((filters.page - 1) * filters.per_page)).all()
    return AlertPage([AlertEntry(*row) for row in rows], total,
                     unread_count(session, actor, kind="alert"), filters.page, filters.per_page)


def get_alert(session: Session, actor: Actor, item_id: int) -> AlertEntry:
    """One of the actor's alerts; another user's message is "not found", not forbidden, so
    its existence is not disclosed."""
    row = session.execute(_alerts(actor, InboxItem.id == item_id)).one_or_none()
    if row is None:
        raise NotFoundError("未找到该预警消息。")
    return AlertEntry(*row)


def acknowledge_alert(session: Session, actor: Actor, now: datetime,
                      item_id: int) -> AlertEntry:
    """Acknowledge one of the actor's alerts (audited once, by ``acknowledge``)."""
    entry = get_alert(session, actor, item_id)
    entry.item = acknowledge(session, actor, now, item_id)
    return entry


@retry_conflicts
def acknowledge(session: Session, actor: Actor, now: datetime, item_id: int) -> InboxItem:
    """Mark one message read; acknowledging an alert is audited (who knew, and when)."""
    with write_transaction(session):
        item = session.get(InboxItem, item_id)
        if item is None:
            raise NotFoundError("未找到该消息。")
        if item.user_id != actor.user_id:
            raise NotFoundError("未找到该消息。")  # someone else's message does not exist for you
        if item.case_id is not None and session.execute(  # 第三十条第三款
                select(Case.id).where(Case.id == item.case_id, hidden_clause(actor))).first():
            raise NotFoundError("未找到该消息。")
        if item.read_at is None:
            item.read_at = now
            if item.alert_id is not None:
                audit = AuditBatch(actor, now)
                audit.add("alert_acknowledged", case_id=item.case_id, alert_id=item.alert_id,
                          level=item.level)
                audit.flush(session)
    return item


@retry_conflicts
def acknowledge_all(session: Session, actor: Actor, now: datetime) -> int:
    """全部确认: mark every unread alert of the actor read at once, superseded ones too; each
    acknowledgement is audited like a single one (who knew of which alert, and when)."""
    with write_transaction(session):
        items = list(session.execute(
            select(InboxItem).where(*_mine(actor, kind="alert"), InboxItem.read_at.is_(None))
            .order_by(InboxItem.id).with_for_update()).scalars())
        audit = AuditBatch(actor, now)
        for item in items:
            item.read_at = now
            audit.add("alert_acknowledged", case_id=item.case_id, alert_id=item.alert_id,
                      level=item.level, all_at_once=True)
        audit.flush(session)
    return len(items)


@dataclass(frozen=True)
class AlertState:
    """What the inbox says about an alert beside its text: its deadline, and whether a
    changed deadline superseded it."""

    due_date: object
    superseded_at: datetime | None


def alert_states(session: Session, alert_ids) -> dict[int, AlertState]:
    ids = {i for i in alert_ids if i}
    if not ids:
        return {}
    return {i: AlertState(due, gone) for i, due, gone in session.execute(
        select(Alert.id, Alert.due_date, Alert.superseded_at).where(Alert.id.in_(ids)))}
