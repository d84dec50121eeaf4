"""`petition-flow bench`: seed a large database, then time what users and the scheduler do.

Seeding bypasses the use cases for speed (bulk inserts in chunks: COPY on PostgreSQL, the
driver's executemany on SQLite, Core elsewhere): cases spread over
the twelve counties, their units, the workflow's states and deadlines, with their parties,
clocks (blue/yellow/red dates and ``next_level_on``) and one chained audit entry each, so
the audit head and sequence numbers are real. A database that already holds enough bench
cases is reused. What is measured goes through the service layer and the Flask app only:
``register_petition``, ``fire_transition`` (classify, then transfer, on freshly registered
cases), ``sweep_deadlines`` (idle, and with 10,000 clocks changing level), the handler
inbox, the case page and the city dashboard rendered by the Flask test client.

The floor is the same database doing only the bare writes of a transition: one UPDATE and
one INSERT, committed, with the same durability settings (SQLite: WAL, synchronous=FULL).
Every figure is also given as its rate's ratio to the floor's.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import time as perf
from collections.abc import Callable
from dataclasses import asdict, astuple, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, insert, select, text, update
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..clock import CHINA_TZ, local_date
from ..db import begin_write
from ..domain.identity import id_check_digit
from ..domain.roles import ROLE_TABLE, role, roles_with
from ..domain.spec import WorkflowSpec
from ..models import AuditEntry, AuditHead, Case, Clock, Party, Region, Unit, User, blind_index
from ..sealed import Sealed
from ..services.actor import SYSTEM, Actor
from ..services.alerts import sweep_deadlines
from ..services.audit import GENESIS, chain_hash
from ..services.chainseal import entry_mac, head_mac
from ..services.notify import NotifyConfig
from ..services.petitions import fire_transition, register_petition
from ..services.rules import default_spec

# The bench's actors, named after the roles table's: who registers, who handles, the city.
RECEPTION = roles_with("register")[0]
HANDLER = next(r.id for r in ROLE_TABLE if r.parties == "responsible_unit")
CITY_SUPERVISOR = next(r for r in roles_with("supervise") if role(r).scope == "city")
CITY_USER = f"bench.{CITY_SUPERVISOR}"
PASSWORD = "bench-password"  # bench users only; the bench database is never production
CASE_PREFIX = "B-"
COUNTY_WEIGHTS = {"meixian": 3, "jintai": 2, "chencang": 2, "longxian": 2}  # others: 1
UNIT_WEIGHTS = {"hrss": 4, "housing": 3, "natural_resources": 2, "police": 2, "justice": 1,
                "court": 1, "procuratorate": 1, "politico_legal": 1, "discipline": 1}
@dataclass(frozen=True)
class SeedState:
    """How the seeder fills cases in one workflow state (read from the loaded spec)."""

    weight: int
    rule: str | None  # the duty clock running there, if any
    has_unit: bool  # past 研判分流: a responsible unit
    has_first: bool  # past 交办转送: a first handler (首办责任制)
    closed: bool


def seed_states(spec: WorkflowSpec) -> dict[str, SeedState]:
    """The states the seeder spreads cases over, and how, from the workflow: every open state
    and every state flagged ``closes_case`` that is not final (办结, most of a real database);
    the running clock is the first duty clock with statutory days that runs unpaused there.
    The weights echo a county's load: most cases concluded, many in the first handling state."""
    steps = [step.key for step in spec.steps]
    handling = spec.states_measured("handling_time")
    out: dict[str, SeedState] = {}
    busiest = next((name for name in spec.states if name in handling), None)
    for name, state in spec.states.items():
        if state.final:
            continue
        rule = next((c.id for c in spec.clocks.values()
                     if name in c.runs_while and name not in c.paused_in and c.duty
                     and c.statutory_days is not None), None)
        position = steps.index(state.step)
        weight = (48 if state.closes_case else 22 if name == busiest else 1 if name in handling
                  else 3 if name == spec.initial else 2)
        out[name] = SeedState(weight, rule, position >= 2, position >= 3, state.closes_case)
    return out


