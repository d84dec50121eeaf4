"""The deadline sweeper (红黄蓝预警): raise each warning once, through restarts and crashes.

A sweep reads only running clocks (and open supervision orders) whose ``next_level_on`` has
come, through the index on (status, next_level_on): nothing else is touched, however many
cases the database holds. For each it works out the colour in force today and inserts one
alert per (case, clock, level, deadline version) with INSERT … ON CONFLICT DO NOTHING under
a unique constraint, so two sweepers at once, a retry or a restart cannot raise it twice;
only the sweeper whose insert went through writes the inbox items, the outbox deliveries,
the audit entry and (for red on a duty clock) the accountability record, all in the same
transaction. On PostgreSQL the rows are taken FOR UPDATE SKIP LOCKED, so concurrent sweepers
share the work instead of queueing.

After downtime only the colour in force is raised (a clock that went blue, yellow and red
while the process was down gets one red alert, not three), with ``reached_at`` the real
time it turned red: 00:00 China time of the day after the due date. Such an alert says it
was sent late after downtime only when the sweep really did not run in between: a sweep
ran before the level was reached and none since (``sweep_runs``). The first sweep of a new
installation, or a deadline counted from a day long past (a late registration), is not a
catch-up.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from ..clock import CHINA_TZ, local_date
from ..db import RETRIES, is_retryable, write_transaction
from ..domain.levels import LEVEL_LABELS, LevelDates, level_on
from ..domain.roles import role
from ..domain.spec import base_clock_id, is_local_clock
from ..models import (
    Alert,
    Case,
    Clock,
    InboxItem,
    SupervisionOrder,
    SweepRun,
    Unit,
)
from .accountability import local_breach_rule, record_breach
from .actor import SYSTEM
from .audit import AuditBatch
from .clocks import clock_level
from .confidentiality import kept_out_by_case, without_kept_out
from .dbutil import insert_ignore_stmt
from .inbox import Directory, Recipient
from .notify import NotifyConfig, Outbox

NEXT_LEVEL_FIELD = {None: "blue_on", "blue": "yellow_on", "yellow": "red_on", "red": None}
URGING = {
    "blue": "请合理安排，按期办结。",
    "yellow": "期限临近，请抓紧办理；确需延期的，请依法办理延期审批。",
    "red": "已超过办理期限，请立即办理，并向督办部门书面说明超期原因。",
}


def level_start(day: date) -> datetime:
    """The instant a colour is reached: 00:00 China time of its first day."""
    return datetime.combine(day, time(0), CHINA_TZ)


@dataclass
class RaisedAlert:
    alert_id: int
    case_id: int
    case_no: str
    subject: str
    level: str
    label: str
    due_date: date
    reached_at: datetime
    raised_at: datetime
    recipients: list[str]
    unit_name: str | None = None
    order_id: int | None = None
    accountability_id: int | None = None
    caught_up: bool = False  # reached while the sweep was not running: sent late

    @property
    def days_late(self) -> int:
        """Days between reaching the colour and the sweep noticing it (catch-up after downtime)."""
        return (local_date(self.raised_at) - local_date(self.reached_at)).days


@dataclass
class SweepResult:
    now: datetime
    alerts: list[RaisedAlert] = field(default_factory=list)
    examined: int = 0

    def count(self, level: str) -> int:
        return sum(1 for a in self.alerts if a.level == level)


@dataclass
class _Pending:
    """An alert decided in this batch, waiting for the batch's one multi-row insert."""

    row: dict
    case: object
    warning: object
    recipients: list[Recipient]
    article: str
    clock_rule: str | None
    then: object = None  # called with the RaisedAlert once the insert went through


ALERT_KEY = ("case_id", "clock_id", "order_id", "level", "deadline_version")


