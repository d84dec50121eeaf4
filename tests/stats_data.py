"""A hand-built set of cases whose figures are known, for the statistics tests of every channel
(service, page, API, CSV, XLSX). Rows are written directly, not walked through the workflow, so
each date sits exactly on the edge it tests (China time, UTC+8).

The first quarter of 2026 (2026-01-01 … 2026-03-31, Beijing time), today 2026-04-10:

眉县 (meixian)
  m1  received 01-01 00:30 (= 2025-12-31 16:30 UTC: inside), concluded 01-21, 20 days; handling
      clock due 01-31, stopped 01-20; satisfied; no review -> resolved, stayed in county.
  m2  received 02-10, handed over (first handler hrss, now housing), concluded 03-31 23:30
      (inside); 49 days; local due 03-12, stopped 03-30: late locally, on time statutorily
      (03-12 + 30 = 04-11); dissatisfied; review upheld the reply, no recheck -> resolved, not
      stayed.
  m3  received 03-05, not accepted (closed, never accepted: not a concluded case).
  m4  received 03-06, repeat of m1, open, handling clock due 03-20 running -> overdue now.
  m5  received 2025-12-31 23:30 (outside the registration cohort), concluded 01-10, 10 days;
      on time; review changed the outcome -> not resolved, not stayed.
  m6  received 04-01 00:00 (outside).
  m7  received 01-15, concluded 02-01, 17 days; no handling clock (研究办理); basically
      satisfied; a repeat registered in 金台区 on 02-20 -> 越级, not stayed.
  m8  received 03-20, concluded 04-01 07:30 (= 03-31 23:30 UTC: outside), 12 days.
金台区 (jintai)
  j1  received 02-20, repeat of m7, open, no clock.
  j2  received 03-10 by phone, simple handling, concluded 03-20, 10 days, on time; satisfied.
"""

from __future__ import annotations

from datetime import date, datetime

from helpers import at

from petition_flow.clock import CHINA_TZ
from petition_flow.models import Case, Clock, Party, Region
from petition_flow.services.org import unit_by_code

TODAY = date(2026, 4, 10)
Q1 = (date(2026, 1, 1), date(2026, 3, 31))
ID_M1 = "610326198001011234"
DIVISIONS = {"meixian": "610326", "jintai": "610303"}


def _t(text: str) -> datetime:
    day, _, clock = text.partition(" ")
    hour, _, minute = (clock or "10:00").partition(":")
    return at(day, int(hour), int(minute))


class Builder:
    def __init__(self, session):
        self.session = session
        self.n = 0
        self.cases: dict[str, Case] = {}

    def region(self, code: str) -> int:
        from sqlalchemy import select

        return self.session.execute(select(Region.id).where(Region.code == code)).scalar_one()

    def unit(self, code: str) -> int:
        return unit_by_code(self.session, code).id

    def case(self, name: str, county: str, received: str, *, state="concluded", closed=None,
             first=None, responsible=None, channel="visit", category="appeal", data=None,
             repeat_of=None, registered_by=None, summary=None, facts="", party=None):
        self.n += 1
        received_at = _t(received)
        c = Case(case_no=f"{DIVISIONS[county]}-2026-{self.n:06d}", query_code=f"Q{self.n:07d}",
                 workflow="meixian_six_step", workflow_version="1", state=state,
                 region_id=self.region(county),
                 registered_unit_id=self.unit(registered_by or f"{county}.bureau"),
                 responsible_unit_id=self.unit(responsible or first) if (responsible or first)
                 else None,
                 first_handler_unit_id=self.unit(first) if first else None,
                 first_handled_at=received_at if first else None,
                 channel=channel, received_at=received_at,
                 summary=summary or f"{name}号事项", request="请求依法处理",
                 facts_and_reasons=facts, category=category, data=data or {},
                 repeat_of_id=self.cases[repeat_of].id if repeat_of else None,
                 created_at=received_at, updated_at=received_at,
                 closed_at=_t(closed) if closed else None)
        name_, id_number, phone = party or ("张三", None, None)
        c.parties = [Party(name=name_, id_number=id_number, phone=phone, address="眉县首善街道",
                           representative=False)]
        self.session.add(c)
        self.session.flush()
        self.cases[name] = c
        return c

    def clock(self, name: str, rule: str, trigger: str, due: str, *, days: int,
              stopped: str | None = None, unit: str = "calendar"):
        c = self.cases[name]
        self.session.add(Clock(
            case_id=c.id, rule=rule, label="办理期限", article="信访工作条例第三十四条", unit=unit,
            duty=True, days=days, workflow_version="1", trigger_date=date.fromisoformat(trigger),
            status="stopped" if stopped else "running", due_date=date.fromisoformat(due),
            calendar_version="test", explanation="test",
            started_at=_t(trigger), stopped_at=_t(stopped) if stopped else None))


