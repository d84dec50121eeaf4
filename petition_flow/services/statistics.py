"""底数清: every figure of the statistics page, the API, the exports and the charts, defined once.

A figure counts a *set* of cases. Each set belongs to a cohort, which says which date places a
case in a period:

- the registration cohort (登记口径): the day the petition was received (收到时间);
- the conclusion cohort (办结口径): the day the case was concluded (办结时间), counting only cases
  a unit accepted (受理) and concluded — not those closed at registration, diverted to other
  procedures or not accepted.

Period edges are whole days in China time (UTC+8, no summer time): a period from D1 to D2 runs
from D1 00:00 to D2+1 00:00 Beijing time. Every query goes through ``scope.visible_clause``, so a
figure never counts a case its reader may not see, and every figure's set is also the filter of
the case list behind it (``set_clause``), so a number and its list always agree.

The definitions the pilot asks for and this system's readings of them (shown beside each number):

- 按期办结率 (信访工作条例第三十四条, 眉县限时办结制): cases whose handling clock stopped on or
  before its due date, over those whose handling clock stopped. The local limit is the clock's
  due date; the statutory limit adds the days the local limit is shorter than the law's
  (calendar-day limits; workday limits have no local variant in the workflows).
- 首办办结率 (首办责任制): concluded cases concluded by their first-handler unit.
- 化解率: concluded cases in which no 复查 was requested, or the 复查 upheld the handling opinion
  (the same outcome) and no 复核 was requested; over concluded cases.
- 息访在县域率: concluded cases with no 复查/复核 requested (decided above the county unit) and no
  越级 petition — a repeat of the case registered outside its county within
  ``ESCALATION_WINDOW_DAYS`` days after conclusion; over concluded cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    cast,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, aliased

from ..clock import CHINA_TZ
from ..domain.guards import CATEGORIES
from ..domain.roles import SYSTEM_ROLE
from ..errors import PermissionDenied, ValidationError
from ..models import Case, Clock, Region, Unit
from . import rules, scope
from .actor import Actor
from .notices import CHANNELS

ESCALATION_WINDOW_DAYS = 90
MAX_PERIOD_DAYS = 366 * 20
SATISFIED = ("satisfied", "basically_satisfied")
GROUPS = {"county": "县（区）", "unit": "承办单位", "category": "类别", "channel": "信访渠道",
          "month": "月份", "quarter": "季度", "year": "年度"}
PERIOD_GROUPS = ("month", "quarter", "year")
REGISTERED, CONCLUDED = "registered", "concluded"
COHORT_LABELS = {REGISTERED: "按收到（登记）日期统计", CONCLUDED: "按办结日期统计"}


@dataclass(frozen=True)
class Period:
    """Whole days in China time, both ends included."""

    start: date
    end: date

    @property
    def utc_start(self) -> datetime:
        return datetime.combine(self.start, time(0), CHINA_TZ)

    @property
    def utc_end(self) -> datetime:  # exclusive
        return datetime.combine(self.end + timedelta(days=1), time(0), CHINA_TZ)


def period(start: date | None, end: date | None, today: date) -> Period:
    """The period asked for; by default the year so far."""
    start = start or date(today.year, 1, 1)
    end = end or today
    if start > end:
        raise ValidationError("统计期间无效：开始日期晚于结束日期。",
                              fields={"from": "开始日期不能晚于结束日期。"})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError("统计期间过长：不能超过20年。", fields={"from": "统计期间不能超过20年。"})
    return Period(start, end)


# --- SQL pieces that differ between SQLite and PostgreSQL ---------------------------------


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _china(session: Session, column):
    """A UTC instant column shifted to Beijing wall-clock time."""
    if _sqlite(session):
        return func.datetime(column, "+8 hours")
    return column + literal_column("interval '8 hours'")


def period_key(session: Session, column, unit: str):
    """'2026-03', '2026-Q1' or '2026' of an instant, in China time."""
    shifted = _china(session, column)
    if _sqlite(session):
        if unit == "month":
            return func.strftime("%Y-%m", shifted)
        if unit == "year":
            return func.strftime("%Y", shifted)
        month = cast(func.strftime("%m", shifted), Integer)
        return func.strftime("%Y", shifted).concat("-Q").concat(
            cast((month + 2) // 3, String))
    return func.to_char(shifted, {"month": "YYYY-MM", "quarter": 'YYYY-"Q"Q',
                                  "year": "YYYY"}[unit])


def _days_between(session: Session, start, end):
    """Calendar days from the Beijing date of ``start`` to that of ``end``."""
    if _sqlite(session):
        return cast(func.julianday(func.date(end, "+8 hours"))
                    - func.julianday(func.date(start, "+8 hours")),
                    Integer)
    return func.date(_china(session, end)) - func.date(_china(session, start))


def _stopped_by(session: Session, extra_days):
    """The clock stopped before the end (Beijing time) of its due date + ``extra_days``:
    stopped_at is naive UTC, so that day ends at due_date + extra + 1 day - 8 hours."""
    if _sqlite(session):
        hours = literal("+").concat(cast(extra_days * 24 + 16, String)).concat(" hours")
        return Clock.stopped_at < func.datetime(Clock.due_date, hours)
    return Clock.stopped_at < Clock.due_date + func.make_interval(0, 0, 0, extra_days, 16)


def _after_window(session: Session, column, days: int):
    if _sqlite(session):
        return func.datetime(column, f"+{days} days")
    return column + literal_column(f"interval '{days} days'")


# --- the sets ----------------------------------------------------------------------------


def _handling_rules() -> dict[str, int]:
    """Clock rule -> statutory days, for the clocks tagged ``measures: handling`` (第三十四条,
    and 简易办理); the days come from the code-owned statutory table through the workflow."""
    return {cid: rule.statutory_days for cid, rule in rules.clocks_measuring("handling_time").items()
            if rule.statutory_days is not None}


def _handling_clock(*more):
    return exists().where(Clock.case_id == Case.id, Clock.rule.in_(tuple(_handling_rules())),
                          Clock.status == "stopped", *more)


def _rule_case():
    """The statutory days of the clock's rule."""
    return sql_case(*[(Clock.rule == r, d) for r, d in _handling_rules().items()],
                    else_=Clock.days)


