"""Exports stream: the rows of a list are read in chunks by id and written as they come, so
memory does not grow with the number of rows (the bench measures a million)."""

from __future__ import annotations

import tracemalloc
from datetime import date

from helpers import at
from sqlalchemy import insert, select

from petition_flow.models import Case, Party, Region
from petition_flow.services import exports
from petition_flow.services.org import unit_by_code
from petition_flow.services.queries import EXPORT_CHUNK, CaseFilters

TODAY = date(2026, 4, 10)


def _bulk(session, n: int) -> None:
    region = session.execute(select(Region.id).where(Region.code == "meixian")).scalar_one()
    unit = unit_by_code(session, "meixian.bureau").id
    when = at("2026-03-02")
    start = session.execute(select(Case.id).order_by(Case.id.desc()).limit(1)).scalar() or 0
    session.execute(insert(Case), [dict(
        id=start + i + 1, case_no=f"X-{start + i:07d}", query_code=f"E{start + i:07d}",
        workflow="meixian_six_step", workflow_version="1", state="registered",
        region_id=region, registered_unit_id=unit, channel="visit", received_at=when,
        summary="反映拖欠工资问题" * 3, request="请求处理" * 20, facts_and_reasons="事实" * 50,
        data={}, version_id=1, created_at=when, updated_at=when) for i in range(n)])
    session.execute(insert(Party), [dict(case_id=start + i + 1, name="李四",
                                         id_number="610326198001011234", phone="13912345678",
                                         representative=False) for i in range(n)])
    session.commit()


def _peak(session, actor) -> tuple[int, int]:
    tracemalloc.start()
    rows = exports.case_rows(session, actor, CaseFilters(), TODAY, {})
    size = sum(len(chunk) for chunk in exports.csv_chunks(rows))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return size, peak


def test_an_export_four_times_longer_needs_no_more_memory(world):
    actor = world.actor("county_supervisor")
    _bulk(world.session, EXPORT_CHUNK + 500)
    small_size, small_peak = _peak(world.session, actor)
    _bulk(world.session, 4 * EXPORT_CHUNK)
    big_size, big_peak = _peak(world.session, actor)
    assert big_size > 3 * small_size
    assert big_peak < small_peak * 1.3, (small_peak, big_peak)


def test_every_row_is_exported_once_across_chunks(world):
    _bulk(world.session, 2 * EXPORT_CHUNK + 7)
    rows = list(exports.case_rows(world.session, world.actor("county_supervisor"),
                                  CaseFilters(), TODAY, {}))
    numbers = [r[0] for r in rows[1:]]
    assert len(numbers) == len(set(numbers)) == 2 * EXPORT_CHUNK + 7
    assert rows[1][11:] == ["李某", "610***********1234", "139****5678"]
