"""A process registering petitions and firing transitions is killed with SIGKILL at random
moments, several times; afterwards every case is whole or absent and the audit chain holds."""

from __future__ import annotations

import os
import random
import select as io_select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from petition_flow.models import AuditEntry, Case, Clock, Notice
from petition_flow.services.audit import verify_chain

pytestmark = pytest.mark.slow  # pyproject.toml: `-m "not slow"` leaves it out

WORKER = Path(__file__).with_name("crash_worker.py")
ROOT = Path(__file__).resolve().parents[2]
STATE_CLOCKS = {"registered": "routing", "triaged": "routing", "transferred": "objection",
                "under_handling": "handling", "extension_requested": "handling"}


def test_killing_the_writer_at_random_moments_leaves_only_whole_cases_and_a_valid_chain(
    Session, database_url
):
    rng = random.Random(20261130)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    progressed = 0
    for run in range(5):
        proc = subprocess.Popen([sys.executable, str(WORKER), database_url, str(run)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Kill only once the worker is writing (its first case done), at a random moment after.
        ready, _, _ = io_select.select([proc.stdout], [], [], 120)
        assert ready, "the worker did not start writing within two minutes"
        first = proc.stdout.readline()
        time.sleep(rng.random() * 1.5)
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        assert "Traceback" not in err, err
        progressed += len((first + out).split())
    assert progressed > 0, "the worker never finished a case before being killed"
    with Session() as s:
        cases = s.execute(select(Case)).scalars().all()
        assert len(cases) >= progressed
        for case in cases:
            assert len(case.parties) == 1
            kinds = set(s.execute(select(Notice.kind).where(Notice.case_id == case.id)).scalars())
            assert {"receipt_route", "rights_duties"} <= kinds
            last = s.execute(select(AuditEntry).where(
                AuditEntry.case_id == case.id, AuditEntry.to_state.is_not(None))
                .order_by(AuditEntry.seq.desc())).scalars().first()
            assert last.to_state == case.state
            running = s.scalar(select(func.count()).select_from(Clock).where(
                Clock.case_id == case.id, Clock.rule == STATE_CLOCKS[case.state],
                Clock.status == "running"))
            assert running == 1, (case.state, case.id)
        result = verify_chain(s)
        assert result.ok, result.message
