"""GET /alerts and POST /alerts/{id}/acknowledge: each caller's own 红黄蓝 alerts after a sweep,
filters, pages, errors; and the warning colour and 挂牌督办 on GET /petitions/{id}."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from helpers import at, petition
from sqlalchemy import select

from petition_flow.models import AuditEntry, Clock, InboxItem, SupervisionOrder, User
from petition_flow.services.actor import Actor
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.notify import NotifyConfig
from petition_flow.services.supervision import issue_supervision_order

QUIET = NotifyConfig()  # no email, no webhook: only the inbox
ROLES = ("reception", "handler", "unit_leader", "county_supervisor", "city_supervisor", "admin")


class Desk:
    """Cases moved through the API, sweeps run with an explicit ``now``, database reads in
    short sessions of their own (on SQLite an open one would hold the lock the API needs)."""

    def __init__(self, api, api_clock, unit_id, Session):
        self.api, self.clock, self.unit_id, self.Session = api, api_clock, unit_id, Session
        self.registered = 0

    def accepted(self, county: str = "meixian") -> int:
        """A petition registered, classified, transferred and accepted by the county's
        人社局, a day apart: the handling clock (办理期限) runs."""
        self.registered += 1
        case_id = self.api.post("/petitions", as_=("reception", county),
                                json=petition(self.registered)).json["id"]
        steps = [("classify", {"category": "appeal", "route": "6"}, "reception"),
                 ("transfer", {"unit": self.unit_id(f"{county}.hrss")}, "reception"),
                 ("accept", {}, "handler")]
        for trigger, data, role in steps:
            self.clock.advance(1)
            answer = self.api.post(f"/petitions/{case_id}/events", as_=(role, county),
                                   json={"trigger": trigger, "data": data})
            assert answer.status == 200, answer.json
        with self.Session() as session:
            # These tests follow the statutory 办理期限 alone; Meixian's 30-day 限时办结 clock,
            # which runs beside it, has its own tests (tests/integration/test_local_limits.py).
            for local in session.execute(select(Clock).where(
                    Clock.case_id == case_id, Clock.rule == "handling@local")).scalars():
                local.status, local.next_level_on = "stopped", None
            session.commit()
        return case_id

    def handling(self, case_id: int) -> Clock:
        with self.Session() as session:
            return session.execute(select(Clock).where(
                Clock.case_id == case_id, Clock.rule == "handling")).scalar_one()

    def sweep(self, day: date, hour: int = 9):
        """Sweep at ``day``, then let the API's clock be an hour later."""
        with self.Session() as session:
            result = sweep_deadlines(session, at(day, hour), config=QUIET)
        self.clock.now = at(day, hour + 1)
        return result

    def alerts(self, as_, **query):
        answer = self.api.get("/alerts", as_=as_, query=query)
        assert answer.status == 200, answer.json
        return answer.json

    def actor(self, username: str) -> Actor:
        with self.Session() as session:
            return Actor.of(session.execute(
                select(User).where(User.username == username)).scalar_one())


@pytest.fixture
def desk(api, api_clock, unit_id, Session) -> Desk:
    return Desk(api, api_clock, unit_id, Session)


def levels(page: dict) -> list[str]:
    return [item["level"] for item in page["items"]]


# -- who sees what after a sweep ------------------------------------------------------------

