"""Registration (登记): validated input, a case number and query code, the 两告知, and
durable storage on the embedded database."""

from __future__ import annotations

import re

import pytest
from helpers import at
from sqlalchemy import select, text

from petition_flow.errors import PermissionDenied, ValidationError
from petition_flow.models import Notice
from petition_flow.services.petitions import register_petition


def test_a_registered_petition_gets_a_county_case_number_a_query_code_and_two_notices(
    cases, session
):
    case = cases.register(when=at("2026-03-02", 9))
    assert re.fullmatch(r"610326-2026-\d{6}", case.case_no)
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", case.query_code)
    notices = {n.kind: n for n in session.execute(
        select(Notice).where(Notice.case_id == case.id)).scalars()}
    assert set(notices) == {"receipt_route", "rights_duties"}
    assert case.query_code in notices["receipt_route"].body
    assert case.case_no in notices["receipt_route"].body
    assert "第二十六条" in notices["rights_duties"].body


def test_case_numbers_run_per_county_and_year(cases):
    a = cases.register(when=at("2026-03-02", 9))
    b = cases.register(when=at("2026-03-02", 10))
    c = cases.register(county="jintai", when=at("2026-03-02", 10))
    assert int(b.case_no[-6:]) == int(a.case_no[-6:]) + 1
    assert c.case_no.startswith("610303-2026-")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("id_number", "610326198001011234", "校验位"),
    ("id_number", "61032619801301123X", "出生日期"),
    ("id_number", "12345", "18位"),
    ("phone", "1391234", "手机号码"),
    ("name", "", "姓名"),
])
def test_a_bad_petitioner_field_is_refused_with_a_chinese_message_beside_it(
    cases, field, value, message
):
    form = cases.form()
    form["petitioners"][0][field] = value
    with pytest.raises(ValidationError) as err:
        cases.register(**form)
    assert message in err.value.fields[f"petitioners-0-{field}"]


def test_a_collective_visit_may_have_at_most_five_representatives(cases):
    form = cases.form()
    people = [{**form["petitioners"][0], "id_number": None, "name": f"代表{i}",
               "representative": True} for i in range(6)]
    with pytest.raises(ValidationError) as err:
        cases.register(**{**form, "collective": True, "petitioners": people})
    assert "不得超过5人" in err.value.fields["petitioners"]
    case = cases.register(**{**form, "collective": True, "petitioners": people[:5]})
    assert case.collective and sum(p.representative for p in case.parties) == 5


def test_missing_request_channel_or_future_receipt_are_refused(cases):
    with pytest.raises(ValidationError) as err:
        cases.register(request="", channel="carrier-pigeon",
                       received_at=at("2026-03-03", 9), when=at("2026-03-02", 9))
    assert set(err.value.fields) >= {"request", "channel", "received_at"}


def test_an_anonymous_petition_needs_no_petitioner(cases):
    case = cases.register(anonymous=True, petitioners=[])
    assert case.anonymous and case.parties == []


def test_only_reception_staff_register_petitions(world, session, cases):
    with pytest.raises(PermissionDenied):
        register_petition(session, world.actor("handler"), at("2026-03-02"), cases.form())


def test_the_embedded_database_runs_in_wal_mode_with_full_synchronous_writes(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas apply to the embedded database only")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_stale_version_is_refused_with_the_reload_message(cases):
    from petition_flow.errors import ConcurrentChangeError

    case = cases.walk(["classify"])
    stale = case.version_id - 1
    with pytest.raises(ConcurrentChangeError, match="请刷新后重试"):
        cases.fire(case, "transfer", version=stale)
    assert cases.fire(case, "transfer", version=case.version_id).state == "transferred"