def seed_clocks(spec: WorkflowSpec) -> dict[str, tuple[str, str, int]]:
    """Clock rule -> (label, article, days) as the workflow and the statutory table give them."""
    return {c.id: (c.label, c.article, c.days) for c in spec.clocks.values()
            if c.duty and c.statutory_days is not None}


SUMMARIES = ["反映拖欠农民工工资问题", "反映征地补偿标准问题", "反映物业服务纠纷", "反映邻里宅基地纠纷",
             "反映社保待遇核定问题", "建议改善农村道路", "检举村干部违规问题", "反映房屋质量问题"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
MEASURE_NAMES = ("floor", "register_petition", "fire_transition_classify",
                 "fire_transition_transfer", "sweep_idle", "sweep_10000_alerts",
                 "handler_inbox", "case_page", "city_dashboard", "city_statistics",
                 "export_all_cases_csv")


def _progress(label: str, done: int, total: int, out=None) -> None:
    out = out or sys.stderr
    width = 30
    filled = width * done // max(total, 1)
    out.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}")
    if done >= total:
        out.write("\n")
    out.flush()


# --- seeding -------------------------------------------------------------------------------


@dataclass
class World:
    """The organisation as the seeder and the measures see it."""

    regions: dict[str, int]
    bureaus: dict[str, int]  # county code -> its petition bureau unit id
    units: dict[str, list[tuple[int, int]]]  # county code -> [(unit id, weight)]


def _world(session: Session) -> World:
    regions = {r.code: r.id for r in session.execute(
        select(Region).where(Region.kind == "county")).scalars()}
    by_id = {v: k for k, v in regions.items()}
    bureaus: dict[str, int] = {}
    units: dict[str, list[tuple[int, int]]] = {c: [] for c in regions}
    for unit in session.execute(select(Unit).where(Unit.region_id.in_(by_id))
                                .order_by(Unit.id)).scalars():
        county = by_id[unit.region_id]
        kind = unit.code.split(".", 1)[1]
        if kind == "bureau":
            bureaus[county] = unit.id
        elif kind in UNIT_WEIGHTS:
            units[county].append((unit.id, UNIT_WEIGHTS[kind]))
    return World(regions, bureaus, units)


def bench_users(session: Session, now: datetime) -> None:
    """Sign-in users of the bench: per county its reception, supervisor, and one handler and
    unit leader for each unit; and the city supervisor."""
    world = _world(session)
    have = set(session.execute(select(User.username).where(User.username.like("bench.%")))
               .scalars())
    fast = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    rows = []

    def add(name, role, unit_id):
        if name not in have:
            rows.append(dict(username=name, display_name=name, password_hash=fast, role=role,
                             unit_id=unit_id, active=True, failed_logins=0, created_at=now))

    # Staff roles of the roles table: county roles in each bureau, unit roles in every unit.
    staff = [r for r in ROLE_TABLE if r.account and r.may("cases")]
    for county, bureau in world.bureaus.items():
        for r in staff:
            if r.scope == "county":
                add(f"bench.{r.id}.{county}", r.id, bureau)
        for unit_id, _ in world.units[county]:
            for r in staff:
                if r.scope == "unit":
                    add(f"bench.{r.id}.{unit_id}", r.id, unit_id)
    city_unit = session.execute(select(Unit.id).where(Unit.code == "baoji.xinlianban")
                                ).scalar_one()
    add(CITY_USER, CITY_SUPERVISOR, city_unit)
    if rows:
        session.execute(insert(User), rows)
    session.commit()


def bench_case_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Case)
                           .where(Case.case_no.like(CASE_PREFIX + "%"))).scalar_one()


def _levels(due: date, days: int) -> tuple[date, date, date]:
    blue = due - timedelta(days=max(1, round(days * 0.34)))
    yellow = due - timedelta(days=3 if days > 5 else 1)
    return blue, yellow, due + timedelta(days=1)


