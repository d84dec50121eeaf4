"""The Art. 30 ¶3 rule has two renderings, services/confidentiality.py's ``hidden_from``
(Python) and ``hidden_clause`` (SQL); over generated actors, cases and accused lists, on the
database under test (SQLite, or PostgreSQL with PETITION_FLOW_TEST_DATABASE_URL), they must
give the same answer, and so must ``can_view`` and ``scope_clause`` built on them."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import delete, select

from petition_flow.models import Case, CaseAccused, Unit, User
from petition_flow.services.actor import SYSTEM, Actor, can_view
from petition_flow.services.confidentiality import hidden_clause, hidden_from
from petition_flow.services.queries import scope_clause

pytestmark = pytest.mark.slow  # pyproject.toml: `-m "not slow"` leaves it out

ROUNDS = 40
COUNTIES = ("meixian", "jintai")


def _world(session, cases, rng):
    """A few cases in two counties, with responsible and first-handler units at random."""
    made = [cases.register(county) for county in COUNTIES for _ in range(3)]
    region_of = dict(session.execute(select(Unit.id, Unit.region_id)).all())
    for case in made:
        local = [u for u, r in region_of.items() if r == case.region_id]
        case.responsible_unit_id = rng.choice([None, *local])
        case.first_handler_unit_id = rng.choice([None, case.responsible_unit_id, *local])
    session.commit()
    return [c.id for c in made], region_of


def _actors(session, rng, region_of):
    users = list(session.execute(select(User).where(User.role != "admin")).scalars())
    actors = [Actor.of(u) for u in users] + [SYSTEM]
    # Generated staff: any role in any unit, with no user id or a real user's.
    for _ in range(12):
        role = rng.choice(["reception", "handler", "unit_leader", "county_supervisor",
                           "city_supervisor"])
        unit_id = rng.choice(list(region_of))
        user_id = rng.choice([None, rng.choice(users).id])
        actors.append(Actor(user_id, "generated", role, unit_id, region_of[unit_id]))
    return actors


def _accuse(session, rng, case_ids, unit_ids, user_ids, now):
    session.execute(delete(CaseAccused))
    for case_id in case_ids:
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            kind = rng.choice(["unit", "user", "name"])
            session.add(CaseAccused(
                case_id=case_id, recorded_at=now,
                unit_id=rng.choice(unit_ids) if kind == "unit" else None,
                user_id=rng.choice(user_ids) if kind == "user" else None,
                name="某某" if kind == "name" else None))
    session.commit()
    session.expire_all()


def test_the_python_predicate_and_the_sql_clause_agree_over_generated_actors_and_cases(
        session, cases):
    rng = random.Random(20261201)
    case_ids, region_of = _world(session, cases, rng)
    actors = _actors(session, rng, region_of)
    # Accused units: mostly the units that handle cases or have users, so that hits are common.
    unit_ids = sorted({a.unit_id for a in actors if a.unit_id} | set(region_of))[:40]
    unit_ids += [a.unit_id for a in actors if a.unit_id] * 2
    user_ids = sorted({a.user_id for a in actors if a.user_id is not None})
    hidden_somewhere = 0
    now = session.get(Case, case_ids[0]).created_at
    for _ in range(ROUNDS):
        _accuse(session, rng, case_ids, unit_ids, user_ids, now)
        loaded = {c.id: c for c in session.execute(select(Case)).scalars()}
        for actor in rng.sample(actors, 8):
            in_sql = set(session.execute(select(Case.id).where(hidden_clause(actor))).scalars())
            in_python = {i for i, c in loaded.items() if hidden_from(actor, c)}
            assert in_sql == in_python, actor
            hidden_somewhere += len(in_python)
            seen_sql = set(session.execute(select(Case.id).where(scope_clause(actor))).scalars())
            seen_python = {i for i, c in loaded.items() if can_view(actor, c)}
            assert seen_sql == seen_python, actor
            assert not seen_python & in_python
    assert hidden_somewhere > 20  # the generator did produce hidden cases to compare
