"""The morning digest for supervisors (督办日报), 08:30 China time on working days only.

Each county supervisor gets the figures of their county, each city supervisor those of the
whole city: clocks now red, yellow and blue, alerts raised since the last working day's
digest, open supervision orders (listed ones apart) and accountability records waiting for a
decision. Whether today is a working day comes from the working calendar (statutory
holidays off, 调休 Saturdays on). Once per user and day: a rerun or a second scheduler
sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, distinct, exists, func, select
from sqlalchemy.orm import Session

from ..clock import local_date
from ..db import write_transaction
from ..domain.roles import role, roles_with
from ..models import AccountabilityRecord, Alert, Case, Clock, Region, SupervisionOrder
from .actor import SYSTEM, Actor
from .alerts import level_start
from .audit import AuditBatch
from .calendars import current_calendar
from .inbox import Directory, Recipient, post
from .notify import NotifyConfig, Outbox
from .queries import scope_clause


@dataclass
class Figures:
    red: int = 0
    yellow: int = 0
    blue: int = 0
    new_alerts: int = 0
    open_orders: int = 0
    listed_orders: int = 0
    pending_accountability: int = 0

    def add(self, other: Figures) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class DigestResult:
    day: date
    working_day: bool
    sent_to: list[str] = field(default_factory=list)


# Every status of a supervision order but closed (models.SupervisionOrder.status).
UNCLOSED = ("open", "replied")


def _per_region(session: Session, case_id, scope, where, flag=None) -> list:
    """(county, count[, count with ``flag`` set]) of the rows matching ``where``, over the cases
    ``scope`` lets through. The county is a lookup of the row's case by primary key (NULL when
    out of scope), so the rows' own table, filtered by its index, drives the query."""
    region = select(Case.region_id).where(Case.id == case_id, scope).scalar_subquery()
    flags = [] if flag is None else [flag.label("flag")]
    rows = select(region.label("region_id"), *flags).where(where).subquery()
    counts = [func.count()] + [func.count().filter(rows.c.flag.is_(True)) for _ in flags]
    return [row for row in session.execute(select(rows.c.region_id, *counts)
                                           .group_by(rows.c.region_id))
            if row.region_id is not None]


_RUNNING = and_(Clock.status == "running", Clock.red_on.is_not(None))


def _colours(today: date):
    return (Clock.red_on <= today,
            and_(Clock.red_on > today, Clock.yellow_on <= today),
            and_(Clock.yellow_on > today, Clock.blue_on <= today))


def _few_cases_colours(session: Session, today: date, scope) -> tuple[int, int, int]:
    """Red, yellow and blue counts over one unit's cases (a few thousand at most), started
    from them: each probes its own clocks (ix_clocks_case_running_due). Started from the
    running clocks, as for a county or the city, a unit's inbox read every running clock of
    the database (issue 18: 190 ms a page at 100,000 cases). A case with a coloured clock has
    a running duty clock, so its next_due is set: the others are passed over unprobed."""
    # The unit's case ids as a subquery of their own (its LIMIT, far above any unit's count,
    # keeps SQLite from flattening it): read through the scope's indexes, as the list is.
    mine = (select(Case.id.label("case_id")).where(scope, Case.next_due.is_not(None))
            .limit(_FEW_CASES_FENCE).subquery())

    def any_clock(colour):
        return exists().where(Clock.case_id == mine.c.case_id, _RUNNING,
                              Clock.blue_on <= today, colour).correlate(mine)
    red, yellow, blue = session.execute(
        select(*[func.count().filter(any_clock(c)) for c in _colours(today)])
        .select_from(mine)).one()
    return red, yellow, blue


_FEW_CASES_FENCE = 2**31 - 1


