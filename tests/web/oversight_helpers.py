"""Set-ups shared by the tests of the issue 4 pages: an overdue case swept red (an alert in
the inbox and an accountability record), an open supervision order, the day the pages see."""

from __future__ import annotations

import re
from datetime import date, timedelta

from helpers import at
from sqlalchemy import select

from petition_flow import clock
from petition_flow.models import AccountabilityRecord, Clock, InboxItem, User
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.notify import NotifyConfig
from petition_flow.services.supervision import issue_supervision_order

QUIET = NotifyConfig()


def today() -> date:
    """The pages read the wall clock: order due dates are set relative to it."""
    return clock.local_date(clock.now())


def handling_clock(session, case_id: int) -> Clock:
    return session.execute(select(Clock).where(Clock.case_id == case_id,
                                               Clock.rule == "handling")).scalar_one()


def statutory_only(session, case_id: int) -> None:
    """Follow the statutory 办理期限 alone: Meixian's 30-day 限时办结 clock, which runs beside
    it, has its own tests (tests/integration/test_local_limits.py)."""
    for local in session.execute(select(Clock).where(Clock.case_id == case_id,
                                                     Clock.rule == "handling@local")).scalars():
        local.status, local.next_level_on = "stopped", None
    session.flush()


def swept_red(cases, session, county: str = "meixian"):
    """An accepted case whose handling clock the sweeper found red: alert, inbox, record."""
    case = cases.walk(["classify", "transfer", "accept"], county=county)
    statutory_only(session, case.id)
    red_on = handling_clock(session, case.id).red_on
    sweep_deadlines(session, at(red_on + timedelta(days=1)), config=QUIET)
    record = session.execute(select(AccountabilityRecord)
                             .where(AccountabilityRecord.case_id == case.id)).scalar_one()
    facts = case.id, case.case_no, record.id, record.alert_id
    session.commit()
    return facts


def inbox_items(session, username: str) -> list[InboxItem]:
    session.expire_all()  # the pages wrote through their own sessions
    items = list(session.execute(
        select(InboxItem).join(User, User.id == InboxItem.user_id)
        .where(User.username == username).order_by(InboxItem.id)).scalars())
    session.commit()
    return items


def open_order(cases, session, world, county: str = "meixian", listed: bool = True):
    """A case of ``county`` with an open order issued by its county supervisor."""
    case = cases.walk(["classify", "transfer", "accept"], county=county)
    order = issue_supervision_order(
        session, world.actor("county_supervisor", county), clock.now(), case.id,
        requirements="请查明欠薪事实并书面回复。", due_date=today() + timedelta(days=10),
        listed=listed, config=QUIET)
    facts = order.id, case.id, case.case_no
    session.commit()
    return facts


def hrefs(page: str, css: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(rf'class="{css}" href="([^"]+)"', page)]