def test_after_a_red_sweep_handler_leader_and_supervisors_each_see_the_alert_in_their_inbox(
    desk
):
    case_id = desk.accepted()
    clock = desk.handling(case_id)
    result = desk.sweep(clock.red_on)
    assert [(a.case_id, a.level) for a in result.alerts] == [(case_id, "red")]

    handler = desk.alerts("handler")
    assert (handler["total"], handler["unread"], handler["page"], handler["per_page"]) == \
        (1, 1, 1, 50)
    (item,) = handler["items"]
    assert item["alert_id"] == result.alerts[0].alert_id
    assert (item["level"], item["case_id"], item["clock"], item["order_id"]) == \
        ("red", case_id, "handling", None)
    assert item["case_no"] == result.alerts[0].case_no and item["case_no"] in item["title"]
    assert item["subject"] == clock.label
    assert item["due_date"] == clock.due_date.isoformat()
    assert item["reached_at"] == f"{clock.red_on.isoformat()}T00:00:00+08:00"
    assert item["raised_at"] == f"{clock.red_on.isoformat()}T09:00:00+08:00"
    assert item["title"].startswith("【红色超期】")
    assert "已超过办理期限" in item["body"]
    assert (item["read"], item["read_at"]) == (False, None)

    seen = {role: desk.alerts(role)["items"] for role in
            ("unit_leader", "county_supervisor", "city_supervisor")}
    for role, items in seen.items():
        assert [(i["alert_id"], i["level"]) for i in items] == [(item["alert_id"], "red")], role
    # One alert, one inbox item per recipient: each has an id of its own.
    assert len({item["id"], *(items[0]["id"] for items in seen.values())}) == 4


def test_a_yellow_warning_reaches_the_handling_unit_but_not_the_supervisors(desk):
    case_id = desk.accepted()
    desk.sweep(desk.handling(case_id).yellow_on)
    assert levels(desk.alerts("handler")) == ["yellow"]
    assert levels(desk.alerts("unit_leader")) == ["yellow"]
    for role in ("county_supervisor", "city_supervisor", "reception", "admin"):
        assert desk.alerts(role)["total"] == 0, role


def test_supervisors_see_only_the_red_alerts_of_their_own_county_and_the_city_sees_all(desk):
    meixian, jintai = desk.accepted("meixian"), desk.accepted("jintai")
    desk.sweep(max(desk.handling(meixian).red_on, desk.handling(jintai).red_on))
    assert [i["case_id"] for i in desk.alerts("county_supervisor")["items"]] == [meixian]
    assert [i["case_id"] for i in desk.alerts(("county_supervisor", "jintai"))["items"]] == \
        [jintai]
    assert {i["case_id"] for i in desk.alerts("city_supervisor")["items"]} == {meixian, jintai}
    assert desk.alerts(("handler", "jintai"))["items"][0]["case_id"] == jintai


@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_read_its_own_alerts_even_when_there_are_none(api, role):
    answer = api.get("/alerts", as_=role)
    assert answer.status == 200
    assert answer.json == {"items": [], "total": 0, "unread": 0, "page": 1, "per_page": 50}


def test_the_alerts_need_a_token(api):
    for answer in (api.get("/alerts"), api.post("/alerts/1/acknowledge")):
        assert answer.status == 401
        assert answer.json["error"]["code"] == "unauthorized"


# -- acknowledging ---------------------------------------------------------------------------

def test_acknowledging_an_alert_marks_it_read_once_and_is_audited(desk, Session):
    case_id = desk.accepted()
    clock = desk.handling(case_id)
    desk.sweep(clock.blue_on)
    desk.sweep(clock.yellow_on)
    before = desk.alerts("handler")
    assert (levels(before), before["unread"]) == (["yellow", "blue"], 2)
    yellow = before["items"][0]

    answer = desk.api.post(f"/alerts/{yellow['id']}/acknowledge", as_="handler")
    assert answer.status == 200
    acknowledged_at = f"{clock.yellow_on.isoformat()}T10:00:00+08:00"
    assert {**yellow, "read": True, "read_at": acknowledged_at} == answer.json

    desk.clock.advance(1)
    again = desk.api.post(f"/alerts/{yellow['id']}/acknowledge", as_="handler")
    assert (again.status, again.json["read_at"]) == (200, acknowledged_at)

    after = desk.alerts("handler")
    assert after["unread"] == 1
    assert [(i["level"], i["read"]) for i in after["items"]] == [("blue", False),
                                                                  ("yellow", True)]
    assert desk.alerts("unit_leader")["unread"] == 1  # the leader's own copy stays unread
    with Session() as session:
        acks = session.execute(select(AuditEntry).where(
            AuditEntry.action == "alert_acknowledged")).scalars().all()
    assert [(e.actor_username, e.case_id, e.details["alert_id"]) for e in acks] == \
        [("handler.meixian", case_id, yellow["alert_id"])]