def _greatest(expr):
    """Days the statutory limit exceeds the clock's own (local) limit, for calendar clocks."""
    return sql_case((and_(Clock.unit == "calendar", expr > 0), expr), else_=0)


@dataclass(frozen=True)
class CaseSet:
    key: str
    label: str
    cohort: str
    predicate: Callable[[Session, date], Any]


def _present(session: Session, trigger: str):
    """The case holds the inputs of ``trigger`` (case.data[trigger]): it was fired."""
    if _sqlite(session):
        return func.json_type(Case.data, f"$.{trigger}").is_not(None)
    return literal_column("cases.data").op("->")(literal_column(f"'{trigger}'")).is_not(None)


def _input(session: Session, trigger: str, name: str):
    if _sqlite(session):
        return func.json_extract(Case.data, f"$.{trigger}.{name}")
    return literal_column("cases.data").op("->")(literal_column(f"'{trigger}'")) \
        .op("->>")(literal_column(f"'{name}'"))


def _any_present(session: Session, tag: str):
    """A trigger tagged ``tag`` in the workflow was fired on the case."""
    return or_(false(), *(_present(session, name) for name in rules.tagged(tag)))


def _resolved(session: Session, today: date):
    reviewed = _any_present(session, "requests_review")
    decision = rules.tagged_one("decides_review")
    upheld = and_(
        _present(session, decision),
        _input(session, decision, "outcome") == func.coalesce(
            *(_input(session, name, "outcome") for name in rules.tagged("opinion"))),
        not_(_any_present(session, "requests_recheck")))
    return or_(not_(reviewed), upheld)


def _stayed(session: Session, today: date):
    later, unit = aliased(Case), aliased(Unit)
    escalated = exists().where(
        later.repeat_of_id == Case.id, unit.id == later.registered_unit_id,
        unit.region_id != Case.region_id,
        later.received_at < _after_window(session, Case.closed_at, ESCALATION_WINDOW_DAYS))
    return and_(not_(_any_present(session, "requests_review")),
                not_(_any_present(session, "requests_recheck")), not_(escalated))


