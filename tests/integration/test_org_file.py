"""The organisation as data: `petition-flow org import FILE` (YAML or CSV) makes the
database's regions and units the file's, idempotently, and refuses a file that would leave
users or cases without their unit; the Baoji organisation ships as such a file and `org export`
writes today's in the same format."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from petition_flow import clock
from petition_flow.cli import main
from petition_flow.db import make_engine, make_session_factory
from petition_flow.errors import ValidationError
from petition_flow.migrate import upgrade
from petition_flow.models import AuditEntry, Region, Unit, User
from petition_flow.services.actor import console_actor
from petition_flow.services.org import create_user, seed_organisation
from petition_flow.services.orgfile import (
    OrgFileError,
    current_organisation,
    dump_csv,
    dump_yaml,
    import_organisation,
    parse_org,
    shipped_organisation,
)

TWO_COUNTIES = """\
regions:
  - {code: hanzhong, division_code: "610700", name: 汉中市, kind: city}
  - {code: mianxian, division_code: "610725", name: 勉县, kind: county, parent: hanzhong, pilot: city}
  - {code: liuba, division_code: "610729", name: 留坝县, kind: county, parent: hanzhong}
units:
  - {code: hanzhong.bureau, name: 汉中市信访局, kind: bureau, region: hanzhong}
  - {code: mianxian.bureau, name: 勉县信访局, kind: bureau, region: mianxian}
  - {code: mianxian.hrss, name: 勉县人力资源和社会保障局, kind: hrss, region: mianxian}
  - {code: liuba.bureau, name: 留坝县信访局, kind: bureau, region: liuba}