def _id_number(rng: random.Random, division: str) -> str:
    first17 = (f"{division}{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}"
               f"{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}")
    return first17 + id_check_digit(first17)


def seed(session: Session, n: int, now: datetime, *, chunk: int = 10_000,
         progress: Callable[[str, int, int], None] | None = _progress) -> None:
    """Add ``n`` bench cases (with parties, clocks and audit entries) in chunks of ``chunk``."""
    today = local_date(now)
    world = _world(session)
    division = dict(session.execute(select(Region.code, Region.division_code)).all())
    counties = list(world.regions)
    county_w = [COUNTY_WEIGHTS.get(c, 1) for c in counties]
    spec = default_spec()
    states, clock_rules = seed_states(spec), seed_clocks(spec)
    stopped_rule = spec.clocks_measuring("handling_time")[0].id  # the handling clock, stopped
    at_registration = {start.clock for start in spec.register_start}
    state_names = list(states)
    state_w = [states[s].weight for s in state_names]
    start = bench_case_count(session)
    first_id = (session.execute(select(func.max(Case.id))).scalar_one() or 0) + 1
    system = dict(actor_user_id=None, actor_username=SYSTEM.username, actor_unit_id=None,
                  actor_role=SYSTEM.role, action="case_registered", from_state=None)
    session.rollback()
    done = 0
    while done < n:
        size = min(chunk, n - done)
        rng = random.Random(start + done)
        begin_write(session)
        head = session.execute(select(AuditHead).where(AuditHead.id == 1)
                               .with_for_update()).scalar_one_or_none()
        if head is None:
            head = AuditHead(id=1, seq=0, hash=GENESIS)
            session.add(head)
            session.flush()
        seq, prev = head.seq, head.hash
        cases, clocks, parties, audits = [], [], [], []
        for k in range(size):
            number = start + done + k
            case_id = first_id + done + k
            county = rng.choices(counties, county_w)[0]
            state = rng.choices(state_names, state_w)[0]
            _, rule, has_unit, has_first, closed = astuple(states[state])
            age = rng.randint(60, 720) if rule is None else rng.randint(0, clock_rules[rule][2]
                                                                         + 20)
            received = datetime.combine(today - timedelta(days=age),
                                        datetime.min.time(), CHINA_TZ) + timedelta(
                hours=rng.randint(8, 17), minutes=rng.randint(0, 59))
            unit = (rng.choices([u for u, _ in world.units[county]],
                                [w for _, w in world.units[county]])[0] if has_unit else None)
            category, route = ("appeal", 6) if state != spec.initial else (None, None)
            summary = rng.choice(SUMMARIES)
            cases.append(dict(
                id=case_id, case_no=f"{CASE_PREFIX}{number:09d}", query_code=f"B{number:09d}",
                workflow=spec.name, workflow_version="bench", state=state,
                region_id=world.regions[county], registered_unit_id=world.bureaus[county],
                responsible_unit_id=unit, first_handler_unit_id=unit if has_first else None,
                first_handled_at=received + timedelta(days=5) if has_first else None,
                channel=rng.choice(("visit", "letter", "online", "phone")),
                received_at=received, summary=summary, request=f"请求依法处理：{summary}",
                facts_and_reasons="基准测试生成的事项。", category=category, route=route,
                data={}, version_id=1, created_at=received, updated_at=received,
                closed_at=received + timedelta(days=rng.randint(30, 59)) if closed else None,
            ))
            for p in range(1 if rng.random() < 0.9 else 2):
                parties.append(dict(
                    case_id=case_id, name=rng.choice(SURNAMES) + rng.choice("建国秀英志强丽华军"),
                    id_number=_id_number(rng, division[county]),
                    phone=f"139{rng.randint(0, 99_999_999):08d}", address=f"{county}某村{p + 1}组",
                    representative=False))
                parties[-1].update(id_number_index=blind_index("id_number",
                                                               parties[-1]["id_number"]),
                                   phone_index=blind_index("phone", parties[-1]["phone"]))
            clock_rule = rule or stopped_rule
            label, article, days = clock_rules[clock_rule]
            trigger = local_date(received) + timedelta(days=0 if rule in at_registration else 3)
            due = trigger + timedelta(days=days)
            blue, yellow, red = _levels(due, days)
            running = rule is not None
            cases[-1]["next_due"] = due if running else None  # as refresh_next_due keeps it
            upcoming = [d for d in (blue, yellow, red) if d > today]
            clocks.append(dict(
                case_id=case_id, rule=clock_rule, label=label, article=article,
                unit="calendar", duty=True, days=days, workflow_version="bench",
                trigger_date=trigger, extension_days=0, excluded_days=0,
                status="running" if running else "stopped", due_date=due, blue_on=blue,
                yellow_on=yellow, red_on=red,
                next_level_on=(upcoming[0] if upcoming else None) if running else None,
                provisional=False, calendar_version="bench", explanation="基准测试生成",
                version=1, started_at=received,
                stopped_at=None if running else datetime.combine(
                    due - timedelta(days=rng.randint(-5, 40)), datetime.min.time(), CHINA_TZ),
            ))
            seq += 1
            entry = dict(system, seq=seq, at=received, case_id=case_id, to_state=spec.initial,
                         details={"case_no": cases[-1]["case_no"], "bench": True},
                         prev_hash=prev)
            entry["hash"] = prev = chain_hash(prev, _Entry(entry))
            entry["mac"] = entry_mac(_Entry(entry))
            audits.append(entry)
        for model, rows in ((Case, cases), (Party, parties), (Clock, clocks),
                            (AuditEntry, audits)):
            _bulk_insert(session, model, rows)
        session.execute(update(AuditHead).where(AuditHead.id == 1).values(
            seq=seq, hash=prev, mac=head_mac(seq, prev)))
        session.commit()
        done += size
        if progress:
            progress("准备基准数据", done, n)
    if session.get_bind().dialect.name == "postgresql":
        for table in ("cases", "parties", "clocks"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM {table}))"))
        session.commit()


