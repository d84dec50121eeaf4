"""Worker for test_multiprocess_load: one process of a multi-process load on one database.

``api``: an application of its own (as a server process would be) whose threads re-classify
and read the hot cases through the JSON API until the time is up; prints one JSON line per
answer. ``sweep``: runs deadline sweeps, a day further each time, during the load; prints
how many it completed.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from petition_flow.clock import parse_instant

START = parse_instant("2026-03-03T09:00")


def api(url: str, instance: str, token: str, case_ids: list[int], seconds: float,
        threads: int) -> None:
    from petition_flow.app import create_app

    app = create_app({"DATABASE_URL": url, "PETITION_FLOW_CLOCK": lambda: START},
                     instance_path=Path(instance))
    headers = {"Authorization": f"Bearer {token}"}
    answers: list[dict] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def run(n: int) -> None:
        client = app.test_client()
        rng = random.Random(n)
        while time.monotonic() < deadline:
            case_id = rng.choice(case_ids)
            if rng.random() < 0.6:
                body = {"trigger": "classify", "data": {"category": "appeal", "route": "6"}}
                answer = client.post(f"/api/v1/petitions/{case_id}/events", json=body,
                                     headers=headers)
                kind = "fire"
            else:
                answer = client.get(f"/api/v1/petitions/{case_id}", headers=headers)
                kind = "read"
            with lock:
                answers.append({"kind": kind, "case": case_id, "status": answer.status_code,
                                "body": answer.get_data(as_text=True)[:300]})

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for a in answers:
        print(json.dumps(a, ensure_ascii=False))


def sweep(url: str, seconds: float) -> None:
    from petition_flow.db import make_engine, make_session_factory
    from petition_flow.services.alerts import sweep_deadlines
    from petition_flow.services.notify import NotifyConfig

    Session = make_session_factory(make_engine(url))
    deadline, day, raised = time.monotonic() + seconds, 0, 0
    while time.monotonic() < deadline:
        day += 1
        with Session() as session:
            result = sweep_deadlines(session, START + timedelta(days=day),
                                     config=NotifyConfig(), batch_size=5)
            raised += len(result.alerts)
    print(json.dumps({"sweeps": day, "alerts": raised}))


if __name__ == "__main__":
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "api":
        api(url, sys.argv[3], sys.argv[4], json.loads(sys.argv[5]), float(sys.argv[6]),
            int(sys.argv[7]))
    else:
        sweep(url, float(sys.argv[3]))