REPLY_SUPPORT = {"reply": {"outcome": "support"}}


def build(session) -> dict[str, Case]:
    b = Builder(session)
    m = "meixian.hrss"
    b.case("m1", "meixian", "2026-01-01 00:30", closed="2026-01-21 10:00", first=m,
           data={**REPLY_SUPPORT, "evaluate": {"rating": "satisfied"}},
           summary="反映拖欠农民工工资问题", facts="本人在眉县某建筑工地务工三个月，工资一直未结清。",
           party=("王建国", ID_M1, "13912345678"))
    b.clock("m1", "handling", "2026-01-01", "2026-01-31", days=30, stopped="2026-01-20")
    b.case("m2", "meixian", "2026-02-10 09:00", closed="2026-03-31 23:30", first=m,
           responsible="meixian.housing", channel="letter",
           data={**REPLY_SUPPORT, "evaluate": {"rating": "dissatisfied"},
                 "request_review": {"reason": "不服"}, "decide_review": {"outcome": "support"}})
    b.clock("m2", "handling", "2026-02-10", "2026-03-12", days=30, stopped="2026-03-30")
    b.case("m3", "meixian", "2026-03-05", state="not_accepted", closed="2026-03-08",
           responsible=m)
    b.case("m4", "meixian", "2026-03-06", state="under_handling", first=m, repeat_of="m1")
    b.clock("m4", "handling", "2026-03-06", "2026-03-20", days=14)
    b.case("m5", "meixian", "2025-12-31 23:30", closed="2026-01-10 10:00", first=m,
           data={**REPLY_SUPPORT, "request_review": {"reason": "不服"},
                 "decide_review": {"outcome": "not_support"}})
    b.clock("m5", "handling", "2026-01-01", "2026-01-30", days=30, stopped="2026-01-09")
    b.case("m6", "meixian", "2026-04-01 00:00", state="registered")
    b.case("m7", "meixian", "2026-01-15", closed="2026-02-01", first=m, category="suggestion",
           data={"reply": {"outcome": "explain"},
                 "evaluate": {"rating": "basically_satisfied"}})
    b.case("m8", "meixian", "2026-03-20", closed="2026-04-01 07:30", first=m)
    b.clock("m8", "handling", "2026-03-20", "2026-04-19", days=30, stopped="2026-03-31")
    b.case("j1", "jintai", "2026-02-20", state="registered", repeat_of="m7", channel="web",
           category=None)
    b.case("j2", "jintai", "2026-03-10", closed="2026-03-20", first="jintai.hrss",
           channel="phone", data={"reply_simple": {"outcome": "support"},
                                  "evaluate": {"rating": "satisfied"}})
    b.clock("j2", "simple_handling", "2026-03-10", "2026-03-24", days=10, stopped="2026-03-19",
            unit="workday")
    session.commit()
    return b.cases


# What the first quarter must show, per county and in total (city supervisors).
EXPECTED = {
    "meixian": {
        "registered": 6, "accepted": 5, "not_accepted": 1, "overdue": 1, "concluded": 4,
        "on_time_statutory": (3, 3), "on_time_local": (2, 3), "first_handler_rate": (3, 4),
        "repeat_rate": (1, 6), "satisfaction_rate": (2, 3), "resolution_rate": (3, 4),
        "in_county_rate": (1, 4), "average_days": 24.0, "p90_days": 49,
    },
    "jintai": {
        "registered": 2, "accepted": 1, "not_accepted": 0, "overdue": 0, "concluded": 1,
        "on_time_statutory": (1, 1), "on_time_local": (1, 1), "first_handler_rate": (1, 1),
        "repeat_rate": (1, 2), "satisfaction_rate": (1, 1), "resolution_rate": (1, 1),
        "in_county_rate": (1, 1), "average_days": 10.0, "p90_days": 10,
    },
    "total": {
        "registered": 8, "accepted": 6, "not_accepted": 1, "overdue": 1, "concluded": 5,
        "on_time_statutory": (4, 4), "on_time_local": (3, 4), "first_handler_rate": (4, 5),
        "repeat_rate": (2, 8), "satisfaction_rate": (3, 4), "resolution_rate": (4, 5),
        "in_county_rate": (2, 5), "average_days": 21.2, "p90_days": 49,
    },
}


def expected_value(key: str, expected):
    if isinstance(expected, tuple):
        num, den = expected
        return round(num / den, 4)
    return expected


def china(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=CHINA_TZ)
