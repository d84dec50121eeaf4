"""A full walk of the default workflow through the API, driven only by what GET /petitions/{id}
offers: at each step the test asks every role which triggers it may fire, picks the next one
of its route from those, and fills the inputs from that trigger's ``fields`` alone."""

from __future__ import annotations

import pytest
from helpers import petition

from petition_flow.services.audit import verify_chain

CALLERS = [("reception", "meixian"), ("county_supervisor", "meixian"), ("handler", "meixian"),
           ("unit_leader", "meixian"), ("city_supervisor", "baoji")]

# Routes through the six steps; a value given here must be one the field offers.
TO_FINAL = [
    ("classify", {"category": "appeal", "route": "6"}), ("transfer", {"unit": "meixian.hrss"}),
    ("accept", {}), ("start_hearing", {}), ("end_hearing", {}),
    ("request_extension", {"days": 10}), ("approve_extension", {}), ("mediate", {}),
    ("mediation_failed", {}), ("reply", {"outcome": "not_support"}), ("deliver", {}),
    ("evaluate", {"rating": "dissatisfied"}), ("follow_up", {}), ("request_review", {}),
    ("decide_review", {}), ("request_recheck", {}), ("start_recheck_hearing", {}),
    ("end_recheck_hearing", {}), ("decide_recheck", {}),
]
SIMPLE_TO_CONCLUDED = [
    ("classify", {"category": "appeal", "route": "6", "simple": True}), ("handle_simply", {}),
    ("reply_simple", {}), ("deliver", {}), ("evaluate", {"rating": "satisfied"}), ("close", {}),
]
SUGGESTION_TO_CONCLUDED = [
    ("classify", {"category": "suggestion"}), ("assign", {"unit": "meixian.hrss", "assigned_due": "2026-12-31"}),
    ("accept", {}), ("reply", {}), ("deliver", {}), ("close_unevaluated", {}),
]


def choose(field: dict, wanted: dict, today: str, unit_id) -> object:
    """A value for ``field`` taken from what the field itself says."""
    name, kind = field["name"], field["type"]
    values = [c["value"] for c in field["choices"]]
    if name in wanted:
        value = unit_id(wanted[name]) if kind == "unit" else wanted[name]
        assert not values or value in values, f"{name}: {value} is not offered"
        return value
    if values:
        return values[0]
    return {"text": f"{field['label']}：经核实的情况说明。", "bool": False, "date": today,
            "int": field["min"] or 1}[kind]


def inputs_for(trigger: dict, wanted: dict, today: str, unit_id) -> dict:
    data: dict = {}
    for field in trigger["fields"]:
        needed = field["required"] or any(str(data.get(k)) == v
                                          for k, v in field["required_if"].items())
        if needed or field["name"] in wanted:
            data[field["name"]] = choose(field, wanted, today, unit_id)
    assert set(wanted) <= set(data), f"{trigger['trigger']}: unknown fields {set(wanted) - set(data)}"
    return data


def walk(api, api_clock, unit_id, route, callers):
    """Fire ``route``; each step by the first caller whose view of the case offers it."""
    case_id = api.post("/petitions", as_="reception", json=petition()).json["id"]
    fired = []
    for trigger_name, wanted in route:
        api_clock.advance(1)
        who, token, seen = _first_offered(api, case_id, trigger_name, callers)
        offered = {t["trigger"]: t for t in seen.json["available_triggers"]}
        data = inputs_for(offered[trigger_name], wanted, api_clock.today.isoformat(), unit_id)
        answer = api.post(f"/petitions/{case_id}/events", headers=_bearer(token),
                          json={"trigger": trigger_name, "data": data,
                                "version": seen.json["version"]})
        assert answer.status == 200, (trigger_name, answer.json)
        fired.append((trigger_name, who, answer.json["state"]))
    return answer.json, fired


def _first_offered(api, case_id, trigger_name, callers):
    """The first caller whose view of the case offers ``trigger_name``."""
    for who, token in callers.items():
        seen = api.get(f"/petitions/{case_id}", headers=_bearer(token))
        if seen.status != 200:
            assert seen.status == 404  # outside this caller's scope
            continue
        if any(t["trigger"] == trigger_name for t in seen.json["available_triggers"]):
            return who, token, seen
    pytest.fail(f"nobody is offered {trigger_name}")


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def callers(tokens, Session, api_clock):
    """Every seeded role of 眉县 and the city, plus a handler inside the petition bureau (who
    concludes what the bureau handled itself, 简易办理)."""
    from petition_flow.services.actor import SYSTEM
    from petition_flow.services.org import create_user, unit_by_code

    with Session() as session:
        create_user(session, SYSTEM, api_clock.now, username="bureauhandler",
                    display_name="信访局承办人", password="bureau-handler-1",
                    unit_id=unit_by_code(session, "meixian.bureau").id, role="handler")
        session.commit()
    out = {f"{role}.{county}": tokens(role, county) for role, county in CALLERS}
    out["bureauhandler"] = tokens.of("bureauhandler")
    return out


def test_a_petition_walks_registration_to_final_through_hearing_extension_review_and_recheck(
    api, api_clock, unit_id, session, callers
):
    case, fired = walk(api, api_clock, unit_id, TO_FINAL, callers)
    assert case["state"] == "final" and case["closed_at"] is not None
    assert [f[2] for f in fired][:3] == ["triaged", "transferred", "under_handling"]
    assert ("approve_extension", "unit_leader.meixian", "under_handling") in fired
    assert ("decide_recheck", "city_supervisor.baoji", "final") in fired
    handling = next(d for d in case["deadlines"] if d["clock"] == "handling")
    assert (handling["days"], handling["extension_days"], handling["status"]) == (60, 10, "stopped")
    local = next(d for d in case["deadlines"] if d["clock"] == "handling@local")
    assert (local["days"], local["extension_days"], local["status"]) == (30, 10, "stopped")
    assert "眉县限时办结制" in local["basis"] and "第三十四条" in handling["basis"]
    hearing = [d for d in case["deadlines"] if d["clock"] == "recheck_decision"]
    assert hearing and all(d["status"] == "stopped" for d in hearing)
    transitions = [e["trigger"] for e in case["timeline"] if e["action"] == "transition"]
    assert transitions == [name for name, _ in TO_FINAL]
    assert {n["kind"] for n in case["notices"]} >= {"acceptance", "extension", "handling_opinion",
                                                   "review_opinion", "recheck_opinion"}
    for token in callers.values():
        seen = api.get(f"/petitions/{case['id']}", headers=_bearer(token))
        assert seen.status == 404 or seen.json["available_triggers"] == []
    assert verify_chain(session).ok


@pytest.mark.parametrize("route", [SIMPLE_TO_CONCLUDED, SUGGESTION_TO_CONCLUDED],
                         ids=["simple_handling", "suggestion_assigned"])
def test_other_routes_reach_conclusion_driven_only_by_available_triggers(
    api, api_clock, unit_id, route, callers
):
    case, _ = walk(api, api_clock, unit_id, route, callers)
    assert case["state"] == "concluded"
    assert case["first_handler"] is not None