@pytest.mark.parametrize("role", ["handler", "unit_leader", "county_supervisor",
                                  "city_supervisor"])
def test_each_recipient_of_a_red_alert_acknowledges_their_own_copy_only(desk, role):
    desk.sweep(desk.handling(desk.accepted()).red_on)
    (mine,) = desk.alerts(role)["items"]
    assert desk.api.post(f"/alerts/{mine['id']}/acknowledge", as_=role).json["read"] is True
    assert desk.alerts(role)["unread"] == 0
    others = {r for r in ("handler", "unit_leader", "county_supervisor", "city_supervisor")
              if r != role}
    assert all(desk.alerts(r)["unread"] == 1 for r in others)


@pytest.mark.parametrize("other", [("unit_leader", "meixian"), ("county_supervisor", "meixian"),
                                   ("handler", "jintai"), ("admin", "meixian")])
def test_another_users_alert_is_not_found_and_stays_unread(desk, other):
    desk.sweep(desk.handling(desk.accepted()).red_on)
    mine = desk.alerts("handler")["items"][0]
    answer = desk.api.post(f"/alerts/{mine['id']}/acknowledge", as_=other)
    assert answer.status == 404
    assert answer.json["error"] == {"code": "not_found", "message": "未找到该预警消息。",
                                    "fields": {}}
    assert desk.alerts("handler")["items"][0]["read"] is False


def test_a_message_that_is_not_an_alert_is_neither_listed_nor_acknowledged_here(desk, Session):
    case_id = desk.accepted()
    with Session() as session:
        issue_supervision_order(session, desk.actor("county_supervisor.meixian"), desk.clock.now,
                                case_id, requirements="请于十日内书面报告办理情况。",
                                due_date=desk.clock.today + timedelta(days=10), config=QUIET)
        order_message = session.execute(select(InboxItem).where(
            InboxItem.kind == "supervision")).scalars().first()
    assert desk.alerts("handler")["total"] == 0
    answer = desk.api.post(f"/alerts/{order_message.id}/acknowledge", as_="handler")
    assert answer.status == 404


def test_a_supervision_orders_own_warning_names_the_order_and_no_clock(desk, Session):
    case_id = desk.accepted()
    with Session() as session:
        order = issue_supervision_order(
            session, desk.actor("county_supervisor.meixian"), desk.clock.now, case_id,
            requirements="请于十日内书面报告办理情况。",
            due_date=desk.clock.today + timedelta(days=10), config=QUIET)
    desk.sweep(order.red_on)
    (item,) = [i for i in desk.alerts("county_supervisor")["items"] if i["order_id"]]
    assert (item["order_id"], item["clock"], item["subject"], item["level"]) == \
        (order.id, None, f"督办单第{order.id}号", "red")
    assert item["due_date"] == order.due_date.isoformat()


@pytest.mark.parametrize("path, status", [
    ("/alerts/999999/acknowledge", 404), ("/alerts/abc/acknowledge", 400),
    ("/alerts/0/acknowledge", 400), ("/alerts/-1/acknowledge", 400),
    ("/alerts/99999999999/acknowledge", 400), ("/alerts/1.5/acknowledge", 400),
])
def test_a_missing_or_malformed_alert_id_is_404_or_400(api, path, status):
    answer = api.post(path, as_="handler")
    assert answer.status == status
    if status == 400:
        assert answer.json["error"]["fields"] == {"id": "应为1至2147483647之间的整数。"}


def test_an_alert_is_acknowledged_by_post_only(api):
    answer = api.get("/alerts/1/acknowledge", as_="handler")
    assert (answer.status, answer.json["error"]["code"]) == (405, "method_not_allowed")
    assert "POST" in answer.headers["Allow"]


# -- filters and pages -----------------------------------------------------------------------

@pytest.fixture
def two_cases(desk):
    """Two accepted cases a day apart; swept at the first's blue, yellow and red days."""
    first, second = desk.accepted(), desk.accepted()
    clock = desk.handling(first)
    for day in (clock.blue_on, clock.yellow_on, clock.red_on):
        desk.sweep(day)
    return first, second


