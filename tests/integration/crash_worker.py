"""Worker for test_crash_safety: registers petitions and fires transitions until killed."""

from __future__ import annotations

import sys
from datetime import timedelta

from sqlalchemy import select

from petition_flow.clock import parse_instant
from petition_flow.db import make_engine, make_session_factory
from petition_flow.domain.identity import id_check_digit
from petition_flow.models import Unit, User
from petition_flow.services.actor import Actor
from petition_flow.services.petitions import fire_transition, register_petition

STEPS = [("classify", "reception", {"category": "appeal", "route": "6"}),
         ("transfer", "reception", None), ("accept", "handler", {}),
         ("request_extension", "handler", {"days": 10, "reason": "需进一步调查。"}),
         ("approve_extension", "unit_leader", {})]


def main(url: str, run: int) -> None:
    Session = make_session_factory(make_engine(url))
    with Session() as s:
        actors = {u.role: Actor.of(u) for u in s.execute(select(User).where(
            User.username.in_([f"{r}.meixian" for r in ("reception", "handler", "unit_leader")]))
        ).scalars()}
        unit = s.execute(select(Unit.id).where(Unit.code == "meixian.hrss")).scalar_one()
    now = parse_instant("2026-03-02T09:00") + timedelta(hours=run)
    n = 0
    while True:
        n += 1
        first17 = f"61032619{70 + run:02d}0101{n % 10000:04d}"[:17]
        form = {"channel": "letter", "received_at": now, "summary": f"第{run}-{n}件",
                "request": f"请求处理第{run}-{n}件事项", "facts_and_reasons": "事实和理由。",
                "petitioners": [{"name": "李秀英", "id_number": first17 + id_check_digit(first17),
                                 "phone": "13900000000"}], "repeat_reason": "压力测试"}
        with Session() as s:
            case = register_petition(s, actors["reception"], now, form).case
            for trigger, role, inputs in STEPS:
                fire_transition(s, actors[role], now, case.id, trigger,
                                {"unit": unit} if inputs is None else inputs)
        print(n, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