def _bulk_insert(session: Session, model, rows: list[dict[str, Any]]) -> None:
    """Rows in the open transaction, several times faster than Core's executemany: on
    PostgreSQL a COPY; on SQLite the driver's own executemany, values converted by each
    column type's bind processor (so they are stored exactly as SQLAlchemy stores them)."""
    dialect = session.get_bind().dialect
    if dialect.name == "sqlite":
        table = model.__table__
        defaults = {c.name: c.default.arg for c in table.columns
                    if c.name not in rows[0] and c.default is not None and c.default.is_scalar}
        columns = list(rows[0]) + list(defaults)
        procs = [table.c[c].type._cached_bind_processor(dialect) for c in columns]
        raw = session.connection().connection.dbapi_connection
        raw.executemany(
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            [[p(v) if p else v for p, v in zip(procs, [*row.values(), *defaults.values()],
                                               strict=True)]
             for row in rows])
        return
    if dialect.name != "postgresql":
        session.execute(insert(model), rows)
        return
    import json

    defaults = {c.name: c.default.arg for c in model.__table__.columns  # Core applies these
                if c.name not in rows[0] and c.default is not None and c.default.is_scalar}
    columns = list(rows[0]) + list(defaults)
    rows = [{**row, **defaults} for row in rows]

    def value(v):
        if isinstance(v, datetime):  # the UTCDateTime convention: naive UTC in the database
            return v.astimezone(UTC).replace(tzinfo=None)
        if isinstance(v, dict):
            return json.dumps(v, ensure_ascii=False)
        return v

    # Encrypted columns (sealed.py) go through their type, as in any other insert.
    sealed = {c: model.__table__.c[c].type.process_bind_param for c in columns
              if isinstance(model.__table__.c[c].type, Sealed)}
    raw = session.connection().connection.dbapi_connection
    with raw.cursor() as cur, cur.copy(
            f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([sealed[c](row[c], dialect) if c in sealed else value(row[c])
                            for c in columns])


class _Entry:
    """Attribute view of an audit row dict, for ``chain_hash``."""

    def __init__(self, row: dict[str, Any]):
        self.__dict__.update(row)


def analyze(session: Session) -> None:
    """Fresh planner statistics after a bulk load (both databases plan from them)."""
    session.rollback()
    session.execute(text("ANALYZE"))
    session.commit()


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Measure:
    name: str
    ops_per_s: float
    p50_ms: float
    p95_ms: float
    ratio_to_floor: float = 0.0
    samples: int = 0
    note: str = ""


def _measure(name: str, times_ms: list[float], note: str = "") -> Measure:
    ordered = sorted(times_ms)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    total = sum(times_ms)
    return Measure(name, round(len(times_ms) / (total / 1000), 2) if total else 0.0,
                   round(statistics.median(ordered), 3), round(p95, 3), samples=len(ordered),
                   note=note)


def _timed(fn: Callable[[], Any]) -> float:
    started = perf.perf_counter()
    fn()
    return (perf.perf_counter() - started) * 1000


def rss_mb() -> float:
    """Resident set size of this process now (Linux /proc; else the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024


FLOOR_TABLE = "bench_floor"


def measure_floor(session_factory, case_ids: list[int], now: datetime) -> Measure:
    """The bare writes of a transition: UPDATE the case row, INSERT one row, COMMIT."""
    with session_factory() as session:
        session.execute(text(f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id INTEGER PRIMARY KEY,"
                             " case_id INTEGER NOT NULL, at VARCHAR(40) NOT NULL,"
                             " details TEXT NOT NULL)"))
        session.execute(text(f"DELETE FROM {FLOOR_TABLE}"))
        session.commit()
        times = []
        stamp = now.replace(tzinfo=None)
        for n, case_id in enumerate(case_ids, start=1):
            def once(case_id=case_id, n=n):
                begin_write(session)
                session.execute(text("UPDATE cases SET updated_at = :at, "
                                     "version_id = version_id + 1 WHERE id = :id"),
                                {"at": stamp, "id": case_id})
                session.execute(text(f"INSERT INTO {FLOOR_TABLE} (id, case_id, at, details) "
                                     "VALUES (:n, :id, :at, :d)"),
                                {"n": n, "id": case_id, "at": stamp.isoformat(),
                                 "d": '{"trigger": "bench"}'})
                session.commit()
            times.append(_timed(once))
        session.execute(text(f"DROP TABLE {FLOOR_TABLE}"))
        session.commit()
    return _measure("floor", times, "UPDATE + INSERT + COMMIT")


def _registration_form(rng: random.Random, division: str, when: datetime) -> dict[str, Any]:
    summary = rng.choice(SUMMARIES)
    return {"channel": "visit", "received_at": when, "summary": f"{summary}（基准）",
            "request": f"请求依法处理：{summary}", "facts_and_reasons": "基准测试登记的事项。",
            # Should a random ID number meet an earlier one, staff say why it is no repeat.
            "repeat_reason": "基准测试：新的事项",
            "petitioners": [{"name": rng.choice(SURNAMES) + "基准",
                             "id_number": _id_number(rng, division),
                             "phone": f"138{rng.randint(0, 99_999_999):08d}",
                             "address": "基准测试地址"}]}


@dataclass
class BenchResult:
    cases: int
    database: str
    dialect: str
    seed_seconds: float
    floor_ops_per_s: float
    measures: list[Measure]
    rss_before_mb: float
    rss_after_mb: float
    sweep_alerts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"cases": self.cases, "database": self.database, "dialect": self.dialect,
                "seed_seconds": round(self.seed_seconds, 1),
                "floor_ops_per_s": self.floor_ops_per_s,
                "measures": [asdict(m) for m in self.measures],
                "rss_before_mb": round(self.rss_before_mb, 1),
                "rss_after_mb": round(self.rss_after_mb, 1),
                "sweep_alerts": self.sweep_alerts}


class _Browser:
    """A Flask test client signed in as one user (CSRF token read from the login page)."""

    TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

    def __init__(self, app, username: str):
        self.client = app.test_client()
        page = self.client.get("/login").get_data(as_text=True)
        found = self.TOKEN.search(page)
        data = {"username": username, "password": PASSWORD}
        if found:
            data["csrf_token"] = found.group(1)
        response = self.client.post("/login", data=data)
        if response.status_code != 302:
            raise RuntimeError(f"基准用户 {username} 无法登录（HTTP {response.status_code}）。")

    def get(self, url: str) -> None:
        response = self.client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} 返回 HTTP {response.status_code}")
        response.get_data()


def _actor(session: Session, username: str) -> Actor:
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return Actor.of(user)


def run_bench(engine, session_factory, now: datetime, cases: int, *, changes: int = 10_000,
              ops: int = 200, page_requests: int = 50, instance_path=None,
              progress: Callable[[str, int, int], None] | None = _progress) -> BenchResult:
    """Seed up to ``cases`` bench cases (reusing what is there), then measure everything."""
    from ..app import create_app

    today = local_date(now)
    dialect = engine.dialect.name
    with session_factory() as session:
        started = perf.perf_counter()
        bench_users(session, now)
        have = bench_case_count(session)
        if have < cases:
            seed(session, cases - have, now, progress=progress)
            analyze(session)
        seed_seconds = perf.perf_counter() - started
        world = _world(session)
    rng = random.Random()  # new petitioners each run; a rerun must not look like repeats
    measures: list[Measure] = []

    # The app and the sign-ins first, so that RSS "before" includes the loaded code.
    app = create_app({"ENGINE": engine, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": True},
                     instance_path=instance_path)
    busiest_unit = world.units["meixian"][0][0]
    handler = _Browser(app, f"bench.{HANDLER}.{busiest_unit}")
    city = _Browser(app, CITY_USER)
    handler.get("/cases")
    rss_before = rss_mb()

    with session_factory() as session:
        sample = [row[0] for row in session.execute(
            select(Case.id).where(Case.case_no.like(CASE_PREFIX + "%"))
            .order_by(Case.id).limit(max(ops * 10, 10)))]
        floor = measure_floor(session_factory, [rng.choice(sample) for _ in range(ops)], now)
    measures.append(floor)

    # Register petitions in the pilot counties, then classify and transfer those same cases.
    fresh: list[tuple[int, str]] = []
    times = []
    with session_factory() as session:
        receptions = {c: _actor(session, f"bench.{RECEPTION}.{c}") for c in COUNTY_WEIGHTS}
        division = dict(session.execute(select(Region.code, Region.division_code)).all())
        for _ in range(ops):
            county = rng.choice(list(COUNTY_WEIGHTS))
            form = _registration_form(rng, division[county], now)
            box = {}
            times.append(_timed(lambda county=county, form=form, box=box: box.update(
                r=register_petition(session, receptions[county], now, form))))
            fresh.append((box["r"].case.id, county))
    measures.append(_measure("register_petition", times))

    later = now + timedelta(hours=1)
    # The triage trigger, and the first that sends the case to a unit (转送), from the spec.
    spec = default_spec()
    classify = spec.tagged_one("classifies")
    transfer = next(t.trigger for t in spec.transitions if "assign_responsible_unit" in t.actions)
    with session_factory() as session:
        times = [_timed(lambda cid=cid, county=county: fire_transition(
            session, receptions[county], later, cid, classify,
            {"category": "appeal", "route": "6"})) for cid, county in fresh]
    measures.append(_measure("fire_transition_classify", times))
    with session_factory() as session:
        times = []
        for cid, county in fresh:
            unit = world.units[county][rng.randrange(len(world.units[county]))][0]
            times.append(_timed(lambda cid=cid, county=county, unit=unit: fire_transition(
                session, receptions[county], later, cid, transfer, {"unit": unit})))
    measures.append(_measure("fire_transition_transfer", times))

    # Sweeps: first drain whatever is due today (earlier runs, the fresh cases), then idle.
    config = NotifyConfig()
    with session_factory() as session:
        sweep_deadlines(session, now, config=config)
    with session_factory() as session:
        times = [_timed(lambda: sweep_deadlines(session, now, config=config))
                 for _ in range(10)]
    measures.append(_measure("sweep_idle", times))
    with session_factory() as session:
        make_due(session, changes, today)
    with session_factory() as session:
        box = {}
        times = [_timed(lambda: box.update(r=sweep_deadlines(session, now, config=config)))]
        alerts = len(box["r"].alerts)
    measures.append(_measure(f"sweep_{changes}_alerts" if changes != 10_000
                             else "sweep_10000_alerts", times, f"{alerts} alerts"))

    # Pages through the Flask app: the busiest handler's inbox, case pages in its scope,
    # the city dashboard.
    with session_factory() as session:
        open_ids = [row[0] for row in session.execute(
            select(Case.id).where(Case.responsible_unit_id == busiest_unit)
            .order_by(Case.id.desc()).limit(2000))]
    handler.get("/cases")
    measures.append(_measure("handler_inbox", [_timed(lambda: handler.get("/cases"))
                                               for _ in range(page_requests)]))
    picks = [rng.choice(open_ids) for _ in range(page_requests)]
    measures.append(_measure("case_page", [_timed(lambda cid=cid: handler.get(f"/cases/{cid}"))
                                           for cid in picks]))
    city.get("/supervision/")
    measures.append(_measure("city_dashboard", [_timed(lambda: city.get("/supervision/"))
                                                for _ in range(max(5, page_requests // 5))]))
    measures.append(_measure("city_statistics", [_timed(lambda: city.get("/supervision/stats"))
                                                 for _ in range(3)]))
    measures.append(measure_export(city))
    rss_after = rss_mb()

    floor_rate = floor.ops_per_s
    for m in measures:
        m.ratio_to_floor = round(m.ops_per_s / floor_rate, 4) if floor_rate else 0.0
    return BenchResult(cases, engine.url.render_as_string(hide_password=True), dialect,
                       seed_seconds, floor_rate, measures, rss_before, rss_after, alerts)


def measure_export(city: _Browser) -> Measure:
    """Every case the city sees as one streamed CSV download, read and thrown away chunk by
    chunk as a browser would save it; the peak of Python memory while it runs shows that
    the export holds a chunk of rows, not the list (services/exports.py)."""
    import tracemalloc

    tracemalloc.start()
    started = perf.perf_counter()
    response = city.client.get("/cases/export?format=csv", buffered=False)
    size = rows = 0
    for chunk in response.iter_encoded():
        size += len(chunk)
        rows += chunk.count(b"\n")
    response.close()
    elapsed = (perf.perf_counter() - started) * 1000
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return _measure("export_all_cases_csv", [elapsed],
                    f"{rows - 1:,} rows, {size / 2**20:.1f} MiB, peak traced memory "
                    f"{peak:.1f} MiB")


def make_due(session: Session, changes: int, today: date) -> int:
    """Let ``changes`` running clocks whose next colour is still ahead change level today (at
    least blue), as a new deadline version so that reruns raise new alerts; returns how many."""
    begin_write(session)
    ids = list(session.execute(
        select(Clock.id).where(Clock.status == "running", Clock.next_level_on > today)
        .order_by(Clock.next_level_on, Clock.id).limit(changes)).scalars())
    blue = case((Clock.blue_on > today, today), else_=Clock.blue_on)
    for lo in range(0, len(ids), 5000):
        session.execute(update(Clock).where(Clock.id.in_(ids[lo:lo + 5000]))
                        .values(blue_on=blue, next_level_on=today, version=Clock.version + 1)
                        .execution_options(synchronize_session=False))
    session.commit()
    return len(ids)


def explain(session: Session, stmt) -> str:
    """The database's plan for a statement (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PG)."""
    bind = session.get_bind()
    sql = str(stmt.compile(bind, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if bind.dialect.name == "sqlite" else "EXPLAIN "
    rows = session.execute(text(prefix + sql)).all()
    session.rollback()
    return "\n".join(str(r[-1]) for r in rows)


def _captured_selects(session: Session, fn: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The SELECT statements (with their parameters) that ``fn`` sends to the database."""
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
        session.rollback()
    return seen


# Tables a page or a sweep must reach through an index once they hold LARGE_ROWS rows: a
# full scan of one of them (of the table, or of all of one of its indexes) fails the bench.
# Below that size a scan is what a planner should choose, and is not reported.
LARGE_TABLES = ("cases", "clocks", "parties", "audit_entries", "alerts")
LARGE_ROWS = 10_000


def large_tables(session: Session) -> tuple[str, ...]:
    """The LARGE_TABLES that hold at least LARGE_ROWS rows in this database."""
    found = tuple(t for t in LARGE_TABLES
                  if session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() >= LARGE_ROWS)
    session.rollback()
    return found


def full_scans(plan: str, tables: tuple[str, ...] = LARGE_TABLES) -> list[str]:
    """Lines of a plan that read the whole of one of ``tables``: SQLite's ``SCAN`` (bare, or
    ``USING [COVERING] INDEX``: every entry of the index, where a ``SEARCH`` seeks its key;
    SQLAlchemy's aliases ``cases_1`` included), PostgreSQL's ``Seq Scan``."""
    out = []
    for line in plan.splitlines():
        low = line.lower()
        if any(re.search(rf"\b(?:scan|seq scan on) {t}(?:_\d+)?\b", low) for t in tables):
            out.append(line.strip())
    return out


def scans_by_page(plans: dict[str, str], tables: tuple[str, ...]) -> dict[str, list[str]]:
    """The full scans of ``tables`` in each page's (or sweep's) plans; pages without any left out."""
    return {name: found for name, plan in plans.items() if (found := full_scans(plan, tables))}


def query_plans(session: Session, now: datetime) -> dict[str, str]:
    """Plans of every SELECT the handler inbox, the case page, the city dashboard and the
    sweeper send, as the database will run them on this data (the inbox and the dashboard
    with their red, yellow and blue counts, ``warning_figures``)."""
    from ..services.casefile import case_file, urgencies
    from ..services.digest import warning_figures
    from ..services.queries import CaseFilters, county_figures, list_cases

    today = local_date(now)
    world = _world(session)
    unit = world.units["meixian"][0][0]
    handler = _actor(session, f"bench.{HANDLER}.{unit}")
    city = _actor(session, CITY_USER)
    case_id = session.execute(select(Case.id).where(Case.responsible_unit_id == unit)
                              .order_by(Case.id.desc()).limit(1)).scalar_one()
    session.rollback()
    bind = session.get_bind()
    prefix = "EXPLAIN QUERY PLAN " if bind.dialect.name == "sqlite" else "EXPLAIN "

    def inbox():
        page = list_cases(session, handler, CaseFilters(), today)
        urgencies(session, [r.id for r in page.rows], today)
        warning_figures(session, handler, now)

    def dashboard():
        county_figures(session, city, today)
        warning_figures(session, city, now)

    def sweep():
        session.execute(select(Clock).where(Clock.status == "running",
                                            Clock.next_level_on <= today)
                        .order_by(Clock.next_level_on, Clock.id).limit(500)).all()

    jobs = {"handler_inbox": inbox,
            "case_page": lambda: case_file(session, handler, case_id, now),
            "city_dashboard": dashboard,
            "sweep": sweep}
    plans = {}
    for name, job in jobs.items():
        lines = []
        for statement, params in _captured_selects(session, job):
            rows = session.connection().exec_driver_sql(prefix + statement, params).all()
            lines.append(" / ".join(str(r[-1]) for r in rows))
        session.rollback()
        plans[name] = "\n".join(lines)
    return plans


__all__ = ["MEASURE_NAMES", "BenchResult", "Measure", "bench_case_count", "explain",
           "full_scans", "large_tables", "make_due", "query_plans", "run_bench",
           "scans_by_page", "seed"]
