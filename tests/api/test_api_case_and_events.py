"""GET /petitions/{id} and POST /petitions/{id}/events: scope, masking, triggers, errors."""

from __future__ import annotations

import pytest
from helpers import NEED_TO_KNOW, petition

REPLY = {"outcome": "explain", "opinion": "已督促供热公司整改并向信访人解释。",
         "legal_basis": "《信访工作条例》第三十二条"}


class Flow:
    """Drive one case through the API the way an integrator would."""

    def __init__(self, api, clock, unit_id):
        self.api, self.clock, self.unit_id = api, clock, unit_id
        self.id = api.post("/petitions", as_="reception", json=petition()).json["id"]

    def fire(self, trigger, data=None, as_="reception", **kw):
        self.clock.advance(1)
        return self.api.post(f"/petitions/{self.id}/events", as_=as_,
                             json={"trigger": trigger, "data": data or {}, **kw})

    def accepted(self):
        assert self.fire("classify", {"category": "appeal", "route": "6"}).status == 200
        unit = self.unit_id("meixian.hrss")
        assert self.fire("transfer", {"unit": unit}).status == 200
        assert self.fire("accept", as_="handler").status == 200
        return self

    def detail(self, as_="reception"):
        return self.api.get(f"/petitions/{self.id}", as_=as_)


@pytest.fixture
def flow(api, api_clock, unit_id):
    return Flow(api, api_clock, unit_id)


@pytest.mark.parametrize("role, may_reveal", [
    (r, full) for r, full in NEED_TO_KNOW.items() if r != "admin"])
def test_each_role_in_scope_reads_the_case_with_parties_masked_and_only_some_may_reveal(
    flow, role, may_reveal
):
    flow.accepted()
    answer = flow.detail(as_=role)
    assert answer.status == 200
    body = answer.json
    assert body["parties_masked"] is True and body["parties_may_reveal"] is may_reveal
    (party,) = body["parties"]
    assert party["name"] == "李某" and party["id_number"] == "610***********0017"
    assert party["phone"] == "138****5678" and "李秀英" not in str(body)
    assert (body["query_code"] is not None) is may_reveal
    assert body["first_handler"]["unit"]["name"] == "眉县人力资源和社会保障局"
    assert body["responsible_unit"]["name"] == "眉县人力资源和社会保障局"
    assert {d["clock"] for d in body["deadlines"]} >= {"routing", "handling"}


@pytest.mark.parametrize("role, county", [
    ("reception", "jintai"), ("county_supervisor", "longxian"), ("handler", "chencang"),
    ("unit_leader", "jintai"), ("admin", "meixian"),
])
def test_a_case_outside_the_callers_scope_is_not_found_rather_than_forbidden(flow, role, county):
    flow.accepted()
    for answer in (flow.detail(as_=(role, county)),
                   flow.fire("reply", REPLY, as_=(role, county))):
        assert answer.status == 404
        assert answer.json["error"]["code"] == "not_found"


def test_a_unit_does_not_see_a_case_before_it_is_transferred_to_it(flow):
    assert flow.detail(as_="handler").status == 404


def test_available_triggers_list_what_the_caller_may_do_now_with_their_fields(flow, unit_id):
    reception = flow.detail().json["available_triggers"]
    assert [t["trigger"] for t in reception] == ["classify"]
    category = reception[0]["fields"][0]
    assert category["name"] == "category" and category["type"] == "choice"
    assert category["required"] is True
    assert {c["value"] for c in category["choices"]} == {"suggestion", "accusation", "appeal"}
    route = reception[0]["fields"][1]
    assert route["required_if"] == {"category": "appeal"}
    assert flow.detail(as_="county_supervisor").json["available_triggers"][0]["trigger"] == \
        "classify"
    flow.fire("classify", {"category": "appeal", "route": "6"})
    transfer = next(t for t in flow.detail().json["available_triggers"]
                    if t["trigger"] == "transfer")
    (unit,) = transfer["fields"]
    assert unit["type"] == "unit"
    choices = {c["value"]: c["label"] for c in unit["choices"]}
    assert choices[unit_id("meixian.hrss")] == "眉县人力资源和社会保障局"
    assert unit_id("jintai.hrss") not in choices


def test_a_supervisor_of_the_city_sees_but_has_nothing_to_fire_at_registration(flow):
    assert flow.detail(as_="city_supervisor").json["available_triggers"] == []


def test_firing_a_trigger_moves_the_case_and_bumps_its_version_and_timeline(flow):
    before = flow.detail().json
    answer = flow.fire("classify", {"category": "suggestion"}, version=before["version"])
    assert answer.status == 200
    after = answer.json
    assert after["state"] == "triaged" and after["category"] == "suggestion"
    assert after["version"] > before["version"]
    last = [e for e in after["timeline"] if e["action"] == "transition"][-1]
    assert (last["trigger"], last["label"], last["from_state"], last["to_state"]) == \
        ("classify", "研判分类", "registered", "triaged")
    assert last["actor"] == {"username": "reception.meixian", "role": "reception"}


