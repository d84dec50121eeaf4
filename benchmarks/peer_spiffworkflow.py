"""Peer benchmark: the six-step durable scenario through petition_flow, SpiffWorkflow and a
raw-sqlite floor, interleaved in one run (issue 18, item 5).

Per case, the steps classify → transfer → accept → reply → deliver → evaluate run

* through petition_flow's service layer: ``register_petition`` and ``fire_transition`` in a
  session per step (the shape of a request), with the real engine, audit chain (hash + MAC),
  clocks and notices; the organisation and users come from ``petition_flow.devtools.bench``,
  each step's inputs and role from the demo script (``devtools.demo``), as the tests' walks
  do. A notice's PDF is not made in the step (the scheduler or the first download renders
  it from the text sealed in the audit entry), as in use: a PDF takes about a second of one
  core;
* through SpiffWorkflow 3.2.0: a BPMN process of the same six user tasks; each step loads the
  case's serialised workflow JSON from a SQLite table, deserialises it, completes the ready
  user task with the step's inputs, runs the engine, reserialises it, writes it back and
  commits;
* through a raw ``sqlite3`` floor on petition_flow's own schema (a copy of petition_flow's
  database, migrated and seeded, taken before any case): the same row writes the service
  layer made for that step in a warm-up walk (one UPDATE of the case, the clocks stopped and
  started, the notices with their document numbers, the audit entries chained with SHA-256
  and an HMAC, the audit head), with nothing else.

Each engine has its own SQLite file in one temporary folder, opened with the same settings:
WAL, the same ``synchronous`` (``--synchronous``, NORMAL unless told; it is read back and
printed), foreign keys on. Steps are interleaved (for each case and step, the three engines
in turn, the order rotating per case), so that load on the machine hits all three alike.

Statements are what the connection sends, counted alike for all three: petition_flow's with
a SQLAlchemy ``before_cursor_execute`` listener (BEGIN IMMEDIATE included; COMMIT is the
driver's ``commit()`` and is not a statement there, so it is not counted anywhere).

Run: ``python benchmarks/peer_spiffworkflow.py [--cases N]``; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from petition_flow import keys
from petition_flow.clock import CHINA_TZ, local_date
from petition_flow.db import make_engine, make_session_factory
from petition_flow.devtools.bench import RECEPTION, _registration_form, bench_users
from petition_flow.devtools.demo import APPEAL6, GAP, step_inputs, step_role
from petition_flow.domain.roles import role
from petition_flow.migrate import upgrade
from petition_flow.models import Region, User
from petition_flow.services.actor import Actor
from petition_flow.services.audit import verify_chain
from petition_flow.services.org import PILOTS, seed_organisation
from petition_flow.services.petitions import fire_transition, register_petition

STEPS = ("classify", "transfer", "accept", "reply", "deliver", "evaluate")
STEP_LABELS = {"classify": "研判分类", "transfer": "转送", "accept": "受理", "reply": "答复",
               "deliver": "送达", "evaluate": "评价"}
ENGINES = ("petition_flow", "spiffworkflow", "floor")
ENGINE_LABELS = {"petition_flow": "petition_flow（服务层）", "spiffworkflow": "SpiffWorkflow 3.2.0",
                 "floor": "裸 sqlite3 基线"}
SPIFF_VERSION = "3.2.0"
PROCESS_ID = "six_step"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="peer_spiffworkflow.py",
        description="同行基准：同一次运行中交替执行六步办理（研判分类→转送→受理→答复→送达→评价），"
                    "比较 petition_flow 服务层、SpiffWorkflow 3.2.0 与裸 sqlite3 基线。"
                    "数据库都在临时目录中，运行结束即删除。")
    parser.add_argument("--cases", type=int, default=200, help="计时的案件数（默认 200）。")
    parser.add_argument("--warmup", type=int, default=3, help="不计时的预热案件数（默认 3）。")
    parser.add_argument("--synchronous", choices=("NORMAL", "FULL"), default="NORMAL",
                        help="三者共用的 SQLite synchronous 设置（默认 NORMAL，与第 18 号问题的测量"
                             "一致；petition_flow 上线默认为 FULL）。")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.warmup < 0:
        parser.error("--cases 至少为 1，--warmup 不能为负数。")
    return args


# --- shared settings ---------------------------------------------------------------------

START = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)  # a Monday


def step_times() -> dict[str, datetime]:
    """When each step happens: the demo script's gaps (windows need real days between)."""
    out, when = {}, START
    for step in STEPS:
        when = when + timedelta(days=GAP.get(step, 1), hours=1)
        out[step] = when
    return out