def _alert_insert(dialect: str):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id and the alert's unique key: run with a
    list of rows it becomes one multi-row statement per batch (SQLAlchemy's insertmanyvalues;
    SQLite >= 3.35 and PostgreSQL both return the rows actually inserted), and a row a
    concurrent sweeper or an earlier run inserted already is skipped, exactly once."""
    return insert_ignore_stmt(dialect, Alert, "id", *ALERT_KEY)


_CLOCK_LEVEL = (update(Clock.__table__)
                .where(Clock.__table__.c.id == bindparam("clock_pk"))
                .values(next_level_on=bindparam("next_on")))


class _Sweep:
    def __init__(self, session: Session, now: datetime, config: NotifyConfig):
        from .workflows import all_engines

        self.session, self.now, self.today = session, now, local_date(now)
        self.engines = all_engines()
        self.directory = Directory.preloaded(session)
        self.audit = AuditBatch(SYSTEM, now)
        self.outbox = Outbox(config, now)
        self.result = SweepResult(now)
        self.inbox: list[dict] = []
        self.pending: list[_Pending] = []
        self.kept_out: dict[int, tuple[set[int], set[int]]] = {}
        self._units: dict[int, str] | None = None
        self.previous_run = last_sweep(session)

    def unit_name(self, unit_id: int | None) -> str | None:
        if unit_id is None:
            return None
        if self._units is None:  # the whole (small) organisation, once per sweep
            self._units = dict(self.session.execute(select(Unit.id, Unit.name)).all())
        return self._units.get(unit_id)

    def discard_batch(self, alerts: int, examined: int) -> None:
        """Forget what a batch that was rolled back had collected, before it runs again."""
        self.inbox.clear()
        self.pending.clear()
        self.audit.entries.clear()
        self.outbox.rows.clear()
        del self.result.alerts[alerts:]
        self.result.examined = examined

    def finish_batch(self) -> None:
        self.raise_pending()
        if self.inbox:
            self.session.connection().execute(insert(InboxItem.__table__), self.inbox)
            self.inbox.clear()
        self.audit.flush(self.session)
        self.outbox.flush(self.session)
        _mark_run(self.session, self.now)  # in the batch's own write transaction
        self.session.flush()

    def load_kept_out(self, case_ids) -> None:
        """Who may not be told about each case of the batch (Arts. 28 ¶3, 30 ¶3), read once
        per batch instead of twice per alert."""
        self.kept_out = kept_out_by_case(self.session, case_ids)

    def told_about(self, case_id: int, recipients: list[Recipient]) -> list[Recipient]:
        return without_kept_out(recipients, self.kept_out.get(case_id) or (set(), set()))

    # --- clocks ---------------------------------------------------------------------------

    def clock_batch(self, limit: int) -> int:
        # Core rows, not ORM objects: nothing to track, and the new levels go out as one
        # executemany UPDATE per batch.
        table = Clock.__table__
        clocks = self.session.execute(
            select(table).where(table.c.status == "running", table.c.next_level_on <= self.today)
            .order_by(table.c.next_level_on, table.c.id).limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not clocks:
            return 0
        cases = {c.id: c for c in self.session.execute(
            select(Case.id, Case.case_no, Case.workflow, Case.region_id,
                   Case.responsible_unit_id, Case.registered_unit_id,
                   Case.first_handler_unit_id, Case.first_handler_user_id)
            .where(Case.id.in_({c.case_id for c in clocks}))
        )}
        self.load_kept_out(cases)
        levels = [self._clock(clock, cases[clock.case_id]) for clock in clocks]
        self.session.connection().execute(_CLOCK_LEVEL, [
            dict(clock_pk=clock.id, next_on=next_on)
            for clock, next_on in zip(clocks, levels, strict=True)])
        self._expire_loaded(Clock, [clock.id for clock in clocks], "next_level_on")
        self.result.examined += len(clocks)
        return len(clocks)

    def _clock(self, clock, case) -> date | None:
        """Decide the clock's alert (raised at the batch's end); return its next level day."""
        level = clock_level(clock, self.today)
        following = NEXT_LEVEL_FIELD[level]
        next_on = getattr(clock, following) if following else None
        if level is None:
            return next_on
        spec = self.engines[case.workflow].spec
        warning = spec.warning_levels.get(level)
        roles = warning.notify if warning else ()
        rule = spec.rule_of(clock.rule)
        if rule is not None and rule.held_by:
            # 复查/复核: the supervisors who must decide stand in for handler and leader.
            holders = self.directory.holders(rule.held_by, case.region_id)
            unit_id = holders[0].unit_id if holders else None
            roles = tuple(dict.fromkeys(
                rule.held_by if role(r).scope == "unit" else r for r in roles))
        else:
            unit_id = case.responsible_unit_id or case.registered_unit_id
        recipients = self.directory.resolve(roles, unit_id=unit_id, region_id=case.region_id)
        reached = level_start(getattr(clock, f"{level}_on"))
        then = None
        if level == "red":
            breach = spec.accountability.get(base_clock_id(clock.rule))
            if breach is not None and is_local_clock(clock.rule):
                breach = local_breach_rule(clock)  # 限时办结超时: not an Art. 45 basis
            if breach is not None:
                def then(raised, breach=breach):
                    raised.accountability_id = record_breach(
                        self.session, self.audit, self.now, raised.alert_id, clock, case,
                        breach, unit_id, self.directory)
        self._decide(case, level, warning, recipients, reached, unit_id, then=then,
                     clock_id=clock.id, version=clock.version, subject=clock.label,
                     article=clock.article, due=clock.due_date, clock_rule=clock.rule)
        return next_on

    def _expire_loaded(self, model, ids, attribute: str) -> None:
        """The Core UPDATE bypassed the identity map: a caller's loaded copy of a row must
        read the new value, not the one from before the sweep."""
        for pk in ids:
            obj = self.session.identity_map.get(identity_key(model, pk))
            if obj is not None:
                self.session.expire(obj, [attribute])

    # --- supervision orders ---------------------------------------------------------------

    def order_batch(self, limit: int) -> int:
        orders = self.session.execute(
            select(SupervisionOrder)
            .where(SupervisionOrder.status == "open", SupervisionOrder.next_level_on <= self.today)
            .order_by(SupervisionOrder.next_level_on, SupervisionOrder.id).limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars().all()
        self.load_kept_out({o.case_id for o in orders})
        for order in orders:
            self._order(order)
        self.result.examined += len(orders)
        return len(orders)

    def _order(self, order: SupervisionOrder) -> None:
        level = level_on(self.today, LevelDates(order.blue_on, order.yellow_on, order.red_on))
        following = NEXT_LEVEL_FIELD[level]
        order.next_level_on = getattr(order, following) if following else None
        if level is None:
            return
        case = self.session.execute(
            select(Case.id, Case.case_no, Case.workflow, Case.region_id)
            .where(Case.id == order.case_id)).one()
        warning = self.engines[case.workflow].spec.warning_levels.get(level)
        recipients = self.directory.resolve(warning.notify if warning else (),
                                            unit_id=order.target_unit_id,
                                            region_id=case.region_id)
        issuer = [r for r in self.directory.user(order.issuer_user_id)
                  if r.user_id not in {x.user_id for x in recipients}]
        self._decide(case, level, warning, recipients + issuer,
                     level_start(getattr(order, f"{level}_on")), order.target_unit_id,
                     order_id=order.id, version=order.version, subject=f"督办单第{order.id}号",
                     article="信访工作条例第四十条（督办）", due=order.due_date, clock_rule=None)

    # --- raising --------------------------------------------------------------------------

    def _decide(self, case, level: str, warning, recipients: list[Recipient],
                reached: datetime, unit_id: int | None, *, version: int, subject: str,
                article: str, due: date, clock_rule: str | None, clock_id: int | None = None,
                order_id: int | None = None, then=None) -> None:
        recipients = self.told_about(case.id, recipients)  # Arts. 28 ¶3, 30 ¶3
        row = dict(case_id=case.id, clock_id=clock_id, order_id=order_id, level=level,
                   deadline_version=version, subject=subject, due_date=due, unit_id=unit_id,
                   reached_at=reached, raised_at=self.now,
                   recipients=[f"{r.role}:{r.username}" for r in recipients])
        self.pending.append(_Pending(row, case, warning, recipients, article, clock_rule, then))

    def raise_pending(self) -> None:
        """Insert the batch's alerts in one statement; write the rest for those that are new."""
        if not self.pending:
            return
        stmt = _alert_insert(self.session.get_bind().dialect.name)
        inserted = {tuple(row[1:]): row[0] for row in self.session.connection().execute(
            stmt, [p.row for p in self.pending])}
        for p in self.pending:  # in the order decided, so the audit chain's order is kept
            alert_id = inserted.get(tuple(p.row[k] for k in ALERT_KEY))
            if alert_id is not None:  # else raised already, by another sweeper or run
                self._raised(p, alert_id)
        self.pending.clear()

    def _raised(self, p: _Pending, alert_id: int) -> None:
        row, case, level = p.row, p.case, p.row["level"]
        label = p.warning.label if p.warning else LEVEL_LABELS[level]
        reached = row["reached_at"]
        caught_up = self.previous_run is not None and self.previous_run < reached
        raised = RaisedAlert(alert_id, case.id, case.case_no, row["subject"], level, label,
                             row["due_date"], reached, self.now, [r.label for r in p.recipients],
                             self.unit_name(row["unit_id"]), row["order_id"],
                             caught_up=caught_up and local_date(self.now) > local_date(reached))
        title = f"【{label}】{case.case_no} {row['subject']}"
        body = alert_text(raised, p.article)
        # The alert id is new, so its inbox keys are too: written in bulk at the batch's end.
        for r in p.recipients:
            self.inbox.append(dict(user_id=r.user_id, key=f"alert:{alert_id}", kind="alert",
                                   level=level, case_id=case.id, alert_id=alert_id,
                                   title=title[:200], body=body, created_at=self.now,
                                   read_at=None))
            self.outbox.email(r.email, title, body, alert_id=alert_id)
        self.outbox.webhook(title, body, alert_id=alert_id)
        self.audit.add("alert_raised", case_id=case.id, alert_id=alert_id, level=level,
                       clock=p.clock_rule, order_id=row["order_id"],
                       deadline_version=row["deadline_version"], due_date=row["due_date"],
                       reached_at=reached, recipients=row["recipients"])
        self.result.alerts.append(raised)
        if p.then is not None:
            p.then(raised)


