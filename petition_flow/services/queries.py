"""Read side shared by the pages and the API: scoped case lists and per-county figures.

Scope is the same rule as services/actor.py: a county's reception and supervisors see
their county, units see what they handle or first handled (首办责任制), city supervisors
see every county. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import and_, false, func, literal_column, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from ..domain.registry import DEFAULT_WORKFLOW
from ..domain.roles import SYSTEM_ROLE
from ..errors import PermissionDenied, ValidationError
from ..models import Case, Clock, Region
from . import rules, scope
from .actor import Actor
from .confidentiality import hidden_clause
from .scope import visible_clause as scope_clause  # the name the read side uses

DUE_SOON_DAYS = 3
OPEN = Case.closed_at.is_(None)
# The same test as an expression no index serves (both databases), for where another
# condition is the selective one.
_OPEN_NOT_DRIVING = func.coalesce(Case.closed_at, Case.closed_at).is_(None)


@dataclass
class CaseFilters:
    state: str | None = None
    step: str | None = None
    category: str | None = None
    county: str | None = None  # region code
    overdue: bool = False
    due_before: date | None = None
    due_after: date | None = None  # with due_before: the "due soon" window of the dashboards
    completed: str | None = None  # "handled" | "first_handled": the cases behind the two rates
    open_only: bool = False
    level: str | None = None  # "red" | "yellow" | "blue": a running duty clock at that colour
    listed: bool = False  # 挂牌督办 only
    # The list behind a figure of the statistics (services/statistics.py): its set, period
    # (China-time days of the set's cohort date), and the group it was counted in.
    stat: str | None = None
    period_from: date | None = None
    period_to: date | None = None
    unit: str | None = None  # responsible unit id, or "none" (not yet assigned)
    channel: str | None = None
    q: str | None = None  # search (services/search.py)
    page: int = 1
    per_page: int = 50


@dataclass
class CaseRow:
    id: int
    case_no: str
    state: str
    summary: str
    region_id: int
    responsible_unit_id: int | None
    first_handler_unit_id: int | None
    received_at: object
    category: str | None
    next_due: date | None
    listed: bool = False  # 挂牌督办
    mine: bool = False  # assigned to the actor as its named handler (services/assignment.py)
    upper_region_id: int | None = None  # the city following it (上级交办、重大紧急上报)


@dataclass
class CasePage:
    rows: list[CaseRow]
    total: int
    page: int
    per_page: int


class _NextDue:
    """The nearest running duty deadline of each listed case: stored on the case by the clock
    code (``cases.next_due``), so a list sorts by a column instead of looking up every case's
    clocks (issue 18: ten thousand index lookups a page for the busiest handler)."""

    def __init__(self):
        self.c = SimpleNamespace(next_due=Case.next_due)


def _next_due():
    return _NextDue()


def _due_by(last: date):
    """Cases whose nearest running duty deadline is on or before ``last``, with that date.

    Only clocks due by ``last`` are read (ix_clocks_running_due): a case's minimum over them
    is its true minimum whenever that is on or before ``last``."""
    return (select(Clock.case_id, func.min(Clock.due_date).label("next_due"))
            .where(Clock.status == "running", Clock.duty.is_(True), Clock.due_date <= last)
            .group_by(Clock.case_id).subquery())


def list_cases(session: Session, actor: Actor, filters: CaseFilters, today: date,
               states_of_step: dict[str, list[str]] | None = None) -> CasePage:
    """Cases the actor may see, most urgent first (nearest running deadline)."""
    _require_list(actor)
    if filters.page < 1 or not 1 <= filters.per_page <= 200:
        raise ValidationError("分页参数无效。", fields={"page": "页码须≥1，每页1至200条。"})
    nd = _next_due()
    stmt = _filtered(session, actor, select(Case, nd.c.next_due), nd, filters, today,
                     states_of_step)
    total = session.execute(stmt.with_only_columns(func.count(), maintain_column_froms=True)
                            .order_by(None)).scalar_one()
    mine = _mine(actor)
    stmt = stmt.order_by(sql_case((mine, 0), else_=1), nd.c.next_due.asc().nulls_last(),
                         Case.id.desc())
    stmt = stmt.limit(filters.per_page).offset((filters.page - 1) * filters.per_page)
    rows = [_row(c, due, actor) for c, due in session.execute(stmt)]
    return CasePage(rows, total, filters.page, filters.per_page)


def _require_list(actor: Actor) -> None:
    if not (actor.may("cases") or actor.role == SYSTEM_ROLE):
        raise PermissionDenied("您的角色无权查看信访事项列表。")


def _mine(actor: Actor):
    """A case assigned to the actor while their unit is responsible for it ("我的")."""
    if actor.user_id is None or actor.unit_id is None:
        return false()
    return and_(Case.assigned_user_id == actor.user_id,
                Case.responsible_unit_id == actor.unit_id)


def _row(c: Case, due, actor: Actor | None = None) -> CaseRow:
    mine = actor is not None and actor.user_id is not None and \
        c.assigned_user_id == actor.user_id and c.responsible_unit_id == actor.unit_id
    return CaseRow(c.id, c.case_no, c.state, c.summary, c.region_id, c.responsible_unit_id,
                   c.first_handler_unit_id, c.received_at, c.category, due,
                   bool(c.listed_supervision), mine, c.upper_region_id)


EXPORT_CHUNK = 1000


def check_filters(session: Session, actor: Actor, filters: CaseFilters, today: date) -> None:
    """Raise what ``list_cases`` would raise for these filters, without running the query."""
    _filtered(session, actor, select(Case), _next_due(), filters, today, None)


def iter_cases(session: Session, actor: Actor, filters: CaseFilters, today: date,
               chunk: int = EXPORT_CHUNK):
    """Every case of the filtered list, in chunks of ``chunk`` rows by id (keyset paging), so
    an export of any size holds one chunk in memory: yields lists of (Case, next_due)."""
    nd = _next_due()
    stmt = _filtered(session, actor, select(Case, nd.c.next_due), nd, filters, today, None)
    last = 0
    while True:
        rows = session.execute(stmt.where(Case.id > last).order_by(Case.id).limit(chunk)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0].id
        for case, _ in rows:  # done with: let the identity map forget them (and parties)
            session.expunge(case)


def _filtered(session: Session, actor: Actor, stmt, nd, filters: CaseFilters, today: date,
              states_of_step):
    _require_list(actor)
    stmt = stmt.where(scope_clause(actor))
    if filters.state:
        stmt = stmt.where(Case.state == filters.state)
    if filters.step:
        states = (states_of_step or _states_of_step()).get(filters.step)
        if states is None:
            raise ValidationError("步骤无效。", fields={"step": "步骤无效。"})
        stmt = stmt.where(Case.state.in_(states))
    if filters.category:
        stmt = stmt.where(Case.category == filters.category if filters.category != "none"
                          else Case.category.is_(None))
    stmt = _figure_filters(session, stmt, filters, today)
    if filters.county:
        region = session.execute(select(Region.id).where(Region.code == filters.county)).first()
        if region is None:
            raise ValidationError("县（区）无效。", fields={"county": "县（区）无效。"})
        stmt = stmt.where(Case.region_id == region[0])
    if filters.open_only:
        # A unit's cases (a few thousand) are found through the scope's indexes; "open" must
        # not drive that query, or SQLite walks every open case of the database through
        # ix_cases_open_region_state (issue 18: 110 ms of a handler's inbox at 100,000 cases).
        stmt = stmt.where(_OPEN_NOT_DRIVING if actor.role_def.scope == "unit" else OPEN)
    if filters.completed:
        if filters.completed not in COMPLETED:
            raise ValidationError("清单类型无效。", fields={"completed": "清单类型无效。"})
        stmt = stmt.where(COMPLETED[filters.completed]())
    if filters.level:
        if filters.level not in LEVEL_CLAUSES:
            raise ValidationError("预警级别无效。", fields={"level": "预警级别无效。"})
        stmt = stmt.where(Case.id.in_(select(Clock.case_id).where(
            Clock.status == "running", Clock.red_on.is_not(None),
            LEVEL_CLAUSES[filters.level](today))))
    if filters.listed:
        stmt = stmt.where(Case.listed_supervision.is_(True))
    if filters.overdue:
        stmt = stmt.where(nd.c.next_due < today)
    if filters.due_before:
        stmt = stmt.where(nd.c.next_due <= filters.due_before)
    if filters.due_after:
        stmt = stmt.where(nd.c.next_due >= filters.due_after)
    return stmt


def _figure_filters(session: Session, stmt, filters: CaseFilters, today: date):
    """The filters the statistics link with, and search."""
    from . import search, statistics

    if filters.stat:
        stmt = stmt.where(statistics.set_clause(session, filters.stat, filters.period_from,
                                                filters.period_to, today))
    elif filters.period_from or filters.period_to:
        stmt = stmt.where(statistics.set_clause(session, "registered", filters.period_from,
                                                filters.period_to, today))
    if filters.unit:
        if filters.unit == "none":
            stmt = stmt.where(Case.responsible_unit_id.is_(None))
        elif filters.unit.isdigit() and len(filters.unit) < 10:
            stmt = stmt.where(Case.responsible_unit_id == int(filters.unit))
        else:
            raise ValidationError("承办单位无效。", fields={"unit": "承办单位无效。"})
    if filters.channel:
        stmt = stmt.where(Case.channel == filters.channel)
    if filters.q:
        stmt = stmt.where(search.search_clause(session, filters.q))
    return stmt


# The colour a running clock is in today, as services/digest.py counts them (红黄蓝).
LEVEL_CLAUSES = {
    "red": lambda today: Clock.red_on <= today,
    "yellow": lambda today: and_(Clock.red_on > today, Clock.yellow_on <= today),
    "blue": lambda today: and_(Clock.yellow_on > today, Clock.blue_on <= today),
}


def _states_of_step() -> dict[str, list[str]]:
    from .workflows import all_engines

    spec = all_engines()[DEFAULT_WORKFLOW].spec
    out: dict[str, list[str]] = {}
    for state in spec.states.values():
        out.setdefault(state.step, []).append(state.name)
    return out


@dataclass
class CountyFigures:
    region_code: str
    region_name: str
    pilot: str | None
    open_by_step: dict[str, int] = field(default_factory=dict)
    open_total: int = 0
    due_soon: int = 0
    overdue: int = 0
    handled: int = 0  # handling clocks completed
    handled_on_time: int = 0
    first_handled: int = 0  # closed cases that had a first handler
    first_handler_completed: int = 0  # … concluded by that same unit

    @property
    def on_time_rate(self) -> float | None:
        return self.handled_on_time / self.handled if self.handled else None

    @property
    def first_handler_rate(self) -> float | None:
        return self.first_handler_completed / self.first_handled if self.first_handled else None


def county_figures(session: Session, actor: Actor, today: date) -> list[CountyFigures]:
    """督办 figures per county in the actor's scope (county supervisors: theirs; city: all)."""
    if not (actor.may("supervise") or actor.role == SYSTEM_ROLE):
        raise PermissionDenied("只有督办人员可以查看统计数据。")
    regions = select(Region).where(Region.kind == "county", scope.region_clause(actor))
    figures = {r.id: CountyFigures(r.code, r.name, r.pilot)
               for r in session.execute(regions.order_by(Region.division_code)).scalars()}
    step_of = {s: step for step, states in _states_of_step().items() for s in states}
    ids = list(figures)
    shown = ~hidden_clause(actor)  # 第三十条第三款: an accused supervisor's counts omit the case
    for region_id, state, n in session.execute(
        select(Case.region_id, Case.state, func.count()).where(OPEN, Case.region_id.in_(ids), shown)
        .group_by(Case.region_id, Case.state)
    ):
        f = figures[region_id]
        step = step_of.get(state, "?")
        f.open_by_step[step] = f.open_by_step.get(step, 0) + n
        f.open_total += n
    soon = today + timedelta(days=DUE_SOON_DAYS)
    nd = _due_by(soon)
    for region_id, overdue, due_soon in session.execute(
        select(Case.region_id,
               func.count().filter(nd.c.next_due < today),
               func.count().filter(and_(nd.c.next_due >= today, nd.c.next_due <= soon)))
        .join(nd, nd.c.case_id == Case.id).where(Case.region_id.in_(ids), shown)
        .group_by(Case.region_id)
    ):
        figures[region_id].overdue, figures[region_id].due_soon = overdue, due_soon
    _completion(session, figures, ids, shown)
    return list(figures.values())


