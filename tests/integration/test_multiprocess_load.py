"""Several processes on one database at once — three API processes re-classifying and reading
the same hot cases while a fourth runs deadline sweeps — as in the fault-injection run of
issue 11. On PostgreSQL this used to end in "deadlock detected" 503s, 503s for transitions
that had in fact been saved, and sweeps dying with a traceback. The load is kept small (a
few seconds, two threads a process) so the test suits a shared machine."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from helpers import at
from sqlalchemy import func, select

from petition_flow.models import AuditEntry
from petition_flow.services.actor import SYSTEM
from petition_flow.services.audit import verify_chain
from petition_flow.services.tokens import create_token

pytestmark = pytest.mark.slow  # pyproject.toml: `-m "not slow"` leaves it out

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("load_worker.py")
SECONDS, PROCESSES, THREADS, HOT_CASES = 5.0, 3, 2, 4


def _spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKER), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _transitions(session, case_ids) -> dict[int, int]:
    rows = session.execute(
        select(AuditEntry.case_id, func.count()).where(
            AuditEntry.case_id.in_(case_ids), AuditEntry.action == "transition")
        .group_by(AuditEntry.case_id)).all()
    return {case_id: n for case_id, n in rows}


def test_several_processes_on_hot_cases_get_no_deadlock_no_5xx_and_sweeps_complete(
    cases, Session, database_url, tmp_path
):
    hot = [cases.walk(["classify"]).id for _ in range(HOT_CASES)]
    with Session() as session:
        token = create_token(session, SYSTEM, at("2026-03-02"), "reception.meixian").token
        before = _transitions(session, hot)
    workers = [_spawn("api", database_url, str(tmp_path / f"instance{n}"), token,
                      json.dumps(hot), str(SECONDS), str(THREADS)) for n in range(PROCESSES)]
    sweeper = _spawn("sweep", database_url, str(SECONDS))
    answers = []
    for proc in workers:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-2000:]
        answers += [json.loads(line) for line in out.splitlines()]
    out, err = sweeper.communicate(timeout=180)
    assert sweeper.returncode == 0, err[-2000:]
    swept = json.loads(out.splitlines()[-1])

    statuses = Counter(a["status"] for a in answers)
    kinds = Counter(a["kind"] for a in answers)
    assert kinds["fire"] >= PROCESSES and kinds["read"] >= 1, (kinds, statuses)
    assert not [a for a in answers if "deadlock" in a["body"].lower()]
    # PostgreSQL: every request answered. SQLite: a page waits at most PAGE_BUSY_TIMEOUT for
    # the one write lock and may then answer 503 "busy" — never for a change it saved
    # (checked against the audit log below), never a 500.
    postgres = database_url.startswith("postgresql")
    assert set(statuses) <= ({200} if postgres else {200, 503}), statuses
    assert all(json.loads(a["body"])["error"]["code"] == "database_unavailable"
               for a in answers if a["status"] == 503)
    assert statuses[200] >= len(answers) * 3 // 4, statuses
    assert swept["sweeps"] >= 1 and swept["alerts"] > 0

    # Every answered transition was committed once, and nothing was committed unanswered
    # (a 503 for a saved transition would show here as one entry too many).
    fired = Counter(a["case"] for a in answers if a["kind"] == "fire" and a["status"] == 200)
    with Session() as session:
        after = _transitions(session, hot)
        assert {c: after[c] - before[c] for c in hot} == {c: fired[c] for c in hot}
        assert verify_chain(session).ok