def _overdue(session: Session, today: date):
    return and_(Case.closed_at.is_(None), exists().where(
        Clock.case_id == Case.id, Clock.status == "running", Clock.duty.is_(True),
        Clock.due_date < today))


SETS = {s.key: s for s in (
    CaseSet("registered", "登记的信访事项", REGISTERED, lambda s, t: true()),
    CaseSet("accepted", "已受理的信访事项", REGISTERED,
            lambda s, t: Case.first_handler_unit_id.is_not(None)),
    CaseSet("not_accepted", "不予受理的信访事项", REGISTERED,
            lambda s, t: Case.state.in_(rules.states_where("refusal"))),
    CaseSet("repeat", "重复信访事项", REGISTERED, lambda s, t: Case.repeat_of_id.is_not(None)),
    CaseSet("overdue", "当前超期的信访事项", REGISTERED, _overdue),
    CaseSet("concluded", "办结的信访事项", CONCLUDED, lambda s, t: true()),
    CaseSet("handled", "办理期限已停止计时的办结事项", CONCLUDED, lambda s, t: _handling_clock()),
    CaseSet("on_time_local", "在本地限时内办结的事项", CONCLUDED,
            lambda s, t: _handling_clock(_stopped_by(s, 0))),
    CaseSet("on_time_statutory", "在法定期限内办结的事项", CONCLUDED,
            lambda s, t: _handling_clock(_stopped_by(s, _greatest(_rule_case() - Clock.days)))),
    CaseSet("first_handler", "由首办单位办结的事项", CONCLUDED,
            lambda s, t: Case.responsible_unit_id == Case.first_handler_unit_id),
    CaseSet("evaluated", "已评价的办结事项", CONCLUDED,
            lambda s, t: _input(s, rules.tagged_one("evaluation"), "rating").is_not(None)),
    CaseSet("satisfied", "评价为满意或基本满意的事项", CONCLUDED,
            lambda s, t: _input(s, rules.tagged_one("evaluation"), "rating").in_(SATISFIED)),
    CaseSet("resolved", "已化解的办结事项", CONCLUDED, _resolved),
    CaseSet("stayed", "息访在县域的办结事项", CONCLUDED, _stayed),
)}


def _cohort_column(cohort: str):
    return Case.received_at if cohort == REGISTERED else Case.closed_at


def _cohort_base(cohort: str):
    if cohort == REGISTERED:
        return true()
    return and_(Case.closed_at.is_not(None), Case.first_handler_unit_id.is_not(None))


def set_clause(session: Session, key: str, start: date | None, end: date | None, today: date):
    """The cases of set ``key`` in the period, as a WHERE clause (the list behind a number)."""
    found = SETS.get(key)
    if found is None:
        raise ValidationError("统计口径无效。", fields={"stat": "统计口径无效。"})
    column = _cohort_column(found.cohort)
    parts = [_cohort_base(found.cohort), found.predicate(session, today)]
    if start is not None:
        parts.append(column >= datetime.combine(start, time(0), CHINA_TZ))
    if end is not None:
        parts.append(column < datetime.combine(end + timedelta(days=1), time(0), CHINA_TZ))
    return and_(*parts)


# --- the figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    key: str
    name: str
    formula: str
    kind: str  # count | rate | days
    numerator: str  # a set key (for days: the set averaged over)
    denominator: str | None = None

    @property
    def cohort(self) -> str:
        return SETS[self.numerator].cohort


