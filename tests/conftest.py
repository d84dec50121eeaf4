"""Shared fixtures: a real database (SQLite file, or PostgreSQL when
PETITION_FLOW_TEST_DATABASE_URL is set), the Baoji organisation and one user per role per
pilot county, seeded once per session; every test starts with no cases and no audit log."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime

import pytest
from helpers import at, days_after  # noqa: F401 — re-exported for fixtures below
from sqlalchemy import delete, select, text, update
from werkzeug.security import generate_password_hash

from petition_flow import appendonly
from petition_flow.clock import CHINA_TZ
from petition_flow.db import make_engine, make_session_factory
from petition_flow.migrate import upgrade
from petition_flow.models import (
    AccountabilityRecord,
    Alert,
    ApiToken,
    Attachment,
    AuditCheckpoint,
    AuditEntry,
    AuditHead,
    CalendarYear,
    Case,
    CaseAccused,
    CaseNote,
    CaseNumber,
    Clock,
    Delivery,
    DocumentNumber,
    Evaluation,
    IdempotencyKey,
    InboxItem,
    LoginThrottle,
    Notice,
    Party,
    PasswordHistory,
    PetitionerRequest,
    PublicThrottle,
    Recusal,
    SchedulerLease,
    SupervisionOrder,
    SweepRun,
    Unit,
    User,
    UserContact,
    UserSession,
)
from petition_flow.services.actor import SYSTEM, Actor
from petition_flow.services.audit import AuditBatch
from petition_flow.services.org import PILOTS, seed_organisation, unit_by_code

# The suite's keys and checkpoint file live in a scratch folder, never in the clone's instance/;
# subprocess tests pass their own environment with their own instance folder.
_KEYS_DIR = tempfile.mkdtemp(prefix="petition-flow-test-keys-")
os.environ["PETITION_FLOW_KEY_FILE"] = os.path.join(_KEYS_DIR, "keys.json")
os.environ["PETITION_FLOW_CHECKPOINTS"] = os.path.join(_KEYS_DIR, "audit-checkpoints.log")
os.environ["PETITION_FLOW_PUBLIC_KEY_FILE"] = os.path.join(_KEYS_DIR, "audit-public-key.pem")
os.environ["PETITION_FLOW_DOCUMENTS"] = os.path.join(_KEYS_DIR, "documents")

TEST_DB_ENV = "PETITION_FLOW_TEST_DATABASE_URL"
PASSWORD = "test-password-1"
# A fast hash keeps the suite quick; the real default (scrypt) is tested on its own.
FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
COUNTY_ROLES = {"reception": "bureau", "handler": "hrss", "unit_leader": "hrss",
                "county_supervisor": "bureau"}
# Tables a test may write; emptied before each test, children first.
CASE_TABLES = (UserSession, LoginThrottle, PasswordHistory,
               IdempotencyKey, PublicThrottle, Evaluation, PetitionerRequest,
               ApiToken, Delivery, InboxItem, AccountabilityRecord, Alert, SupervisionOrder,
               UserContact, SchedulerLease, SweepRun, AuditCheckpoint, AuditEntry, AuditHead,
               Notice, Clock, Attachment, CaseNote, Party, CaseAccused, Recusal, Case, CaseNumber,
               DocumentNumber, CalendarYear)


def _reset_postgres(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get(TEST_DB_ENV)
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        _reset_postgres(engine)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        seed_organisation(session)
        _seed_users(session)
        session.commit()
    yield engine
    engine.dispose()


def _seed_users(session) -> None:
    fast = FAST_HASH
    wanted = [(f"{role}.{c}", role, f"{c}.{unit}") for c in PILOTS
              for role, unit in COUNTY_ROLES.items()]
    wanted += [("city_supervisor.baoji", "city_supervisor", "baoji.xinlianban"),
               ("reception.baoji", "reception", "baoji.bureau"),  # the city's own 信访局
               ("admin.baoji", "admin", "baoji.bureau"),
               ("auditor.baoji", "auditor", "baoji.bureau")]
    for username, role, unit_code in wanted:
        unit = unit_by_code(session, unit_code)
        session.add(User(username=username, display_name=username, password_hash=fast,
                         unit_id=unit.id, role=role, active=True, failed_logins=0,
                         created_at=datetime(2026, 1, 1, tzinfo=CHINA_TZ)))
    session.flush()


@pytest.fixture
def Session(engine):
    """Session factory on a database emptied of cases, audit entries and test-made users."""
    factory = make_session_factory(engine)
    with factory() as session:
        appendonly.drop(session.connection())  # the suite empties the log as its administrator
        for table in CASE_TABLES:
            session.execute(delete(table))
        appendonly.install(session.connection())
        session.execute(delete(User).where(~User.username.contains(".")))
        # Seeded users start every test usable: their password, active, nothing to change.
        session.execute(update(User).values(password_hash=FAST_HASH, active=True,
                                            must_change_password=False, demo=False,
                                            password_changed_at=None))
        session.execute(delete(Unit).where(Unit.code.like("test.%")))
        session.commit()
    return factory


@pytest.fixture(autouse=True)
def checkpoint_file(tmp_path, monkeypatch):
    """Each test's own checkpoint file (the log is emptied before each test)."""
    path = tmp_path / "audit-checkpoints.log"
    monkeypatch.setenv("PETITION_FLOW_CHECKPOINTS", str(path))
    return path