def sqlite_connect(path: Path, synchronous: str) -> sqlite3.Connection:
    """A raw connection with petition_flow's own settings (db.py), but ``synchronous``."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def pragmas(conn: sqlite3.Connection) -> tuple[str, str]:
    journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[conn.execute(
        "PRAGMA synchronous").fetchone()[0]]
    return journal.upper(), sync


@contextmanager
def scratch_env(folder: Path) -> Iterator[None]:
    """petition_flow's key, checkpoint and document files in ``folder``; restored after."""
    wanted = {"PETITION_FLOW_KEY_FILE": folder / "keys.json",
              "PETITION_FLOW_CHECKPOINTS": folder / "audit-checkpoints.log",
              "PETITION_FLOW_PUBLIC_KEY_FILE": folder / "audit-public-key.pem",
              "PETITION_FLOW_DOCUMENTS": folder / "documents"}
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update({name: str(path) for name, path in wanted.items()})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --- petition_flow -----------------------------------------------------------------------

WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)


@dataclass
class Writes:
    """Rows one use case wrote, per (verb, table), as the service layer sent them."""

    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    state: str = ""

    def add(self, verb: str, table: str, n: int) -> None:
        key = (verb.split()[0].upper(), table)
        self.rows[key] = self.rows.get(key, 0) + n

    def get(self, verb: str, table: str) -> int:
        return self.rows.get((verb, table), 0)


class PetitionFlowRun:
    """The scenario through the real service layer, on its own SQLite file."""

    name = "petition_flow"

    def __init__(self, folder: Path, synchronous: str):
        self.path = folder / "petition_flow.sqlite3"
        self.engine = make_engine(f"sqlite:///{self.path}")

        # Runs after db.py's own connect listener, which sets synchronous=FULL.
        @event.listens_for(self.engine, "connect")
        def _synchronous(dbapi_conn, _record):
            dbapi_conn.execute(f"PRAGMA synchronous={synchronous}")

        upgrade(self.engine)
        self.Session = make_session_factory(self.engine)
        with self.Session() as s:
            seed_organisation(s)
            s.commit()
            bench_users(s, START)
            self.counties = list(PILOTS)
            regions = {r.code: r for r in s.execute(
                select(Region).where(Region.code.in_(self.counties))).scalars()}
            self.division = {c: regions[c].division_code for c in self.counties}
            self.region_ids = {c: regions[c].id for c in self.counties}
            self.inputs = {c: self._inputs(s, regions[c]) for c in self.counties}
            users = {u.username: u for u in s.execute(
                select(User).where(User.username.like("bench.%"))).scalars()}
            self.actors = {c: self._actors(users, c, Actor) for c in self.counties}
            self.reception = {c: Actor.of(users[f"bench.{RECEPTION}.{c}"])
                              for c in self.counties}
            self.bureaus = {c: self.reception[c].unit_id for c in self.counties}
        self.statements = 0
        self.capture: Writes | None = None
        event.listen(self.engine, "before_cursor_execute", self._count)

    def _inputs(self, session, region) -> dict[str, dict[str, Any]]:
        when = step_times()
        return {step: dict(APPEAL6) if step == "classify" else
                step_inputs(session, step, region, local_date(when[step]), {})
                for step in STEPS}

    def _actors(self, users, county: str, actor_cls) -> dict[str, Any]:
        """Who fires each step: the demo's role, in the county or in the unit transferred to."""

        unit = self.inputs[county]["transfer"]["unit"]
        out = {}
        for step in STEPS:
            r = step_role(step)
            place = county if role(r).scope == "county" else unit
            out[step] = actor_cls.of(users[f"bench.{r}.{place}"])
        return out

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self.statements += 1
        if self.capture is not None:
            found = WRITE.match(statement)
            if found:
                # A DBAPI executemany passes a list of rows; SQLAlchemy's "insertmanyvalues"
                # sends one statement per batch, with a (…), (…) group per row.
                rows = (len(parameters) if isinstance(parameters, list)
                        else statement.count("), (") + 1)
                self.capture.add(found.group(1), found.group(2), rows)

    def register(self, n: int, county: str) -> int:
        form = _registration_form(random.Random(n), self.division[county], START)
        with self.Session() as s:
            return register_petition(s, self.reception[county], START, form).case.id

    def step(self, case_id: int, county: str, step: str, when: datetime) -> str:
        with self.Session() as s:
            case = fire_transition(s, self.actors[county][step], when, case_id, step,
                                   self.inputs[county][step])
            return case.state

    def walk_captured(self, county: str) -> tuple[Writes, dict[str, Writes]]:
        """One untimed walk that records each use case's row writes (the floor's plan)."""
        when = step_times()
        self.capture = registration = Writes()
        case_id = self.register(0, county)
        registration.state = "registered"
        plan = {}
        for step in STEPS:
            self.capture = plan[step] = Writes()
            plan[step].state = self.step(case_id, county, step, when[step])
        self.capture = None
        return registration, plan

    def verify(self) -> bool:
        with self.Session() as s:
            return verify_chain(s).ok

    def states(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return dict(conn.exec_driver_sql(
                "SELECT state, count(*) FROM cases GROUP BY state").all())

    def close(self) -> None:
        self.engine.dispose()


# --- SpiffWorkflow -----------------------------------------------------------------------


def six_step_bpmn() -> str:
    """A BPMN process of the six user tasks in a row, between a start and an end event."""
    nodes = ["start", *STEPS, "end"]
    flows = "".join(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
                    for i, (a, b) in enumerate(zip(nodes, nodes[1:], strict=False)))
    tasks = "".join(f'<bpmn:userTask id="{s}" name="{STEP_LABELS[s]}">'
                    f"<bpmn:incoming>f{i}</bpmn:incoming><bpmn:outgoing>f{i + 1}</bpmn:outgoing>"
                    "</bpmn:userTask>" for i, s in enumerate(STEPS))
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'id="petition" targetNamespace="http://bpmn.io/schema/bpmn">'
            f'<bpmn:process id="{PROCESS_ID}" isExecutable="true">'
            '<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
            f"{tasks}"
            f'<bpmn:endEvent id="end"><bpmn:incoming>f{len(STEPS)}</bpmn:incoming>'
            "</bpmn:endEvent>"
            f"{flows}</bpmn:process></bpmn:definitions>")


