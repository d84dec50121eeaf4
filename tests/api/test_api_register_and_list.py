"""POST /petitions and GET /petitions: who may, in which county, and what comes back."""

from __future__ import annotations

import pytest
from helpers import petition

OTHER_ROLES = ("handler", "unit_leader", "county_supervisor", "city_supervisor", "admin")


def test_reception_registers_a_petition_and_gets_its_number_query_code_and_deadlines(api):
    answer = api.post("/petitions", as_="reception", json=petition())
    assert answer.status == 201
    body = answer.json
    assert body["case_no"].startswith("610326-2026-")
    assert len(body["query_code"]) == 8
    assert (body["state"], body["step"]["key"]) == ("registered", "1")
    (routing,) = body["deadlines"]
    assert routing["clock"] == "routing"
    assert routing["due_date"] == "2026-03-17"
    assert routing["basis"] == "信访工作条例第二十二条"
    assert routing["provisional"] is False
    assert "自2026年3月2日次日起算" in routing["explanation"]
    assert body["repeats"] == []


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_no_role_but_reception_may_register(api, role):
    answer = api.post("/petitions", as_=role, json=petition())
    assert answer.status == 403
    assert answer.json["error"]["code"] == "forbidden"


def test_naming_the_own_county_is_accepted_and_another_county_is_forbidden(api):
    assert api.post("/petitions", as_="reception", json=petition(1, county="meixian")).status == 201
    other = api.post("/petitions", as_="reception", json=petition(2, county="jintai"))
    assert other.status == 403
    assert "所在的县（区）" in other.json["error"]["message"]
    unknown = api.post("/petitions", as_="reception", json=petition(3, county="atlantis"))
    assert (unknown.status, list(unknown.json["error"]["fields"])) == (422, ["county"])


def test_a_petition_is_registered_in_the_county_of_the_caller(api):
    answer = api.post("/petitions", as_=("reception", "longxian"), json=petition())
    assert answer.json["case_no"].startswith("610327-")


def test_invalid_registration_data_is_422_with_a_chinese_message_per_field(api):
    body = petition(petitioners=[{"name": "", "id_number": "610326198001010018",
                                  "phone": "12345"}], summary="", channel="web")
    answer = api.post("/petitions", as_="reception", json=body)
    assert answer.status == 422
    fields = answer.json["error"]["fields"]
    assert set(fields) == {"summary", "petitioners-0-name", "petitioners-0-id_number",
                           "petitioners-0-phone"}
    assert fields["petitioners-0-id_number"] == "身份证号码校验位不正确，请核对。"


def test_a_received_time_in_the_future_or_out_of_range_is_422_not_500(api):
    for when in ("2026-03-03T09:00:00+08:00", "0001-01-01T00:00:00", "next tuesday"):
        answer = api.post("/petitions", as_="reception", json=petition(received_at=when))
        assert answer.status == 422, when
        assert "received_at" in answer.json["error"]["fields"]


def test_a_possible_repeat_must_be_linked_or_explained_before_registration(api):
    first = api.post("/petitions", as_="reception", json=petition(7)).json
    again = api.post("/petitions", as_="reception", json=petition(7))
    assert again.status == 422
    assert again.json["error"]["code"] == "repeat_decision_required"
    assert [m["id"] for m in again.json["error"]["repeats"]] == [first["id"]]
    assert "repeat_reason" in again.json["error"]["fields"]

    explained = api.post("/petitions", as_="reception",
                         json=petition(7, repeat_reason="新的诉求：要求赔偿取暖损失"))
    assert explained.status == 201
    assert [m["case_no"] for m in explained.json["repeats"]] == [first["case_no"]]
    linked = api.post("/petitions", as_="reception", json=petition(7, repeat_of_id=first["id"]))
    assert linked.status == 201