def _by_region(session: Session, today: date, since: datetime,
               scope=True, colours: bool = True) -> dict[int, Figures]:
    """Figures per county, over the cases ``scope`` (a clause on Case) lets through; without
    the colour counts when ``colours`` is False (the caller counts them its own way)."""
    out: dict[int, Figures] = {}

    def fig(region_id: int) -> Figures:
        return out.setdefault(region_id, Figures())

    if colours:
        # Cases (件), not clocks: a Meixian case runs its 限时办结 clock beside the statutory
        # one, and a case is in a colour's count when any of its clocks is (as in its list).
        for region_id, red, yellow, blue in session.execute(
            select(Case.region_id,
                   *[func.count(distinct(Clock.case_id)).filter(c) for c in _colours(today)])
            .select_from(Clock).join(Case, Case.id == Clock.case_id)
            .where(scope, _RUNNING, Clock.blue_on <= today)
            .group_by(Case.region_id)
        ):
            fig(region_id).red, fig(region_id).yellow, fig(region_id).blue = red, yellow, blue
    # Today's alerts, open orders and pending records are few, cases many: these counts start
    # from the few rows (by their own index) and look each case up by primary key, whatever
    # the statistics say (a join let SQLite drive them from ``cases``, issue 18).
    for region_id, n in _per_region(session, Alert.case_id, scope, Alert.raised_at >= since):
        fig(region_id).new_alerts = n
    for region_id, n, listed in _per_region(session, SupervisionOrder.case_id, scope,
                                            SupervisionOrder.status.in_(UNCLOSED),
                                            SupervisionOrder.listed):
        fig(region_id).open_orders, fig(region_id).listed_orders = n, listed
    for region_id, n in _per_region(session, AccountabilityRecord.case_id, scope,
                                    AccountabilityRecord.status == "pending"):
        fig(region_id).pending_accountability = n
    return out


def warning_figures(session: Session, actor: Actor, now: datetime) -> Figures:
    """Red, yellow and blue counts (and today's alerts, open orders, pending records) over the
    cases the actor may see: for the counts shown on every dashboard."""
    today = local_date(now)
    total = Figures()
    scope = scope_clause(actor)
    few = actor.role_def.scope == "unit"  # one unit's cases: the colours count from them
    for f in _by_region(session, today, level_start(today), scope, colours=not few).values():
        total.add(f)
    if few:
        total.red, total.yellow, total.blue = _few_cases_colours(session, today, scope)
    return total


def digest_text(scope: str, day: date, f: Figures) -> str:
    return "\n".join([
        f"{day.isoformat()} {scope}信访事项办理时限情况：",
        f"红色超期 {f.red} 件，黄色预警 {f.yellow} 件，蓝色提示 {f.blue} 件；",
        f"自上一工作日以来新发预警 {f.new_alerts} 条；",
        f"未办结督办单 {f.open_orders} 件（其中挂牌督办 {f.listed_orders} 件）；",
        f"待处理追责问责记录 {f.pending_accountability} 条。",
    ])


def send_digests(session: Session, now: datetime, *,
                 config: NotifyConfig | None = None) -> DigestResult:
    """Post today's digest to every supervisor's inbox (and email), on working days only."""
    today = local_date(now)
    calendar = current_calendar(session)
    result = DigestResult(today, calendar.is_workday(today))
    if not result.working_day:
        return result
    with write_transaction(session):
        previous = today - timedelta(days=1)
        while not calendar.is_workday(previous):
            previous -= timedelta(days=1)
        figures = _by_region(session, today, level_start(previous))
        regions = {r.id: r.name for r in session.execute(select(Region)).scalars()}
        city = Figures()
        for f in figures.values():
            city.add(f)
        outbox = Outbox(config or NotifyConfig.load(), now)
        directory = Directory(session)
        # Every supervisor gets the figures of their scope: the city's whole, or their county's.
        targets: list[tuple[Recipient, str, Figures]] = []
        for name_ in sorted(roles_with("supervise"), key=lambda n: role(n).scope != "city"):
            if role(name_).scope == "city":
                targets += [(r, "全市", city) for r in directory.anywhere(name_)]
                continue
            for region_id, name in regions.items():
                for r in directory.in_region(region_id, name_):
                    targets.append((r, name, figures.get(region_id, Figures())))
        for recipient, scope, f in targets:
            if post(session, outbox, [recipient], key=f"digest:{today.isoformat()}",
                    kind="digest", title=f"【督办日报】{today.isoformat()} {scope}",
                    body=digest_text(scope, today, f), now=now):
                result.sent_to.append(recipient.username)
        session.add_all(outbox.rows)
        if result.sent_to:
            audit = AuditBatch(SYSTEM, now)
            audit.add("digest_sent", day=today, recipients=result.sent_to)
            audit.flush(session)
    return result
