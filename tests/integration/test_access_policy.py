"""The access policy: one scope predicate in two renderings, one disclosure rule, order sides.

Runs on SQLite and, with PETITION_FLOW_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import random
from datetime import date

import pytest
from helpers import NEED_TO_KNOW, at
from sqlalchemy import select

from petition_flow.domain.roles import ROLE_TABLE
from petition_flow.errors import NotFoundError, PermissionDenied
from petition_flow.models import Case, Region, Unit
from petition_flow.services import scope
from petition_flow.services.actor import Actor
from petition_flow.services.disclosure import (
    MASKED,
    REFUSED,
    UNMASKED,
    decide,
    notice_text,
    query_code_for,
    reveal_petitioners,
)
from petition_flow.services.queries import scope_clause
from petition_flow.services.supervision import (
    close_supervision_order,
    issue_supervision_order,
    reply_supervision_order,
)


def test_the_scope_predicate_and_its_sql_agree_for_generated_actors_and_cases(
    session, world, cases
):
    """Property-style: random cases and actors; ``matches`` in Python equals ``clause`` in SQL."""
    rng = random.Random(20261201)
    regions = session.execute(select(Region.id).where(Region.kind == "county")).scalars().all()
    city = session.execute(select(Region.id).where(Region.kind == "city")).scalar_one()
    units = session.execute(select(Unit.id, Unit.region_id)).all()
    pool = [u for u in units if u.region_id in [*regions[:3], city]]
    for _ in range(30):
        case = cases.register()
        unit = rng.choice(pool)
        case.region_id = unit.region_id
        case.upper_region_id = rng.choice([None, city])  # sent down by, or reported up to, it
        case.responsible_unit_id = rng.choice([None, unit.id, rng.choice(pool).id])
        case.first_handler_unit_id = rng.choice([None, case.responsible_unit_id,
                                                 rng.choice(pool).id])
    session.commit()
    all_cases = session.execute(select(Case)).scalars().all()
    checked = 0
    for _ in range(60):
        unit = rng.choice(pool)
        actor = Actor(None, "generated", rng.choice([r.id for r in ROLE_TABLE]),
                      rng.choice([unit.id, None]), rng.choice([unit.region_id, None]))
        in_sql = set(session.execute(select(Case.id).where(scope_clause(actor))).scalars())
        in_python = {c.id for c in all_cases if scope.matches(actor, c)}
        assert in_sql == in_python, actor
        checked += len(in_python)
    assert checked > 0  # the generated actors did see something


@pytest.fixture
def handed_over(cases, world, session):
    """A case accepted by 人社局 (the first handler) and handed over to 住建局."""
    case = cases.walk(["classify", "transfer", "accept", "hand_over"])
    session.commit()
    return case


def _unit_actor(world, role: str, code: str) -> Actor:
    meixian = world.actor("reception")
    return Actor(None, f"{role}.{code}", role, world.unit(code), meixian.region_id)


@pytest.mark.parametrize("role", list(NEED_TO_KNOW))
def test_the_disclosure_table_for_each_role_on_a_case_its_unit_handles(cases, world, role):
    case = cases.walk(["classify", "transfer", "accept"])
    actor = world.actor(role)
    full = NEED_TO_KNOW[role]
    assert decide(actor, case, "read") == MASKED
    assert decide(actor, case, "export") == MASKED
    assert decide(actor, case, "reveal") == (UNMASKED if full else REFUSED)
    assert decide(actor, case, "notice") == (UNMASKED if full else MASKED)
    assert (query_code_for(actor, case) == case.query_code) is full


@pytest.mark.parametrize("role", ["reception", "county_supervisor", "handler", "unit_leader"])
def test_another_countys_staff_are_refused_for_every_purpose(cases, world, role):
    case = cases.walk(["classify", "transfer", "accept"])
    actor = world.actor(role, "jintai")
    assert {decide(actor, case, p) for p in ("read", "reveal", "notice", "export")} == {REFUSED}


def test_a_first_handler_unit_after_hand_over_sees_masked_data_and_cannot_reveal(
    handed_over, world, session
):
    first = world.actor("handler")  # 人社局, the first handler
    assert handed_over.first_handler_unit_id == first.unit_id != handed_over.responsible_unit_id
    assert decide(first, handed_over, "read") == MASKED
    assert decide(first, handed_over, "reveal") == REFUSED
    with pytest.raises(PermissionDenied, match="无权查看信访人完整信息"):
        reveal_petitioners(session, first, at("2026-03-20"), handed_over.id, "送达文书")
    now_responsible = _unit_actor(world, "handler", "meixian.housing")
    assert decide(now_responsible, handed_over, "reveal") == UNMASKED


def test_revealing_needs_a_reason_for_every_role(cases, world, session):
    case = cases.walk(["classify", "transfer", "accept"])
    for role in ("reception", "county_supervisor", "handler"):
        with pytest.raises(Exception, match="须填写查看理由"):
            reveal_petitioners(session, world.actor(role), at("2026-03-20"), case.id, "  ")


def test_a_notice_shown_to_those_without_need_to_know_masks_name_and_query_code(cases, world):
    case = cases.walk(["classify", "transfer", "accept"])
    body = f"信访人：王建国\n查询码：{case.query_code}\n"
    leader = notice_text(world.actor("unit_leader"), case, body)
    assert "王建国" not in leader and case.query_code not in leader and "王某" in leader
    assert notice_text(world.actor("reception"), case, body) == body


def _order(session, world, case, role: str, *, listed: bool = False):
    return issue_supervision_order(session, world.actor(role), at("2026-03-10"), case.id,
                                   requirements="请于期限内办结并书面回复。",
                                   due_date=date(2026, 3, 25), listed=listed)


def test_a_county_supervisor_cannot_close_or_return_an_order_the_city_issued(
    cases, world, session
):
    case = cases.walk(["classify", "transfer", "accept"])
    order = _order(session, world, case, "city_supervisor", listed=True)
    reply_supervision_order(session, world.actor("handler"), at("2026-03-12"), order.id,
                            "已约谈用人单位，工资已足额支付。")
    with pytest.raises(PermissionDenied, match="只能由下发督办单的一级或其上级"):
        close_supervision_order(session, world.actor("county_supervisor"), at("2026-03-13"),
                                order.id, "同意办结")
    session.rollback()
    assert session.get(Case, case.id).listed_supervision  # 挂牌督办 stays until the city ends it
    close_supervision_order(session, world.actor("city_supervisor"), at("2026-03-13"),
                            order.id, "回复属实，同意办结。")
    session.expire_all()
    assert not session.get(Case, case.id).listed_supervision


def test_the_city_may_close_an_order_its_county_issued(cases, world, session):
    case = cases.walk(["classify", "transfer", "accept"])
    order = _order(session, world, case, "county_supervisor")
    reply_supervision_order(session, world.actor("handler"), at("2026-03-12"), order.id, "已办理。")
    closed = close_supervision_order(session, world.actor("city_supervisor"), at("2026-03-13"),
                                     order.id, "同意办结。")
    assert closed.status == "closed"


def test_an_order_of_another_county_is_not_found_like_a_missing_one(cases, world, session):
    case = cases.walk(["classify", "transfer", "accept"])
    order = _order(session, world, case, "county_supervisor")
    outsider = world.actor("county_supervisor", "jintai")
    with pytest.raises(NotFoundError) as forbidden:
        close_supervision_order(session, outsider, at("2026-03-13"), order.id, "越权")
    session.rollback()
    with pytest.raises(NotFoundError) as missing:
        close_supervision_order(session, outsider, at("2026-03-13"), 999_999, "越权")
    assert forbidden.value.message == missing.value.message


def test_a_county_supervisor_cannot_decide_a_record_that_concerns_a_city_unit(
    cases, world, session
):
    from test_supervision import overdue_record

    from petition_flow.services.accountability import decide_accountability

    record = overdue_record(cases, session)
    record.unit_id = world.unit("baoji.xinlianban")  # e.g. a missed 复核 deadline of the city
    session.commit()
    with pytest.raises(PermissionDenied, match="只能由市级督办人员处理"):
        decide_accountability(session, world.actor("county_supervisor"), at("2026-05-01"),
                              record.id, "dismiss", "县级认为不予追责")
    session.rollback()
    decided = decide_accountability(session, world.actor("city_supervisor"), at("2026-05-01"),
                                    record.id, "dismiss", "有书面材料证明系信访人要求暂缓。")
    assert decided.status == "dismissed"


def test_an_unanswered_order_follows_the_case_to_the_unit_it_is_handed_over_to(
    cases, world, session
):
    case = cases.walk(["classify", "transfer", "accept"])
    order = _order(session, world, case, "county_supervisor")
    cases.fire(case, "hand_over", when=at("2026-03-12"))  # 人社局 → 住建局
    session.expire_all()
    assert order.target_unit_id == world.unit("meixian.housing")
    with pytest.raises(NotFoundError):  # the unit that handed it over no longer answers it
        reply_supervision_order(session, world.actor("handler"), at("2026-03-13"), order.id,
                                "已移交住建局")
    session.rollback()
    housing = _unit_actor(world, "handler", "meixian.housing")
    replied = reply_supervision_order(session, housing, at("2026-03-13"), order.id, "已办理。")
    assert replied.status == "replied"


def test_free_text_is_masked_for_readers_without_need_to_know(cases, world):
    from petition_flow.services.disclosure import text_for

    case = cases.walk(["classify", "transfer", "accept"])
    facts = (f"本人{case.parties[0].name}，身份证{case.parties[0].id_number}，"
             "电话13812345678，住眉县首善街道。")
    city = text_for(world.actor("city_supervisor"), case, facts)
    assert case.parties[0].id_number not in city and "13812345678" not in city
    assert case.parties[0].name not in city and "138****5678" in city
    assert text_for(world.actor("reception"), case, facts) == facts