def test_a_stale_version_is_a_409_conflict_and_changes_nothing(flow):
    version = flow.detail().json["version"]
    assert flow.fire("classify", {"category": "suggestion"}, version=version).status == 200
    stale = flow.fire("classify", {"category": "accusation"}, version=version)
    assert stale.status == 409
    assert stale.json["error"]["code"] == "conflict"
    assert flow.detail().json["category"] == "suggestion"


@pytest.mark.parametrize("trigger, data, as_", [
    ("accept", {}, "reception"),  # wrong role, and wrong state
    ("reply", REPLY, "reception"),  # wrong state
    ("teleport", {}, "reception"),  # unknown trigger
])
def test_a_trigger_that_cannot_fire_now_is_a_409_with_the_reason(flow, trigger, data, as_):
    answer = flow.fire(trigger, data, as_=as_)
    assert answer.status == 409
    assert answer.json["error"]["code"] == "not_allowed"
    assert answer.json["error"]["message"]


def test_inputs_that_break_the_workflow_rules_are_422_per_field(flow, unit_id):
    missing = flow.fire("classify", {"category": "appeal"})
    assert (missing.status, missing.json["error"]["fields"]) == \
        (422, {"route": "请选择“申诉求决类处理途径”。"})
    extra = flow.fire("classify", {"category": "suggestion", "colour": "red"})
    assert extra.status == 422 and "colour" in extra.json["error"]["fields"]
    flow.fire("classify", {"category": "appeal", "route": "6"})
    for unit in (unit_id("jintai.hrss"), 2**40, -3, "hrss"):
        answer = flow.fire("transfer", {"unit": unit})
        assert answer.status == 422, unit
        assert "unit" in answer.json["error"]["fields"]


def test_a_first_handler_unit_that_handed_over_sees_the_case_but_may_not_act(flow, unit_id):
    flow.accepted()
    handed = flow.fire("hand_over", {"unit": unit_id("meixian.housing"), "reason": "属住建职责"},
                       as_="unit_leader")
    assert handed.status == 200
    detail = flow.detail(as_="handler")
    assert detail.status == 200
    assert detail.json["available_triggers"] == []
    assert detail.json["parties_masked"] is True
    assert detail.json["first_handler"]["unit"]["name"] == "眉县人力资源和社会保障局"
    refused = flow.fire("reply", REPLY, as_="handler")
    assert refused.status == 403
    assert refused.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize("body, field", [
    ({}, "trigger"), ({"trigger": ""}, "trigger"), ({"trigger": 5}, "trigger"),
    ({"trigger": "classify", "data": []}, "data"),
    ({"trigger": "classify", "data": {"category": ["appeal"]}}, "data-category"),
    ({"trigger": "classify", "version": "1"}, "version"),
    ({"trigger": "classify", "version": 0}, "version"),
    ({"trigger": "classify", "extra": True}, "extra"),
])
def test_an_event_body_that_breaks_the_schema_is_400(flow, body, field):
    answer = flow.api.post(f"/petitions/{flow.id}/events", as_="reception", json=body)
    assert answer.status == 400
    assert field in answer.json["error"]["fields"]


@pytest.mark.parametrize("path, status", [
    ("/petitions/999999", 404), ("/petitions/abc", 400), ("/petitions/0", 400),
    ("/petitions/-1", 400), ("/petitions/99999999999", 400), ("/petitions/1.5", 400),
])
def test_a_missing_or_malformed_case_id_is_404_or_400(api, path, status):
    assert api.get(path, as_="reception").status == status
    fired = api.post(path + "/events", as_="reception", json={"trigger": "classify"})
    assert fired.status == status


@pytest.mark.parametrize("role, allowed", [
    (r, full) for r, full in NEED_TO_KNOW.items() if r != "admin"])
def test_revealing_petitioners_through_the_api_needs_a_reason_and_is_audited_like_the_pages(
    flow, Session, role, allowed
):
    from sqlalchemy import select

    from petition_flow.models import AuditEntry

    flow.accepted()

    def reveals():
        with Session() as s:
            return s.execute(select(AuditEntry).where(
                AuditEntry.case_id == flow.id,
                AuditEntry.action == "petitioner_details_revealed")
                .order_by(AuditEntry.seq)).scalars().all()

    before = len(reveals())
    assert flow.detail(as_=role).status == 200 and len(reveals()) == before  # reads never write
    url = f"/petitions/{flow.id}/reveal"
    assert flow.api.post(url, as_=role, json={"reason": ""}).status in (400, 422)
    answer = flow.api.post(url, as_=role, json={"reason": "电话联系信访人送达文书"})
    entries = reveals()
    if allowed:
        assert answer.status == 200 and answer.json["parties_masked"] is False
        assert answer.json["parties"][0]["id_number"] == "610326198001010017"
        assert len(entries) == before + 1 and entries[-1].actor_role == role
        assert entries[-1].details["reason"] == "电话联系信访人送达文书"
    else:
        assert answer.status == 403 and "610326198001010017" not in str(answer.json)
        assert len(entries) == before
