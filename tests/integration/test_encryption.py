"""Petitioners' 身份证号, phone and address are encrypted at rest (issue 12): the database
file holds none of them, yet repeat detection and search by ID number or phone still work,
a key rotation can be interrupted and resumed, and a lost key is a clear message."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from petition_flow import keys
from petition_flow.cli import main
from petition_flow.db import make_engine, make_session_factory
from petition_flow.migrate import upgrade
from petition_flow.models import Party
from petition_flow.services.datakeys import pending, rotate
from petition_flow.services.partysearch import cases_of_petitioner


def test_the_database_file_holds_no_id_number_phone_or_address_of_any_demo_petitioner(
        tmp_path, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("reads SQLite's file; the PostgreSQL variant reads the stored values")
    from petition_flow.devtools.demo import seed_demo
    from petition_flow.services.org import seed_organisation

    path = tmp_path / "demo.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with keys.using(keys.Keyring.generate()):
        try:
            upgrade(engine)
            factory = make_session_factory(engine)
            with factory() as session:
                seed_organisation(session)
                session.commit()
                from helpers import at
                seed_demo(session, at("2026-10-09", 9))
                people = session.execute(select(Party)).scalars().all()
                secrets = {v for p in people for v in (p.id_number, p.phone, p.address) if v}
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()
    assert len(people) > 50 and len(secrets) > 100
    raw = b"".join(f.read_bytes() for f in tmp_path.iterdir() if f.name.startswith("demo."))
    found = [s for s in secrets if s.encode() in raw]
    assert found == []


def test_stored_values_are_ciphertext_on_either_database(cases, session):
    case = cases.register()
    party = case.parties[0]
    plain = (party.id_number, party.phone, party.address)
    session.commit()
    stored = session.execute(text("SELECT id_number, phone, address FROM parties WHERE id = :i"),
                             {"i": party.id}).one()
    for value, secret in zip(stored, plain, strict=True):
        assert value.startswith(keys.active().current + ":") and secret not in value
    session.expire_all()
    assert (session.get(Party, party.id).id_number, session.get(Party, party.id).phone) == \
        plain[:2]


def test_search_by_id_number_or_phone_finds_the_petitioners_cases(cases, session, world):
    first = cases.register()
    other = cases.register(petitioners=[{"name": "李秀英", "id_number": None,
                                         "phone": "13700001111", "address": None}])
    id_number = first.parties[0].id_number
    reception = world.actor("reception")
    assert [c.id for c in cases_of_petitioner(session, reception, id_number=id_number)] == \
        [first.id]
    assert [c.id for c in cases_of_petitioner(session, reception, phone="137 0000 1111")] == \
        [other.id]
    assert cases_of_petitioner(session, world.actor("reception", "jintai"),
                               id_number=id_number) == []


def test_an_interrupted_key_rotation_resumes_and_leaves_every_row_readable(cases, session):
    made = [cases.register() for _ in range(3)]
    expected = {c.parties[0].id: (c.parties[0].id_number, c.parties[0].phone,
                                  c.parties[0].address) for c in made}
    session.commit()
    ring = keys.Keyring.from_json(keys.active().as_json())  # the suite's key file stays as is

    class Interrupted(Exception):
        pass

    def stop(job, left):
        raise Interrupted

    with keys.using(ring):
        with pytest.raises(Interrupted):
            rotate(session, batch=1, progress=stop, settle=0)
        assert ring.current == "k2" and pending(session, ring) == 2
        cases.register()  # written while the rotation is half done: under the new key
        resumed = rotate(session, batch=1, settle=0)
        assert not resumed.new_key and resumed.rows == 2 and pending(session, ring) == 0
        session.expire_all()
        for pid, values in expected.items():
            p = session.get(Party, pid)
            assert (p.id_number, p.phone, p.address) == values
        stored = session.execute(text("SELECT id_number FROM parties")).scalars().all()
        assert all(v.startswith("k2:") for v in stored)
        session.rollback()


def test_a_lost_or_foreign_key_file_is_a_clear_chinese_error_at_start(
        cases, session, database_url, monkeypatch, tmp_path):
    cases.register()
    session.commit()
    monkeypatch.setenv("PETITION_FLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("PETITION_FLOW_KEY_FILE", str(tmp_path / "lost.json"))
    keys.forget()
    try:
        lost = CliRunner().invoke(main, ["sweep", "--dry-run"])
        keys.Keyring.generate().save(tmp_path / "other.json")
        monkeypatch.setenv("PETITION_FLOW_KEY_FILE", str(tmp_path / "other.json"))
        keys.forget()
        foreign = CliRunner().invoke(main, ["sweep", "--dry-run"])
    finally:
        monkeypatch.undo()
        keys.forget()
    assert lost.exit_code == 1 and "找不到密钥" in lost.output and "Traceback" not in lost.output
    assert foreign.exit_code == 1 and "密钥与数据库不符" in foreign.output