@pytest.fixture
def app_settings() -> dict:
    """Settings a folder's tests add to the app (the API's settable clock)."""
    return {}


@pytest.fixture
def app(engine, Session, tmp_path, app_settings):
    """The Flask app on the test database, for the page and the API tests alike."""
    from petition_flow.app import create_app

    return create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "test-secret",
                       **app_settings}, instance_path=tmp_path / "instance")


@pytest.fixture
def session(Session):
    with Session() as s:
        yield s


@dataclass
class World:
    """Actors and shortcuts for tests: who is who in the seeded organisation."""

    session: object

    def actor(self, role: str, county: str = "meixian") -> Actor:
        username = "city_supervisor.baoji" if role == "city_supervisor" else (
            f"{role}.baoji" if role in ("admin", "auditor") else f"{role}.{county}")
        user = self.session.execute(select(User).where(User.username == username)).scalar_one()
        return Actor.of(user)

    def unit(self, code: str) -> int:
        return unit_by_code(self.session, code).id

    def audit(self, **details) -> None:
        batch = AuditBatch(SYSTEM, at("2026-01-05"))
        batch.add("test", **details)
        batch.flush(self.session)
        self.session.commit()


@pytest.fixture
def world(session) -> World:
    return World(session)





class Cases:
    """Register petitions and walk them through the workflow with realistic inputs."""

    def __init__(self, world: World):
        self.world = world
        self.session = world.session
        self.counter = 0

    def form(self, **overrides) -> dict:
        from petition_flow.domain.identity import id_check_digit

        self.counter += 1
        first17 = f"610326198{self.counter % 10}0{self.counter % 9 + 1}1{self.counter % 10}" \
                  f"{self.counter % 1000:03d}"
        form = {
            "channel": "visit", "summary": f"反映第{self.counter}号事项：拖欠工资",
            "request": "请求督促支付拖欠工资", "facts_and_reasons": "本人在某工地务工，工资未结清。",
            "petitioners": [{"name": "王建国", "id_number": first17 + id_check_digit(first17),
                             "phone": "13912345678", "address": "眉县首善街道"}],
        }
        form.update(overrides)
        return form

    def register(self, county: str = "meixian", when: datetime | None = None, **form):
        from petition_flow.services.petitions import register_petition

        when = when or at("2026-03-02", 9)
        form.setdefault("received_at", when)
        result = register_petition(self.session, self.world.actor("reception", county), when,
                                   self.form(**form))
        return result.case

    def fire(self, case, trigger: str, inputs: dict | None = None, *, role: str | None = None,
             county: str = "meixian", when: datetime | None = None, version: int | None = None):
        from petition_flow.devtools.demo import step_inputs, step_role
        from petition_flow.models import Region
        from petition_flow.services.petitions import fire_transition

        when = when or days_after(case.updated_at, 1)
        if inputs is None:
            region = self.session.get(Region, case.region_id)
            inputs = step_inputs(self.session, trigger, region,
                                 when.astimezone(CHINA_TZ).date(), {})
        actor = self.world.actor(role or step_role(trigger), county)
        return fire_transition(self.session, actor, when, case.id, trigger, inputs, version)

    def walk(self, steps: list[str], *, county: str = "meixian",
             classification: dict | None = None, start: datetime | None = None,
             gaps: dict[str, int] | None = None):
        """Register a petition and fire ``steps`` a day (or the demo's gap) apart."""
        from petition_flow.devtools.demo import APPEAL6, GAP

        case = self.register(county, start)
        gaps = {**GAP, **(gaps or {})}
        for step in steps:
            when = days_after(case.updated_at, gaps.get(step, 1))
            inputs = dict(classification or APPEAL6) if step == "classify" else None
            case = self.fire(case, step, inputs, county=county, when=when)
        return case


@pytest.fixture
def cases(world) -> Cases:
    return Cases(world)