DEFINITIONS: tuple[Definition, ...] = (
    Definition("registered", "登记数", "统计期内收到（登记）的信访事项件数。", "count", "registered"),
    Definition("accepted", "受理数", "统计期内登记、已由责任单位受理（含简易办理）的件数。", "count",
               "accepted"),
    Definition("not_accepted", "不予受理数", "统计期内登记、责任单位决定不予受理的件数（第二十三条）。",
               "count", "not_accepted"),
    Definition("concluded", "办结数", "统计期内办结的件数：已受理并办结（含复查、复核后终结），"
               "不含登记时作重复信访处理、导入法定程序和不予受理的事项。", "count", "concluded"),
    Definition("on_time_statutory", "按期办结率（法定期限）",
               "法定办理期限（60日，简易办理10个工作日，含批准的延期）内办结的件数 ÷ "
               "办理期限已停止计时的办结件数（第三十四条）。", "rate", "on_time_statutory", "handled"),
    Definition("on_time_local", "按期办结率（本地限时）",
               "在本县（区）限时办结期限（如眉县30日，未规定的按法定期限）内办结的件数 ÷ "
               "办理期限已停止计时的办结件数。", "rate", "on_time_local", "handled"),
    Definition("first_handler_rate", "首办办结率", "由首办单位（首次受理的单位）办结的件数 ÷ 办结件数"
               "（首办责任制）。", "rate", "first_handler", "concluded"),
    Definition("repeat_rate", "重复信访率", "统计期内登记的重复信访件数 ÷ 登记件数。", "rate",
               "repeat", "registered"),
    Definition("satisfaction_rate", "满意率", "评价为“满意”或“基本满意”的件数 ÷ 已评价的办结件数"
               "（未评价的不计入）。", "rate", "satisfied", "evaluated"),
    Definition("resolution_rate", "化解率", "办结后未申请复查，或复查意见与原处理意见相同且未申请复核的"
               "件数 ÷ 办结件数。", "rate", "resolved", "concluded"),
    Definition("in_county_rate", "息访在县域率",
               f"办结后未申请复查、复核，且办结后{ESCALATION_WINDOW_DAYS}日内没有在本县（区）以外登记的"
               "同一事项（越级信访）的件数 ÷ 办结件数。", "rate", "stayed", "concluded"),
    Definition("average_days", "平均办理天数", "办结件自收到之日至办结之日的自然日数（北京时间）的平均值。",
               "days", "concluded"),
    Definition("p90_days", "90%办理天数", "办结件办理天数的第90百分位数（最近秩法：90%的办结件不超过该天数）。",
               "days", "concluded"),
    Definition("overdue", "当前超期", "统计期内登记、至今未办结且有办理期限已过（截止日早于今天）的件数。",
               "count", "overdue"),
)
BY_KEY = {d.key: d for d in DEFINITIONS}


@dataclass
class Figure:
    value: float | int | None
    numerator: int | None = None
    denominator: int | None = None


@dataclass
class Group:
    key: str  # the group's value: a county code, a unit id, "2026-03", "" for the total
    label: str
    filters: dict[str, str]  # list filters that narrow to this group (and its period)
    figures: dict[str, Figure] = field(default_factory=dict)


@dataclass
class Report:
    period: Period
    group_by: str
    county: str | None
    groups: list[Group]
    total: Group
    today: date
    definitions: tuple[Definition, ...] = DEFINITIONS

    def link(self, group: Group, set_key: str) -> dict[str, str]:
        """Query arguments of the case list behind a number."""
        args = {"stat": set_key, "from": self.period.start.isoformat(),
                "to": self.period.end.isoformat()}
        if self.county:
            args["county"] = self.county
        args.update(group.filters)
        return args


def _group_expr(session: Session, group_by: str, cohort: str):
    if group_by == "county":
        return Case.region_id
    if group_by == "unit":
        return Case.responsible_unit_id
    if group_by == "category":
        return Case.category
    if group_by == "channel":
        return Case.channel
    return period_key(session, _cohort_column(cohort), group_by)


def _base(session: Session, actor: Actor, cohort: str, p: Period, region_id: int | None):
    column = _cohort_column(cohort)
    where = [scope.visible_clause(actor), _cohort_base(cohort), column >= p.utc_start,
             column < p.utc_end]
    if region_id is not None:
        where.append(Case.region_id == region_id)
    return where