def _completion(session: Session, figures: dict[int, CountyFigures], ids: list[int],
                shown) -> None:
    # Counted by the database: a Python loop over every handled case grew with the history.
    for region_id, handled, on_time in session.execute(
        select(Case.region_id, func.count(), func.count().filter(_stopped_on_time(session)))
        .join(Clock, Clock.case_id == Case.id)
        .where(Case.region_id.in_(ids), _handling_clock_done(), _past_handling(), shown)
        .group_by(Case.region_id)
    ):
        figures[region_id].handled, figures[region_id].handled_on_time = handled, on_time
    for region_id, total, same in session.execute(
        select(Case.region_id, func.count(),
               func.count().filter(Case.responsible_unit_id == Case.first_handler_unit_id))
        .where(Case.region_id.in_(ids), _first_handled(), shown)
        .group_by(Case.region_id)
    ):
        figures[region_id].first_handled, figures[region_id].first_handler_completed = total, same


def _stopped_on_time(session: Session):
    """The clock stopped on or before its due date, in Beijing time (UTC+8, no summer time):
    stopped_at is naive UTC, so the local day ends at due_date + 1 day - 8 hours = +16 hours."""
    if session.get_bind().dialect.name == "sqlite":
        return Clock.stopped_at < func.datetime(Clock.due_date, "+16 hours")
    return Clock.stopped_at < Clock.due_date + literal_column("interval '16 hours'")


# What the two rates count, shared by the figures and by the lists behind them: the clocks
# tagged ``measures: handling`` in the workflow, and the states they run in.
def _handling_clock_done():
    return and_(Clock.rule.in_(tuple(rules.clocks_measuring("handling_time"))),
                Clock.status == "stopped")


def _past_handling():
    return Case.state.notin_(rules.states_measured("handling_time"))


def _first_handled():
    return and_(Case.first_handler_unit_id.is_not(None), Case.closed_at.is_not(None))


COMPLETED = {
    "handled": lambda: and_(Case.id.in_(select(Clock.case_id).where(_handling_clock_done())),
                            _past_handling()),
    "first_handled": _first_handled,
}
