"""The API keeps a 检举控告 from those it accuses (信访工作条例第三十条第三款), as the pages do."""

from __future__ import annotations

from helpers import petition

from petition_flow.models import User
from petition_flow.services.actor import Actor
from petition_flow.services.exclusions import record_accused


def _accusation(api, api_clock, Session, unit_id):
    case_id = api.post("/petitions", as_="reception", json=petition()).json["id"]
    api_clock.advance(1)
    assert api.post(f"/petitions/{case_id}/events", as_="reception",
                    json={"trigger": "classify", "data": {"category": "accusation"}}).status == 200
    api_clock.advance(1)
    with Session() as session:
        reception = session.query(User).filter_by(username="reception.meixian").one()
        record_accused(session, Actor.of(reception), api_clock.now, case_id,
                       unit_ids=[unit_id("meixian.hrss")])
    return case_id


def test_the_api_never_offers_nor_accepts_the_accused_unit_as_a_transfer_target(
        api, api_clock, Session, unit_id):
    case_id = _accusation(api, api_clock, Session, unit_id)
    detail = api.get(f"/petitions/{case_id}", as_="reception").json
    transfer = next(t for t in detail["available_triggers"] if t["trigger"] == "transfer")
    offered = {c["value"] for c in transfer["fields"][0]["choices"]}
    assert unit_id("meixian.hrss") not in offered and unit_id("meixian.housing") in offered
    refused = api.post(f"/petitions/{case_id}/events", as_="reception", json={
        "trigger": "transfer", "data": {"unit": unit_id("meixian.hrss")}})
    assert refused.status in (400, 422)
    assert "第三十条" in str(refused.json["error"])
    assert api.get(f"/petitions/{case_id}", as_="reception").json["state"] == "triaged"


def test_the_accused_units_handler_gets_404_and_an_empty_list_from_the_api(
        api, api_clock, Session, unit_id):
    case_id = _accusation(api, api_clock, Session, unit_id)
    assert api.post(f"/petitions/{case_id}/events", as_="reception", json={
        "trigger": "transfer", "data": {"unit": unit_id("meixian.housing")}}).status == 200
    for role in ("handler", "unit_leader"):
        assert api.get(f"/petitions/{case_id}", as_=role).status == 404
        assert api.post(f"/petitions/{case_id}/events", as_=role,
                        json={"trigger": "accept", "data": {}}).status == 404
        assert api.get("/petitions", as_=role).json["total"] == 0
    assert api.get("/petitions", as_="county_supervisor").json["total"] == 1