"""
OPERATOR = console_actor("tester")


def test_the_seeded_organisation_is_the_shipped_file(session):
    shipped = shipped_organisation()
    assert current_organisation(session).same_as(shipped)
    assert len(shipped.units) == 135
    assert {r.code: r.pilot for r in shipped.regions if r.pilot} == {
        "meixian": "provincial", "jintai": "city", "chencang": "city", "longxian": "city"}


@pytest.mark.parametrize("dump, name", [(dump_yaml, "org.yaml"), (dump_csv, "org.csv")])
def test_export_then_import_is_a_round_trip_that_changes_nothing(session, dump, name):
    today = current_organisation(session)
    again = parse_org(dump(today), name)
    assert again.same_as(today)
    before = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    result = import_organisation(session, OPERATOR, clock.now(), again, name)
    assert not result.changed and result.summary() == "组织机构与文件一致，没有变化。"
    assert session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == before


def test_a_file_that_would_orphan_users_is_refused_naming_the_units(session):
    two = parse_org(TWO_COUNTIES, "two.yaml")
    with pytest.raises(ValidationError) as caught:
        import_organisation(session, OPERATOR, clock.now(), two, "two.yaml")
    message = caught.value.message
    assert message.startswith("组织机构文件未导入")
    assert "眉县信访局（meixian.bureau）" in message and "陇县人力资源和社会保障局（longxian.hrss）" in message
    assert "宝鸡市信访局（baoji.bureau）" in message
    assert "凤县信访局" not in message  # a unit nobody refers to may go
    assert current_organisation(session).same_as(shipped_organisation())


@pytest.fixture
def fresh(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'org.sqlite3'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        seed_organisation(session)
        session.commit()
    yield factory
    engine.dispose()


def test_an_import_adds_updates_and_removes_and_a_second_run_changes_nothing(fresh):
    with fresh() as session:
        result = import_organisation(session, OPERATOR, clock.now(),
                                     parse_org(TWO_COUNTIES, "two.yaml"), "two.yaml")
        assert len(result.added) == 7 and len(result.removed) == 135 + 13
        assert current_organisation(session).same_as(parse_org(TWO_COUNTIES, "two.yaml"))
        entry = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc())).scalars().first()
        assert entry.action == "organisation_imported" and entry.actor_username == "控制台操作员（tester）"
        assert entry.details["removed"] == 148
        again = import_organisation(session, OPERATOR, clock.now(),
                                    parse_org(TWO_COUNTIES, "two.yaml"), "two.yaml")
        assert not again.changed
        changed = TWO_COUNTIES.replace("name: 留坝县, kind: county, parent: hanzhong}",
                                       "name: 留坝县, kind: county, parent: hanzhong, pilot: provincial}")
        changed = changed.replace("kind: hrss, region: mianxian}",
                                  "kind: hrss, region: mianxian, active: false}")
        result = import_organisation(session, OPERATOR, clock.now(),
                                     parse_org(changed, "two.yaml"), "two.yaml")
        assert sorted(result.updated) == ["单位 mianxian.hrss", "地区 liuba"]
        assert session.execute(select(Region.pilot).where(Region.code == "liuba")).scalar_one() \
            == "provincial"
        assert not session.execute(select(Unit.active).where(Unit.code == "mianxian.hrss")) \
            .scalar_one()
        unit = session.execute(select(Unit).where(Unit.code == "liuba.bureau")).scalar_one()
        create_user(session, OPERATOR, clock.now(), username="clerk", display_name="",
                    password="Some-pass-1", unit_id=unit.id, role="reception")
        session.commit()
        without = "\n".join(line for line in changed.splitlines() if "liuba" not in line)
        with pytest.raises(ValidationError) as caught:
            import_organisation(session, OPERATOR, clock.now(), parse_org(without, "x.yaml"),
                                "x.yaml")
        assert "留坝县信访局（liuba.bureau）" in caught.value.message
        assert session.execute(select(User.unit_id).where(User.username == "clerk")) \
            .scalar_one() == unit.id


@pytest.mark.parametrize("text, name, expected", [
    ("regions: []\nunits: []\n", "a.yaml", "至少应有一个市"),
    (TWO_COUNTIES.replace("kind: hrss", "kind: ministry"), "a.yaml", "kind“ministry”不是已知的单位类型"),
    (TWO_COUNTIES.replace("region: liuba}", "region: lueyang}"), "a.yaml",
     "units 第4项（liuba.bureau）：所属地区“lueyang”不在文件的 regions 中"),
    (TWO_COUNTIES.replace("code: liuba.bureau", "code: mianxian.bureau"), "a.yaml",
     "单位代码重复：mianxian.bureau"),
    (TWO_COUNTIES.replace(", parent: hanzhong}", "}"), "a.yaml", "缺少 parent"),
    (TWO_COUNTIES.replace('"610729"', '"6107"'), "a.yaml", "division_code 应为6位"),
    (TWO_COUNTIES.replace("pilot: city", "pilot: national"), "a.yaml", "pilot 应为"),
    ("regions: [\n", "a.yaml", "不是有效的 YAML"),
    ("type,code,name,kind\nbranch,x,y,bureau\n", "a.csv", "a.csv 第2行：type 应为 region 或 unit"),
    ("code,name\n", "a.csv", "表头缺少列 type、kind"),
])
def test_a_bad_file_is_refused_naming_the_entry(text, name, expected):
    with pytest.raises(OrgFileError) as caught:
        parse_org(text, name)
    assert expected in caught.value.message


def test_org_export_and_import_at_the_console(fresh, tmp_path, monkeypatch):
    url = str(fresh.kw["bind"].url)
    env = {"PETITION_FLOW_DATABASE_URL": url}
    source = tmp_path / "two.yaml"
    source.write_text(TWO_COUNTIES, "utf-8")
    result = CliRunner().invoke(main, ["org", "import", str(source)], env=env)
    assert result.exit_code == 0, result.output
    assert "新增 7 项" in result.output and "现有地区 3 个，单位 4 个" in result.output
    out = tmp_path / "today.csv"
    result = CliRunner().invoke(main, ["org", "export", str(out)], env=env)
    assert result.exit_code == 0 and "地区 3 个，单位 4 个" in result.output
    assert parse_org(out.read_text("utf-8"), "today.csv").same_as(parse_org(TWO_COUNTIES, "t.yaml"))
    result = CliRunner().invoke(main, ["org", "import", str(out)], env=env)
    assert result.exit_code == 0 and "没有变化" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("regions: []\n", "utf-8")
    result = CliRunner().invoke(main, ["org", "import", str(bad)], env=env)
    assert result.exit_code == 1 and "至少应有一个市" in result.output
