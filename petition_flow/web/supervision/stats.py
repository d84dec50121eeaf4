"""统计: the figures of services/statistics.py for a period, grouped, with their definitions,
three SVG charts, and CSV/XLSX exports of exactly what the page shows."""

from __future__ import annotations

from datetime import date

from flask import render_template, request, url_for
from werkzeug.exceptions import BadRequest

from ...errors import PetitionFlowError, ValidationError
from ...services import exports
from ...services.statistics import BY_KEY, GROUPS, Report, format_figure, statistics
from ..common import actor, db, now, raise_http, today
from ..downloads import download
from .blueprint import bp
from .charts import Bar, bars, columns

# (group, title, the figures the chart draws): a chart grouped unlike the table computes only
# its own figures, so the page reads each cohort once for the table and cheaply for the rest.
CHARTS = (("month", "月度趋势：登记数与办结数", ("registered", "concluded")),
          ("county", "各县（区）按期办结率（法定期限）", ("on_time_statutory",)),
          ("category", "类别构成：登记数", ("registered",)))


def _date(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError("日期格式应为 YYYY-MM-DD。", fields={name: "日期格式应为 YYYY-MM-DD。"}) \
            from None


def stats_args() -> dict:
    return {"start": _date("from"), "end": _date("to"),
            "group_by": request.args.get("group_by") or "county",
            "county": request.args.get("county") or None}


def _report(**overrides) -> Report:
    return statistics(db(), actor(), today(), **{**stats_args(), **overrides})


def list_url(report: Report, group, set_key: str) -> str:
    return url_for("supervision.case_list_view", **report.link(group, set_key))


def _charts(report: Report) -> list[dict]:
    out = []
    for group_by, title, figures in CHARTS:
        r = report if report.group_by == group_by else _report(group_by=group_by, only=figures)
        if group_by == "month":
            one_year = r.period.start.year == r.period.end.year
            labels = [f"{int(g.key[5:7])}月" if one_year else g.key for g in r.groups]
            series = [(BY_KEY[k].name, [Bar(g.label, g.figures[k].value,
                                            format_figure(BY_KEY[k], g.figures[k]),
                                            list_url(r, g, BY_KEY[k].numerator))
                                        for g in r.groups]) for k in ("registered", "concluded")]
            svg = columns(title, labels, series)
        elif group_by == "county":
            d = BY_KEY["on_time_statutory"]
            svg = bars(title, [Bar(g.label, g.figures[d.key].value,
                                   format_figure(d, g.figures[d.key]),
                                   list_url(r, g, d.numerator)) for g in r.groups], 1.0)
        else:
            d = BY_KEY["registered"]
            svg = bars(title, [Bar(g.label, g.figures[d.key].value, str(g.figures[d.key].value),
                                   list_url(r, g, d.numerator)) for g in r.groups])
        table = url_for("supervision.stats_page", **{**_query(report), "group_by": group_by})
        out.append({"title": title, "svg": svg, "table": table + "#figures"})
    return out


def _query(report: Report) -> dict:
    q = {"from": report.period.start.isoformat(), "to": report.period.end.isoformat(),
         "group_by": report.group_by}
    if report.county:
        q["county"] = report.county
    return q


@bp.route("/stats")
def stats_page():
    try:
        report = _report()
        charts = _charts(report)
        errors = []
    except ValidationError as exc:
        errors = list(exc.fields.values()) or [exc.message]
        report, charts = statistics(db(), actor(), today()), []
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    return render_template("supervision/stats.html", report=report, groups=GROUPS,
                           charts=charts, errors=errors, list_url=list_url,
                           format_figure=format_figure, query=_query(report))


@bp.route("/stats/export")
def stats_export():
    fmt = request.args.get("format", "csv")
    try:
        exports.check_format(fmt)
        report = _report()
    except PetitionFlowError as exc:
        raise_http(exc)
        raise BadRequest(description=exc.message) from None
    exports.record_export(db(), actor(), now(), "statistics", fmt, _query(report))
    label = GROUPS[report.group_by]
    name = f"统计_{report.period.start}_{report.period.end}_{report.group_by}"
    if fmt == "csv":
        body = exports.csv_chunks(exports.statistics_rows(report, label, True))
    else:
        body = exports.xlsx_chunks([("统计", exports.statistics_rows(report, label, False)),
                                    ("口径", exports.definition_rows(report))])
    return download(body, fmt, name)


def _year() -> int:
    raw = request.args.get("year", "")
    if not raw:
        return today().year
    if not raw.isdigit() or not 2000 <= int(raw) <= today().year:
        raise ValidationError(f"年度无效：应为2000至{today().year}之间的年份。",
                              fields={"year": "年度无效。"})
    return int(raw)


def _annual(year: int) -> tuple[Report, Report]:
    """The year's figures per county and per unit (to today, for the current year)."""
    start, end = date(year, 1, 1), min(date(year, 12, 31), today())
    return (statistics(db(), actor(), today(), start=start, end=end, group_by="county"),
            statistics(db(), actor(), today(), start=start, end=end, group_by="unit"))


@bp.route("/annual")
def annual_report():
    """年度报告 (信访工作条例第四十一条: organs report their petition work every year)."""
    errors = []
    try:
        year = _year()
    except ValidationError as exc:
        errors, year = [exc.message], today().year
    try:
        by_county, by_unit = _annual(year)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    return render_template("supervision/annual.html", year=year, by_county=by_county,
                           by_unit=by_unit, errors=errors, groups=GROUPS, list_url=list_url,
                           format_figure=format_figure, this_year=today().year)


@bp.route("/annual/export")
def annual_export():
    try:
        year = _year()
        by_county, by_unit = _annual(year)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise BadRequest(description=exc.message) from None
    exports.record_export(db(), actor(), now(), "annual_report", "xlsx", {"year": year})
    body = exports.xlsx_chunks([
        ("各县（区）", exports.statistics_rows(by_county, GROUPS["county"], False)),
        ("各单位", exports.statistics_rows(by_unit, GROUPS["unit"], False)),
        ("口径", exports.definition_rows(by_county))])
    return download(body, "xlsx", f"{year}年度信访工作统计")