def statistics(session: Session, actor: Actor, today: date, *, start: date | None = None,
               end: date | None = None, group_by: str = "county",
               county: str | None = None, only: tuple[str, ...] | None = None) -> Report:
    """Every figure for the period, per group and in total, within the actor's scope; ``only``
    names the figures wanted when not all are (a chart), and a cohort none of them needs is
    not read at all."""
    if not (actor.may("supervise") or actor.role == SYSTEM_ROLE):
        raise PermissionDenied("只有督办人员可以查看统计数据。")
    if group_by not in GROUPS:
        raise ValidationError("分组方式无效。", fields={"group_by": "分组方式无效。"})
    wanted = DEFINITIONS if only is None else tuple(BY_KEY[k] for k in only)
    p = period(start, end, today)
    region_id = _region(session, actor, county)
    rows: dict[str, dict[str, Figure]] = {}
    total: dict[str, Figure] = {}
    for cohort in (REGISTERED, CONCLUDED):
        defs = [d for d in wanted if d.cohort == cohort]
        if not defs:
            continue
        keys = sorted({k for d in defs for k in (d.numerator, d.denominator) if k})
        counted, histograms = _scan(session, actor, today, cohort, keys, p, region_id, group_by)
        whole = {k: sum(c[k] for c in counted.values()) for k in keys}
        every: dict[int, int] = {}
        for group, counts in counted.items():
            _fill(rows.setdefault(group, {}), defs, counts, _days(histograms.get(group)))
            for d, n in histograms.get(group, {}).items():
                every[d] = every.get(d, 0) + n
        _fill(total, defs, whole, _days(every) if cohort == CONCLUDED else None)
    groups = _label(session, actor, group_by, rows, p, region_id, wanted)
    return Report(p, group_by, county, groups, Group("", "合计", {}, total), today, wanted)


def _scan(session: Session, actor: Actor, today: date, cohort: str, keys: list[str], p: Period,
          region_id: int | None, group_by: str):
    """One pass over the cohort's cases of the period: every set's count per group and, for
    concluded cases, how many took each number of days. The groups partition the cases, so
    the totals are the groups' sums, and the average and 90th percentile come from the
    per-group histograms (a few hundred distinct day counts) without a second scan."""
    where = _base(session, actor, cohort, p, region_id)
    g = _group_expr(session, group_by, cohort)
    counts = [func.count().filter(SETS[k].predicate(session, today)) for k in keys]
    counted: dict[str, dict[str, int]] = {}
    histograms: dict[str, dict[int, int]] = {}
    if cohort == CONCLUDED:
        d = _days_between(session, Case.received_at, Case.closed_at)
        stmt = select(g, d, func.count(), *counts).where(*where).group_by(g, d)
    else:
        stmt = select(g, *counts).where(*where).group_by(g)
    for row in session.execute(stmt):
        group = _key(row[0])
        values = row[3:] if cohort == CONCLUDED else row[1:]
        into = counted.setdefault(group, dict.fromkeys(keys, 0))
        for k, v in zip(keys, values, strict=True):
            into[k] += v
        if cohort == CONCLUDED:
            histogram = histograms.setdefault(group, {})
            histogram[int(row[1])] = histogram.get(int(row[1]), 0) + row[2]
    return counted, histograms


def _key(value) -> str:
    return "" if value is None else str(value)


def _fill(figures: dict[str, Figure], defs, counts: dict[str, int], days) -> None:
    for d in defs:
        if d.kind == "count":
            figures[d.key] = Figure(counts[d.numerator])
        elif d.kind == "rate":
            num, den = counts[d.numerator], counts[d.denominator]
            figures[d.key] = Figure(round(num / den, 4) if den else None, num, den)
        else:
            avg, p90 = days or (None, None)
            n = counts[d.numerator]
            figures[d.key] = Figure(avg if d.key == "average_days" else p90, None, n)


def _days(histogram: dict[int, int] | None) -> tuple[float | None, int | None] | None:
    """Average and 90th percentile (nearest rank: the smallest number of days that at least
    90% of the cases do not exceed) of handling days, from how many cases took each."""
    if not histogram:
        return None
    n = sum(histogram.values())
    average = round(sum(d * c for d, c in histogram.items()) / n, 1)
    seen = 0
    for d in sorted(histogram):
        seen += histogram[d]
        if seen * 10 >= n * 9:
            break
    return average, d