def alert_text(alert: RaisedAlert, article: str) -> str:
    reached = alert.reached_at.astimezone(CHINA_TZ)
    lines = [
        f"信访件编号：{alert.case_no}",
        f"期限：{alert.subject}（{article}）",
        f"截止日期：{alert.due_date.isoformat()}",
        f"预警级别：{alert.label}（{reached:%Y-%m-%d %H:%M} 起）",
    ]
    if alert.unit_name:
        lines.append(f"责任单位：{alert.unit_name}")
    if alert.caught_up:
        lines.append(f"说明：系统停机期间达到该级别，恢复后补发（迟{alert.days_late}日）。")
    lines.append(URGING[alert.level])
    return "\n".join(lines)


def sweep_deadlines(session: Session, now: datetime, *, config: NotifyConfig | None = None,
                    batch_size: int = 500, dry_run: bool = False) -> SweepResult:
    """Raise every warning whose day has come, once; commit per batch (roll back if dry_run).

    Each batch is one write transaction in the lock order of db.py (the chain lock first,
    then its clock or order rows FOR UPDATE SKIP LOCKED); a batch that dies of a deadlock or
    serialization failure is rolled back and run again, at most db.RETRIES times."""
    sweep = _Sweep(session, now, config or NotifyConfig.load())
    with ExitStack() as stack:
        if dry_run:  # every batch joins this one transaction, which is rolled back
            stack.enter_context(write_transaction(session, dry_run=True))
        for batch in (sweep.clock_batch, sweep.order_batch):
            while True:
                n = _run_batch(session, sweep, batch, batch_size, dry_run)
                if n < batch_size:
                    break
    return sweep.result


SWEEP = "deadlines"


def last_sweep(session: Session) -> datetime | None:
    """When the deadline sweep last ran to its end (None before the first sweep)."""
    row = session.get(SweepRun, SWEEP, populate_existing=True)
    return row.last_run_at if row is not None else None


def _mark_run(session: Session, now: datetime) -> None:
    row = session.get(SweepRun, SWEEP, with_for_update=True, populate_existing=True)
    if row is None:
        session.add(SweepRun(name=SWEEP, last_run_at=now))
    elif row.last_run_at < now:
        row.last_run_at = now


def _run_batch(session: Session, sweep: _Sweep, batch, batch_size: int, dry_run: bool) -> int:
    alerts, examined = len(sweep.result.alerts), sweep.result.examined
    for attempt in range(1, RETRIES + 1):
        try:
            with write_transaction(session):  # one per batch (joins a dry run's one)
                n = batch(batch_size)
                sweep.finish_batch()
            return n
        except Exception as exc:
            if dry_run or attempt == RETRIES or not is_retryable(exc):
                raise
            sweep.discard_batch(alerts, examined)
    raise AssertionError("unreachable")