@pytest.mark.parametrize("body, field", [
    ({"channel": "web"}, "summary"),
    ({**petition(), "channel": "pigeon"}, "channel"),
    ({**petition(), "summary": 42}, "summary"),
    ({**petition(), "anonymous": "yes"}, "anonymous"),
    ({**petition(), "petitioners": {"name": "王"}}, "petitioners"),
    ({**petition(), "petitioners": [{"name": "王", "age": 40}]}, "petitioners-0-age"),
    ({**petition(), "repeat_of_id": 2**40}, "repeat_of_id"),
    ({**petition(), "unexpected": 1}, "unexpected"),
    ({**petition(), "summary": "带空字符\x00的摘要"}, "summary"),
    ({**petition(), "request": "孤立代理项\ud800"}, "request"),
])
def test_a_body_that_breaks_the_published_schema_is_400_naming_the_field(api, body, field):
    answer = api.post("/petitions", as_="reception", json=body)
    assert answer.status == 400
    assert answer.json["error"]["code"] == "bad_request"
    assert field in answer.json["error"]["fields"]


@pytest.mark.parametrize("data", [b"", b"{", b"[1, 2]", b'"text"', b"\xff\xfe", b"NaN",
                                  b'{"channel": NaN}', b"[" * 5000 + b"]" * 5000])
def test_a_body_that_is_not_a_json_object_is_400(api, data):
    answer = api.post("/petitions", as_="reception", data=data,
                      headers={"Content-Type": "application/json"})
    assert answer.status == 400


def test_an_anonymous_petition_needs_no_petitioner(api):
    body = petition(anonymous=True, petitioners=[])
    assert api.post("/petitions", as_="reception", json=body).status == 201


# -- GET /petitions ------------------------------------------------------------------------

@pytest.fixture
def spread(api):
    """Two petitions in 眉县, one in 金台区."""
    ids = [api.post("/petitions", as_="reception", json=petition(n)).json["id"] for n in (1, 2)]
    ids.append(api.post("/petitions", as_=("reception", "jintai"), json=petition(3)).json["id"])
    return ids


@pytest.mark.parametrize("role, county, visible", [
    ("reception", "meixian", 2), ("county_supervisor", "meixian", 2),
    ("reception", "jintai", 1), ("city_supervisor", "meixian", 3),
    ("handler", "meixian", 0), ("unit_leader", "meixian", 0),
])
def test_each_role_lists_only_the_cases_in_its_scope(api, spread, role, county, visible):
    answer = api.get("/petitions", as_=(role, county))
    assert answer.status == 200
    assert answer.json["total"] == visible == len(answer.json["items"])


def test_an_administrator_may_not_list_cases(api, spread):
    assert api.get("/petitions", as_="admin").status == 403


def test_filters_and_pagination_narrow_the_list_and_report_the_total(api, spread, api_clock):
    city = "city_supervisor"
    by_county = api.get("/petitions", as_=city, query={"county": "jintai"}).json
    assert [i["id"] for i in by_county["items"]] == [spread[2]]
    assert by_county["items"][0]["county"] == "jintai"
    page = api.get("/petitions", as_=city, query={"per_page": 2, "page": 2}).json
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (3, 2, 2, 1)
    assert api.get("/petitions", as_=city, query={"state": "triaged"}).json["total"] == 0
    assert api.get("/petitions", as_=city, query={"step": "1"}).json["total"] == 3
    assert api.get("/petitions", as_=city, query={"due_before": "2026-03-16"}).json["total"] == 0
    assert api.get("/petitions", as_=city, query={"due_before": "2026-03-17"}).json["total"] == 3
    assert api.get("/petitions", as_=city, query={"overdue": "true"}).json["total"] == 0
    api_clock.advance(16)
    assert api.get("/petitions", as_=city, query={"overdue": "true"}).json["total"] == 3


@pytest.mark.parametrize("query", [
    {"per_page": 201}, {"per_page": 0}, {"page": 0}, {"page": "two"}, {"overdue": "yes"},
    {"due_before": "17.03.2026"}, {"state": "lost"}, {"step": "9"}, {"county": "atlantis"},
    {"category": "complaint"}, {"sort": "id"}, {"overdue": ""}, {"page": ""},
])
def test_a_bad_query_parameter_is_400_naming_it(api, query):
    answer = api.get("/petitions", as_="reception", query=query)
    assert answer.status == 400
    assert set(answer.json["error"]["fields"]) == set(query)


def test_list_items_give_the_next_due_date_and_the_step(api, spread):
    item = api.get("/petitions", as_="reception").json["items"][0]
    assert item["next_due"] == "2026-03-17"
    assert item["step"] == {"key": "1", "label": "登记受理"}