class SpiffRun:
    """The scenario through SpiffWorkflow: one serialised workflow per case in SQLite."""

    name = "spiffworkflow"

    def __init__(self, folder: Path, synchronous: str):
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.util.task import TaskState

        parser = BpmnParser()
        parser.add_bpmn_str(six_step_bpmn().encode(), "six_step.bpmn")
        self.spec = parser.get_spec(PROCESS_ID)
        self.serializer = BpmnWorkflowSerializer()
        self.workflow_cls, self.ready = BpmnWorkflow, TaskState.READY
        self.conn = sqlite_connect(folder / "spiffworkflow.sqlite3", synchronous)
        self.conn.execute("CREATE TABLE workflows (id INTEGER PRIMARY KEY, case_no TEXT NOT NULL "
                          "UNIQUE, state TEXT NOT NULL, version INTEGER NOT NULL, "
                          "updated_at TEXT NOT NULL, serialization TEXT NOT NULL)")
        self.statements = 0
        self.sizes: list[int] = []

    def _run(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        self.statements += 1
        return self.conn.execute(sql, params)

    def _state(self, workflow) -> str:
        if workflow.is_completed():
            return "completed"
        return workflow.get_tasks(state=self.ready, manual=True)[0].task_spec.name

    def register(self, n: int, county: str) -> int:
        workflow = self.workflow_cls(self.spec)
        workflow.do_engine_steps()
        data = self.serializer.serialize_json(workflow)
        self._run("BEGIN IMMEDIATE")
        cur = self._run("INSERT INTO workflows (case_no, state, version, updated_at, "
                        "serialization) VALUES (?, ?, 1, ?, ?)",
                        (f"S-{n:09d}", self._state(workflow), START.isoformat(), data))
        self.conn.commit()
        return cur.lastrowid

    def step(self, case_id: int, county: str, step: str, when: datetime,
             inputs: dict[str, Any]) -> str:
        self._run("BEGIN IMMEDIATE")
        try:
            data, version = self._run("SELECT serialization, version FROM workflows "
                                      "WHERE id = ?", (case_id,)).fetchone()
            workflow = self.serializer.deserialize_json(data)
            ready = workflow.get_tasks(state=self.ready, manual=True)
            if not ready or ready[0].task_spec.name != step:
                raise RuntimeError(f"SpiffWorkflow：案件 {case_id} 当前不能执行 {step}")
            ready[0].data.update(inputs)
            ready[0].run()
            workflow.do_engine_steps()
            state, data = self._state(workflow), self.serializer.serialize_json(workflow)
            self.sizes.append(len(data.encode()))
            updated = self._run("UPDATE workflows SET serialization = ?, state = ?, "
                                "version = version + 1, updated_at = ? "
                                "WHERE id = ? AND version = ?",
                                (data, state, when.isoformat(), case_id, version))
            if updated.rowcount != 1:
                raise RuntimeError("SpiffWorkflow：并发修改")
            self.conn.commit()
        except BaseException:
            self.conn.rollback()
            raise
        return state

    def states(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT state, count(*) FROM workflows GROUP BY state"))

    def close(self) -> None:
        self.conn.close()


# --- the floor ---------------------------------------------------------------------------


def _stamp(when: datetime) -> str:
    """A datetime as petition_flow stores it (naive UTC, microseconds)."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class FloorRun:
    """The same row writes as the service layer's, by hand, on a copy of its schema."""

    name = "floor"

    def __init__(self, folder: Path, synchronous: str, source: Path,
                 registration: Writes, plan: dict[str, Writes], pf: PetitionFlowRun):
        target = folder / "floor.sqlite3"
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        dst.close()
        src.close()
        self.conn = sqlite_connect(target, synchronous)
        self.registration, self.plan = registration, plan
        self.region_ids, self.bureaus = pf.region_ids, pf.bureaus
        self.mac_key = secrets.token_bytes(32)
        self.statements = 0
        # Registration is not a timed step; its floor writes only what the steps need.
        self.unreproduced = sorted({f"{verb} {table}" for writes in plan.values()
                                    for verb, table in writes.rows} - self.HANDLED)
        self.conn.execute("INSERT OR IGNORE INTO audit_head (id, seq, hash) VALUES (1, 0, ?)",
                          ("0" * 64,))

    HANDLED = {"INSERT cases", "UPDATE cases", "INSERT parties", "UPDATE clocks",
               "INSERT clocks", "UPDATE document_numbers", "INSERT document_numbers",
               "INSERT notices", "INSERT audit_entries", "UPDATE audit_head"}

    def _run(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        self.statements += 1
        return self.conn.execute(sql, params)

    def _many(self, sql: str, rows: list[tuple]) -> None:
        if rows:
            self.statements += 1
            self.conn.executemany(sql, rows)

    def register(self, n: int, county: str) -> int:
        at = _stamp(START)
        self._run("BEGIN IMMEDIATE")
        case_id = self._run(
            "INSERT INTO cases (case_no, query_code, workflow, workflow_version, state, "
            "region_id, registered_unit_id, channel, received_at, summary, request, "
            "facts_and_reasons, litigation_related, simple, major_urgent, collective, anonymous, "
            "data, version_id, created_at, updated_at) VALUES (?, ?, 'meixian_six_step', "
            "'floor', 'registered', ?, ?, 'visit', ?, '反映拖欠农民工工资问题（基线）', "
            "'请求依法处理', '基线事项。', 0, 0, 0, 0, 0, '{}', 1, ?, ?)",
            (f"F-{n:09d}", f"F{n:09d}", self.region_ids[county], self.bureaus[county], at, at,
             at)).lastrowid
        self._many("INSERT INTO parties (case_id, name, id_number, phone, address, "
                   "representative) VALUES (?, '王基线', '610326198001011234', '13900000000', "
                   "'基线地址', 0)", [(case_id,)] * self.registration.get("INSERT", "parties"))
        self._write(case_id, county, "register", START, self.registration, "registered", None)
        self.conn.commit()
        return case_id

    def step(self, case_id: int, county: str, step: str, when: datetime,
             inputs: dict[str, Any]) -> str:
        writes = self.plan[step]
        source = self.plan[STEPS[STEPS.index(step) - 1]].state if step != STEPS[0] \
            else "registered"
        self._run("BEGIN IMMEDIATE")
        try:
            state, version = self._run("SELECT state, version_id FROM cases WHERE id = ?",
                                       (case_id,)).fetchone()
            if state != source:
                raise RuntimeError(f"基线：案件 {case_id} 处于 {state}，不能执行 {step}")
            updated = self._run(
                "UPDATE cases SET state = ?, data = json_set(data, '$.' || ?, json(?)), "
                "version_id = version_id + 1, updated_at = ? WHERE id = ? AND version_id = ?",
                (writes.state, step, json.dumps(inputs, ensure_ascii=False), _stamp(when),
                 case_id, version))
            if updated.rowcount != 1:
                raise RuntimeError("基线：并发修改")
            self._write(case_id, county, step, when, writes, writes.state, state)
            self.conn.commit()
        except BaseException:
            self.conn.rollback()
            raise
        return writes.state

    def _write(self, case_id: int, county: str, action: str, when: datetime, writes: Writes,
               to_state: str, from_state: str | None) -> None:
        at, day = _stamp(when), when.astimezone(UTC).date().isoformat()
        stops = writes.get("UPDATE", "clocks")
        if stops:
            running = [row[0] for row in self._run(
                "SELECT id FROM clocks WHERE case_id = ? AND status = 'running' ORDER BY id "
                "LIMIT ?", (case_id, stops))]
            self._many("UPDATE clocks SET status = 'stopped', stopped_at = ? WHERE id = ?",
                       [(at, cid) for cid in running])
        self._many(
            "INSERT INTO clocks (case_id, rule, label, article, unit, duty, days, "
            "workflow_version, trigger_date, extension_days, excluded_days, status, due_date, "
            "blue_on, yellow_on, red_on, next_level_on, provisional, calendar_version, "
            "explanation, version, started_at) VALUES (?, ?, '办理期限', '《信访工作条例》第三十六条', "
            "'calendar', 1, 60, 'floor', ?, 0, 0, 'running', ?, ?, ?, ?, ?, 0, 'floor', "
            "'60 日，自受理次日起算', 1, ?)",
            [(case_id, f"{action}.{k}", day, day, day, day, day, day, at)
             for k in range(writes.get("INSERT", "clocks"))])
        notices = []
        for k in range(writes.get("INSERT", "notices")):
            number = self._run(
                "INSERT INTO document_numbers (region_id, year, doc_type, last_no) "
                "VALUES (?, 2026, ?, 1) ON CONFLICT (region_id, year, doc_type) "
                "DO UPDATE SET last_no = last_no + 1 RETURNING last_no",
                (self.region_ids[county], f"{action[:6]}{k}")).fetchone()[0]
            notices.append((case_id, f"{action}.{k}", "告知书",
                            "信访人：你反映的事项已依法处理。" * 40, at,
                            f"{county}{action}{k}〔2026〕{number}号"))
        self._many("INSERT INTO notices (case_id, kind, title, body, issued_at, doc_no) "
                   "VALUES (?, ?, ?, ?, ?, ?)", notices)
        self._audit(case_id, action, at, writes.get("INSERT", "audit_entries"), to_state,
                    from_state)

    def _audit(self, case_id: int, action: str, at: str, n: int, to_state: str,
               from_state: str | None) -> None:
        if not n:
            return
        seq, prev = self._run("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        rows = []
        for k in range(n):
            seq += 1
            details = json.dumps({"step": action, "entry": k}, ensure_ascii=False)
            body = json.dumps([seq, at, case_id, "floor", action, from_state, to_state, details],
                              ensure_ascii=False, separators=(",", ":"))
            digest = hashlib.sha256(f"{prev}\n{body}".encode()).hexdigest()
            mac = hmac.new(self.mac_key, digest.encode(), hashlib.sha256).hexdigest()
            rows.append((seq, at, case_id, "floor", "reception", action, from_state, to_state,
                         details, prev, digest, mac))
            prev = digest
        self._many("INSERT INTO audit_entries (seq, at, case_id, actor_username, actor_role, "
                   "action, from_state, to_state, details, prev_hash, hash, mac) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        head_mac = hmac.new(self.mac_key, f"{seq}:{prev}".encode(), hashlib.sha256).hexdigest()
        self._run("UPDATE audit_head SET seq = ?, hash = ?, mac = ? WHERE id = 1",
                  (seq, prev, head_mac))

    def states(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT state, count(*) FROM cases "
                                      "WHERE workflow_version = 'floor' GROUP BY state"))

    def close(self) -> None:
        self.conn.close()


# --- the run -----------------------------------------------------------------------------


@dataclass
class Samples:
    us: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    statements: dict[str, list[int]] = field(default_factory=lambda: {s: [] for s in STEPS})
    register_us: list[float] = field(default_factory=list)

    def all_us(self) -> list[float]:
        return [t for step in STEPS for t in self.us[step]]

    def us_per_step(self) -> float:
        values = self.all_us()
        return sum(values) / len(values)

    def statements_per_step(self) -> float:
        values = [n for step in STEPS for n in self.statements[step]]
        return sum(values) / len(values)


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "unknown"


def run(args: argparse.Namespace, folder: Path, out) -> dict[str, Any]:
    with ExitStack() as stack:
        stack.enter_context(scratch_env(folder))
        stack.enter_context(keys.using(keys.Keyring.generate()))
        print("准备数据库（迁移、组织机构、基准用户）……", file=out, flush=True)
        pf = PetitionFlowRun(folder, args.synchronous)
        stack.callback(pf.close)
        snapshot = folder / "schema-snapshot.sqlite3"
        with sqlite3.connect(pf.path) as src, sqlite3.connect(snapshot) as dst:
            src.backup(dst)
        dst.close()
        src.close()
        spiff = SpiffRun(folder, args.synchronous)
        stack.callback(spiff.close)
        registration, plan = pf.walk_captured(pf.counties[0])
        floor = FloorRun(folder, args.synchronous, snapshot, registration, plan, pf)
        stack.callback(floor.close)
        engines = {e.name: e for e in (pf, spiff, floor)}
        settings = {name: pragmas(sqlite_connect(path, args.synchronous)) for name, path in
                    (("spiffworkflow", folder / "spiffworkflow.sqlite3"),
                     ("floor", folder / "floor.sqlite3"))}
        with pf.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            settings["petition_flow"] = pragmas(raw)
        load_before = loadavg()
        samples = walk_all(engines, args, pf.counties, out)
        load_after = loadavg()
        states = {name: engine.states() for name, engine in engines.items()}
        chain_ok = pf.verify()
        return report(args, samples, settings, states, chain_ok, spiff.sizes, plan,
                      floor.unreproduced, load_before, load_after, out)


def walk_all(engines: dict[str, Any], args: argparse.Namespace, counties: list[str],
             out) -> dict[str, Samples]:
    """Every case through the three engines, step by step, the order rotating per case."""
    when = step_times()
    samples = {name: Samples() for name in ENGINES}
    pf = engines["petition_flow"]
    total = args.warmup + args.cases
    clock = time.perf_counter_ns
    for n in range(1, total + 1):
        timed = n > args.warmup
        county = counties[n % len(counties)]
        order = ENGINES[n % 3:] + ENGINES[:n % 3]
        ids = {}
        for name in order:
            started = clock()
            ids[name] = engines[name].register(n, county)
            if timed:
                samples[name].register_us.append((clock() - started) / 1000)
        for step in STEPS:
            inputs = pf.inputs[county][step]
            for name in order:
                engine = engines[name]
                before = engine.statements
                started = clock()
                if name == "petition_flow":
                    engine.step(ids[name], county, step, when[step])
                else:
                    engine.step(ids[name], county, step, when[step], inputs)
                elapsed = (clock() - started) / 1000
                if timed:
                    samples[name].us[step].append(elapsed)
                    samples[name].statements[step].append(engine.statements - before)
        if n % 50 == 0 or n == total:
            print(f"  已完成 {n}/{total} 件（含预热 {args.warmup} 件）", file=out, flush=True)
    return samples


def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else 0.0


def report(args, samples: dict[str, Samples], settings, states, chain_ok: bool,
           sizes: list[int], plan: dict[str, Writes], unreproduced: list[str],
           load_before: str, load_after: str, out) -> dict[str, Any]:
    us = {name: samples[name].us_per_step() for name in ENGINES}
    statements = {name: samples[name].statements_per_step() for name in ENGINES}
    p50 = {name: statistics.median(samples[name].all_us()) for name in ENGINES}
    sync = {s for _, s in settings.values()}
    print(f"案件 {args.cases} 件（另有预热 {args.warmup} 件），每件 6 步："
          + " → ".join(STEP_LABELS[s] for s in STEPS), file=out)
    print("数据库：三者各用临时目录中的一个 SQLite 文件，设置相同："
          + "；".join(f"{name} journal_mode={j} synchronous={s}"
                     for name, (j, s) in settings.items()), file=out)
    if len(sync) != 1:
        print("警告：三者的 synchronous 设置不一致！", file=out)
    print(f"负载（/proc/loadavg）：开始 {load_before}；结束 {load_after}", file=out)
    for name in ENGINES:
        print(f"{ENGINE_LABELS[name]}：平均 {us[name]:,.0f} µs/步（中位数 {p50[name]:,.0f} µs），"
              f"{statements[name]:.1f} 条语句/步；登记 "
              f"{statistics.mean(samples[name].register_us):,.0f} µs/件（不计入步骤）", file=out)
    print(f"比值：SpiffWorkflow / petition_flow = {_ratio(us['spiffworkflow'], us['petition_flow'])}"
          f"（第 18 号问题的目标 ≥ 2.0）；petition_flow / 基线 = "
          f"{_ratio(us['petition_flow'], us['floor'])}；SpiffWorkflow / 基线 = "
          f"{_ratio(us['spiffworkflow'], us['floor'])}", file=out)
    print(f"SpiffWorkflow 每件的序列化 JSON：平均 {statistics.mean(sizes) / 1024:.1f} KB", file=out)
    print("各步（中位数 µs / 语句数）：", file=out)
    by_step = {}
    for step in STEPS:
        row = {name: {"p50_us": round(statistics.median(samples[name].us[step]), 1),
                      "statements": round(statistics.mean(samples[name].statements[step]), 2)}
               for name in ENGINES}
        by_step[step] = row
        writes = "，".join(f"{verb} {table} {n} 行" for (verb, table), n in plan[step].rows.items())
        print(f"  {STEP_LABELS[step]}（{step}）："
              + "；".join(f"{ENGINE_LABELS[n]} {row[n]['p50_us']:,.0f} µs / {row[n]['statements']:g}"
                         for n in ENGINES)
              + f"；服务层写入：{writes}", file=out)
    if unreproduced:
        print("注意：基线没有复现服务层的这些写入：" + "、".join(unreproduced), file=out)
    print(f"petition_flow 审计链校验：{'通过' if chain_ok else '失败'}", file=out)
    print("结束状态：" + "；".join(f"{ENGINE_LABELS[n]} {states[n]}" for n in ENGINES), file=out)
    return {
        "petition_flow_us_per_step": round(us["petition_flow"], 1),
        "spiffworkflow_us_per_step": round(us["spiffworkflow"], 1),
        "floor_us_per_step": round(us["floor"], 1),
        "statements_per_step": round(statements["petition_flow"], 2),
        "spiffworkflow_statements_per_step": round(statements["spiffworkflow"], 2),
        "floor_statements_per_step": round(statements["floor"], 2),
        "p50_us_per_step": {name: round(v, 1) for name, v in p50.items()},
        "ratio_spiffworkflow_to_petition_flow": _ratio(us["spiffworkflow"], us["petition_flow"]),
        "ratio_petition_flow_to_floor": _ratio(us["petition_flow"], us["floor"]),
        "ratio_spiffworkflow_to_floor": _ratio(us["spiffworkflow"], us["floor"]),
        "register_us": {name: round(statistics.mean(samples[name].register_us), 1)
                        for name in ENGINES},
        "by_step": by_step,
        "spiffworkflow_json_bytes": round(statistics.mean(sizes)),
        "cases": args.cases, "warmup": args.warmup, "synchronous": "/".join(sorted(sync)),
        "journal_mode": "/".join(sorted({j for j, _ in settings.values()})),
        "audit_chain_ok": chain_ok, "loadavg_before": load_before, "loadavg_after": load_after,
        "spiffworkflow_version": SPIFF_VERSION,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        from importlib.metadata import version

        installed = version("SpiffWorkflow")
    except Exception:
        print("未安装 SpiffWorkflow：请先执行 pip install -e '.[peer]'（安装 SpiffWorkflow "
              f"{SPIFF_VERSION}）。", file=sys.stderr)
        return 2
    if installed != SPIFF_VERSION:
        print(f"注意：已安装的 SpiffWorkflow 为 {installed}，本基准按 {SPIFF_VERSION} 编写。",
              file=sys.stderr)
    folder = Path(tempfile.mkdtemp(prefix="petition-flow-peer-"))
    try:
        result = run(args, folder, sys.stdout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