def test_filters_narrow_the_list_by_unread_level_and_case(desk, two_cases):
    first, second = two_cases
    everything = desk.alerts("handler")
    assert everything["total"] == len(everything["items"]) >= 4
    by_case = {cid: desk.alerts("handler", case_id=cid) for cid in two_cases}
    assert by_case[first]["total"] + by_case[second]["total"] == everything["total"]
    assert levels(by_case[first]) == ["red", "yellow", "blue"]
    assert {i["case_id"] for i in by_case[second]["items"]} == {second}

    red = desk.alerts("handler", level="red")
    assert set(levels(red)) == {"red"} and first in {i["case_id"] for i in red["items"]}
    assert desk.alerts("handler", level="red", case_id=first)["total"] == 1

    oldest = everything["items"][-1]
    desk.api.post(f"/alerts/{oldest['id']}/acknowledge", as_="handler")
    unread = desk.alerts("handler", unread="true")
    assert unread["total"] == everything["total"] - 1 == unread["unread"]
    assert oldest["id"] not in {i["id"] for i in unread["items"]}
    assert desk.alerts("handler", unread="false")["total"] == everything["total"]
    assert desk.alerts("handler", case_id=999999)["total"] == 0


def test_a_case_id_of_another_county_finds_nothing_and_reveals_nothing(desk, two_cases):
    first, _ = two_cases
    page = desk.alerts(("handler", "jintai"), case_id=first)
    assert (page["total"], page["items"]) == (0, [])


def test_pages_split_the_list_without_overlap_newest_unread_first(desk, two_cases):
    everything = desk.alerts("handler")["items"]
    raised = [i["raised_at"] for i in everything]
    assert raised == sorted(raised, reverse=True)
    pages = [desk.alerts("handler", per_page=2, page=n) for n in (1, 2, 3)]
    assert all(p["total"] == len(everything) and p["per_page"] == 2 for p in pages)
    assert [i["id"] for p in pages for i in p["items"]] == [i["id"] for i in everything]
    beyond = desk.alerts("handler", per_page=2, page=50)
    assert (beyond["items"], beyond["page"]) == ([], 50)


@pytest.mark.parametrize("query", [
    {"level": "green"}, {"level": "RED"}, {"unread": "yes"}, {"unread": ""},
    {"case_id": "0"}, {"case_id": "abc"}, {"case_id": "99999999999"}, {"case_id": "-4"},
    {"page": 0}, {"page": "two"}, {"per_page": 0}, {"per_page": 201}, {"sort": "level"},
    {"level": "red", "kind": "alert"},
])
def test_a_bad_alert_query_parameter_is_400_naming_it(api, query):
    answer = api.get("/alerts", as_="handler", query=query)
    assert answer.status == 400
    assert answer.json["error"]["code"] == "bad_request"
    wrong = {"kind"} if "kind" in query else set(query)  # level=red there is right
    assert set(answer.json["error"]["fields"]) == wrong


# -- the warning colour and 挂牌督办 on the case -----------------------------------------------

def test_the_case_shows_each_deadlines_colour_and_whether_it_is_listed_for_supervision(
    desk, Session
):
    case_id = desk.accepted()
    clock = desk.handling(case_id)

    def handling(as_="handler") -> tuple[str | None, bool]:
        body = desk.api.get(f"/petitions/{case_id}", as_=as_).json
        (deadline,) = [d for d in body["deadlines"] if d["clock"] == "handling"]
        return deadline["level"], body["listed_supervision"]

    assert handling() == (None, False)
    for day, colour in ((clock.blue_on, "blue"), (clock.yellow_on, "yellow"),
                        (clock.red_on, "red")):
        desk.clock.now = at(day, 9)
        assert handling() == (colour, False)
    with Session() as session:
        issue_supervision_order(session, desk.actor("county_supervisor.meixian"), desk.clock.now,
                                case_id, requirements="挂牌督办：限期办结。", listed=True,
                                due_date=desk.clock.today + timedelta(days=10), config=QUIET)
        assert session.execute(select(SupervisionOrder.listed)).scalar_one() is True
    assert handling() == ("red", True)
    assert handling("city_supervisor") == ("red", True)