def _region(session: Session, actor: Actor, county: str | None) -> int | None:
    if not county:
        return None
    found = session.execute(select(Region.id).where(Region.code == county,
                                                    Region.kind == "county")).first()
    if found is None:
        raise ValidationError("县（区）无效。", fields={"county": "县（区）无效。"})
    allowed = session.execute(select(Region.id).where(Region.id == found[0],
                                                      scope.region_clause(actor))).first()
    if allowed is None:
        raise PermissionDenied("您无权查看其他县（区）的统计数据。")
    return found[0]


def _empty(wanted: tuple[Definition, ...]) -> dict[str, Figure]:
    out: dict[str, Figure] = {}
    for d in wanted:
        out[d.key] = Figure(0) if d.kind == "count" else Figure(None, 0 if d.kind == "rate"
                                                              else None, 0)
    return out


def _label(session, actor, group_by, rows, p: Period, region_id,
           wanted: tuple[Definition, ...]) -> list[Group]:
    blank = _empty(wanted)
    if group_by == "county":
        regions = select(Region).where(Region.kind == "county", scope.region_clause(actor))
        if region_id is not None:
            regions = regions.where(Region.id == region_id)
        out = []
        for r in session.execute(regions.order_by(Region.division_code)).scalars():
            out.append(Group(r.code, r.name, {"county": r.code},
                             {**blank, **rows.get(str(r.id), {})}))
        return out
    keys = sorted(rows, key=lambda k: (k == "", k))
    if group_by == "unit":
        ids = [int(k) for k in keys if k]
        names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids)))
                     .all()) if ids else {}
        return [Group(k, names.get(int(k), k) if k else "未交办",
                      {"unit": k or "none"}, {**blank, **rows[k]}) for k in keys]
    if group_by == "category":
        return [Group(k, CATEGORIES.get(k, k) if k else "未分类", {"category": k or "none"},
                      {**blank, **rows[k]}) for k in keys]
    if group_by == "channel":
        return [Group(k, CHANNELS.get(k, k), {"channel": k}, {**blank, **rows[k]})
                for k in keys]
    return [Group(k, _period_label(k), _period_filters(k, group_by, p),
                  {**blank, **rows[k]}) for k in keys]


def _period_label(key: str) -> str:
    if "-Q" in key:
        year, q = key.split("-Q")
        return f"{year}年第{q}季度"
    if "-" in key:
        year, month = key.split("-")
        return f"{year}年{int(month)}月"
    return f"{key}年"


def _period_filters(key: str, group_by: str, p: Period) -> dict[str, str]:
    year = int(key[:4])
    if group_by == "year":
        first, last = date(year, 1, 1), date(year, 12, 31)
    elif group_by == "quarter":
        q = int(key.split("-Q")[1])
        first = date(year, 3 * q - 2, 1)
        last = (date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1))
    else:
        month = int(key[5:7])
        first = date(year, month, 1)
        last = date(year + (month == 12), 1 if month == 12 else month + 1, 1) - timedelta(days=1)
    return {"from": max(first, p.start).isoformat(), "to": min(last, p.end).isoformat()}


def format_figure(definition: Definition, figure: Figure) -> str:
    """The number as the page, the CSV and the XLSX show it."""
    if figure.value is None:
        return "—"
    if definition.kind == "rate":
        return f"{figure.value * 100:.1f}%"
    if definition.kind == "days":
        return f"{figure.value}"
    return str(figure.value)


def definitions_markdown() -> str:
    """The README's table of figures, generated from DEFINITIONS (a test keeps them equal)."""
    lines = ["| 指标 | 标识 | 口径 | 统计日期 |", "|---|---|---|---|"]
    for d in DEFINITIONS:
        lines.append(f"| {d.name} | `{d.key}` | {d.formula} | {COHORT_LABELS[d.cohort]} |")
    return "\n".join(lines)
