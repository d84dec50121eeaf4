"""The organisation as data: regions (the city, its districts and counties) and their units,
read from and written to one YAML or CSV file (``petition-flow org import`` / ``org export``).

The file describes the whole organisation. Importing it adds what is new, updates what
changed (names, kinds, parents, pilot flags, a unit's active flag) and removes what the file no
longer names. Importing the same file twice changes nothing. A region or unit that the file
leaves out but that users, cases or any other record still refer to is never removed: the
import is refused, naming them (a unit that should no longer be used stays in the file with
``active: false``). The Baoji organisation ships as such a file
(petition_flow/organisations/baoji.yaml); ``init`` seeds from it.

YAML: ``regions:`` and ``units:`` lists of mappings. CSV (UTF-8, a header row):
``type,code,name,kind,parent,division_code,pilot,active`` with type ``region`` or ``unit``; a
unit's ``parent`` is its region's code.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import write_transaction
from ..errors import ValidationError
from ..models import Base, Region, Unit
from .actor import Actor, require_permission
from .audit import AuditBatch

SHIPPED = Path(__file__).resolve().parents[1] / "organisations" / "baoji.yaml"
REGION_KINDS = {"city": "市", "county": "区县"}
PILOTS = {"provincial": "省级试点", "city": "市级试点"}
CSV_COLUMNS = ("type", "code", "name", "kind", "parent", "division_code", "pilot", "active")
MAX_FILE_BYTES = 2 * 1024 * 1024
UNIT_KINDS = {
    "bureau": "信访局", "politico_legal": "政法委", "court": "人民法院",
    "procuratorate": "人民检察院", "police": "公安机关", "discipline": "纪检监察机关",
    "hrss": "人力资源和社会保障部门", "housing": "住房和城乡建设部门",
    "natural_resources": "自然资源部门", "justice": "司法行政部门", "township": "乡镇（街道）",
    "xinlianban": "信联办", "other": "其他单位",
}


@dataclass(frozen=True)
class RegionRow:
    code: str
    division_code: str
    name: str
    kind: str
    parent: str | None = None
    pilot: str | None = None


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    kind: str
    region: str
    active: bool = True


@dataclass(frozen=True)
class Organisation:
    regions: tuple[RegionRow, ...]
    units: tuple[UnitRow, ...]

    def same_as(self, other: Organisation) -> bool:
        return set(self.regions) == set(other.regions) and set(self.units) == set(other.units)


class OrgFileError(ValidationError):
    """A file that cannot be read as an organisation; the message names the file and entry."""


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    units_added: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        if not self.changed:
            return "组织机构与文件一致，没有变化。"
        return (f"组织机构已导入：新增 {len(self.added)} 项，修改 {len(self.updated)} 项，"
                f"删除 {len(self.removed)} 项。")


# --- reading --------------------------------------------------------------------------------

def read_org_file(path: Path) -> Organisation:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise OrgFileError(f"无法读取组织机构文件 {path}：{exc.strerror or exc}。") from None
    if len(raw) > MAX_FILE_BYTES:
        raise OrgFileError(f"组织机构文件 {path.name} 过大（上限 2 MB）。")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OrgFileError(f"组织机构文件 {path.name} 须为 UTF-8 编码的文本。") from None
    return parse_org(text, path.name)


def parse_org(text: str, filename: str) -> Organisation:
    """A YAML or CSV (by the file name's suffix) organisation, checked whole."""
    if filename.lower().endswith(".csv"):
        regions, units = _csv_items(text, filename)
    else:
        regions, units = _yaml_items(text, filename)
    return _check(regions, units, filename)


def _yaml_items(text: str, filename: str) -> tuple[list[dict], list[dict]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise OrgFileError(f"{filename} 不是有效的 YAML：{exc}".splitlines()[0]) from None
    if not isinstance(data, dict) or not isinstance(data.get("regions"), list) \
            or not isinstance(data.get("units", []), list):
        raise OrgFileError(f"{filename}：应有 regions（地区列表）和 units（单位列表）两项。")
    for key, items in (("regions", data["regions"]), ("units", data.get("units") or [])):
        for n, item in enumerate(items, 1):
            if not isinstance(item, dict):
                raise OrgFileError(f"{filename}：{key} 第{n}项应为键值对。")
    return data["regions"], data.get("units") or []


def _csv_items(text: str, filename: str) -> tuple[list[dict], list[dict]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("type", "code", "name", "kind") if c not in (reader.fieldnames or ())]
    if missing:
        raise OrgFileError(f"{filename}：表头缺少列 {'、'.join(missing)}"
                           f"（应为 {','.join(CSV_COLUMNS)}）。")
    regions, units = [], []
    for n, row in enumerate(reader, 2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        kind = row.get("type")
        if kind == "region":
            regions.append({"code": row["code"], "division_code": row.get("division_code"),
                            "name": row["name"], "kind": row["kind"],
                            "parent": row.get("parent") or None, "pilot": row.get("pilot") or None,
                            "_where": f"第{n}行"})
        elif kind == "unit":
            active = row.get("active", "").lower()
            if active not in ("", "1", "0", "true", "false", "yes", "no"):
                raise OrgFileError(f"{filename} 第{n}行：active 应为 true 或 false。")
            units.append({"code": row["code"], "name": row["name"], "kind": row["kind"],
                          "region": row.get("parent"), "active": active in ("", "1", "true", "yes"),
                          "_where": f"第{n}行"})
        else:
            raise OrgFileError(f"{filename} 第{n}行：type 应为 region 或 unit。")
    return regions, units


def _text(item: dict, key: str, where: str, limit: int, required: bool = True) -> str | None:
    value = item.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise OrgFileError(f"{where}：缺少 {key}。")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise OrgFileError(f"{where}：{key} 应为文字。")
    value = str(value).strip()
    if len(value) > limit:
        raise OrgFileError(f"{where}：{key} 不超过{limit}个字符。")
    return value


def _check(regions: list[dict], units: list[dict], filename: str) -> Organisation:
    out_regions: list[RegionRow] = []
    for n, item in enumerate(regions, 1):
        where = f"{filename} regions {item.get('_where') or f'第{n}项'}"
        code = _text(item, "code", where, 32)
        where = f"{where}（{code}）"
        division = _text(item, "division_code", where, 6)
        if not (division.isdigit() and len(division) == 6):
            raise OrgFileError(f"{where}：division_code 应为6位行政区划代码。")
        kind = _text(item, "kind", where, 16)
        if kind not in REGION_KINDS:
            raise OrgFileError(f"{where}：kind 应为 city（市）或 county（区县）。")
        pilot = _text(item, "pilot", where, 16, required=False)
        if pilot not in (None, *PILOTS):
            raise OrgFileError(f"{where}：pilot 应为 provincial（省级试点）、city（市级试点）或不填。")
        out_regions.append(RegionRow(code, division, _text(item, "name", where, 64), kind,
                                     _text(item, "parent", where, 32, required=False), pilot))
    codes = [r.code for r in out_regions]
    _unique(codes, filename, "地区代码")
    _unique([r.division_code for r in out_regions], filename, "行政区划代码")
    known = set(codes)
    for r in out_regions:
        if r.kind == "county" and r.parent is None:
            raise OrgFileError(f"{filename}：区县 {r.code} 缺少 parent（所属的市）。")
        if r.parent is not None and (r.parent not in known or r.parent == r.code):
            raise OrgFileError(f"{filename}：地区 {r.code} 的 parent“{r.parent}”不是文件中的另一个地区。")
        if r.parent is not None and next(p for p in out_regions if p.code == r.parent).kind != "city":
            raise OrgFileError(f"{filename}：地区 {r.code} 的 parent 应为市。")
    if not out_regions or not any(r.kind == "city" for r in out_regions):
        raise OrgFileError(f"{filename}：至少应有一个市（kind: city）。")
    out_units: list[UnitRow] = []
    for n, item in enumerate(units, 1):
        where = f"{filename} units {item.get('_where') or f'第{n}项'}"
        code = _text(item, "code", where, 64)
        where = f"{where}（{code}）"
        kind = _text(item, "kind", where, 32)
        if kind not in UNIT_KINDS:
            raise OrgFileError(f"{where}：kind“{kind}”不是已知的单位类型（{'、'.join(UNIT_KINDS)}）。")
        region = _text(item, "region", where, 32)
        if region not in known:
            raise OrgFileError(f"{where}：所属地区“{region}”不在文件的 regions 中。")
        active = item.get("active", True)
        if not isinstance(active, bool):
            raise OrgFileError(f"{where}：active 应为 true 或 false。")
        out_units.append(UnitRow(code, _text(item, "name", where, 128), kind, region, active))
    _unique([u.code for u in out_units], filename, "单位代码")
    return Organisation(tuple(out_regions), tuple(out_units))


def _unique(values: list[str], filename: str, what: str) -> None:
    seen, twice = set(), []
    for v in values:
        if v in seen:
            twice.append(v)
        seen.add(v)
    if twice:
        raise OrgFileError(f"{filename}：{what}重复：{'、'.join(sorted(set(twice)))}。")


def shipped_organisation() -> Organisation:
    return read_org_file(SHIPPED)


# --- writing --------------------------------------------------------------------------------

def _region_dict(r: RegionRow) -> dict:
    out = {"code": r.code, "division_code": r.division_code, "name": r.name, "kind": r.kind}
    if r.parent:
        out["parent"] = r.parent
    if r.pilot:
        out["pilot"] = r.pilot
    return out


def _unit_dict(u: UnitRow) -> dict:
    out = {"code": u.code, "name": u.name, "kind": u.kind, "region": u.region}
    if not u.active:
        out["active"] = False
    return out


def _flow(item: dict) -> str:
    return yaml.safe_dump(item, allow_unicode=True, default_flow_style=True, width=10_000,
                          sort_keys=False).strip()


def dump_yaml(org: Organisation) -> str:
    lines = ["# 组织机构（petition-flow org export）：可修改后用 petition-flow org import 导入。",
             "regions:"]
    lines += [f"  - {_flow(_region_dict(r))}" for r in org.regions]
    lines.append("units:")
    lines += [f"  - {_flow(_unit_dict(u))}" for u in org.units]
    return "\n".join(lines) + "\n"


def dump_csv(org: Organisation) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in org.regions:
        writer.writerow(["region", r.code, r.name, r.kind, r.parent or "", r.division_code,
                         r.pilot or "", ""])
    for u in org.units:
        writer.writerow(["unit", u.code, u.name, u.kind, u.region, "", "",
                         "true" if u.active else "false"])
    return out.getvalue()


def dump(org: Organisation, filename: str) -> str:
    return dump_csv(org) if filename.lower().endswith(".csv") else dump_yaml(org)


def current_organisation(session: Session) -> Organisation:
    """Today's organisation, in the file's terms (city first, then by division code)."""
    regions = list(session.execute(select(Region)).scalars())
    by_id = {r.id: r for r in regions}
    regions.sort(key=lambda r: (r.kind != "city", r.division_code))
    order = {r.id: n for n, r in enumerate(regions)}
    units = sorted(session.execute(select(Unit)).scalars(),
                   key=lambda u: (order[u.region_id], u.id))
    return Organisation(
        tuple(RegionRow(r.code, r.division_code, r.name, r.kind,
                        by_id[r.parent_id].code if r.parent_id else None, r.pilot)
              for r in regions),
        tuple(UnitRow(u.code, u.name, u.kind, by_id[u.region_id].code, bool(u.active))
              for u in units))


# --- importing ------------------------------------------------------------------------------

def _references(session: Session, table: str, ids: set[int], skip: set[str]) -> set[int]:
    """Which of ``ids`` (rows of ``table``) a foreign key of any other table still names."""
    used: set[int] = set()
    if not ids:
        return used
    for other in Base.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table.name != table or f"{other.name}.{fk.parent.name}" in skip:
                continue
            col = fk.parent
            rows = session.execute(select(col, func.count()).where(col.in_(ids))
                                   .group_by(col)).all()
            used |= {row[0] for row in rows}
    return used


def apply_organisation(session: Session, org: Organisation) -> ImportResult:
    """Make the database's organisation the file's (the caller's transaction and commit)."""
    result = ImportResult()
    regions = {r.code: r for r in session.execute(select(Region)).scalars()}
    units = {u.code: u for u in session.execute(select(Unit)).scalars()}
    wanted_regions = {r.code for r in org.regions}
    wanted_units = {u.code for u in org.units}
    gone_units = {code: u for code, u in units.items() if code not in wanted_units}
    gone_regions = {code: r for code, r in regions.items() if code not in wanted_regions}
    busy_units = _references(session, "units", {u.id for u in gone_units.values()}, set())
    busy_regions = _references(session, "regions", {r.id for r in gone_regions.values()},
                               {"units.region_id", "regions.parent_id"})
    named = [f"{u.name}（{u.code}）" for u in gone_units.values() if u.id in busy_units]
    named += [f"{r.name}（{r.code}）" for r in gone_regions.values() if r.id in busy_regions]
    if named:
        raise ValidationError(
            "组织机构文件未导入：文件中没有以下单位或地区，但仍有用户、信访事项或其他记录属于它们："
            + "、".join(named) + "。请在文件中保留它们（不再使用的单位可写 active: false 停用）。",
            fields={"file": "会使用户或信访事项失去所属单位。"})
    # Regions: cities first so a county's parent exists.
    for row in sorted(org.regions, key=lambda r: r.kind != "city"):
        region = regions.get(row.code)
        parent_id = regions[row.parent].id if row.parent else None
        values = {"division_code": row.division_code, "name": row.name, "kind": row.kind,
                  "parent_id": parent_id, "pilot": row.pilot}
        if region is None:
            region = Region(code=row.code, **values)
            session.add(region)
            regions[row.code] = region
            result.added.append(f"地区 {row.code}")
        elif any(getattr(region, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(region, k, v)
            result.updated.append(f"地区 {row.code}")
        session.flush()
    for row in org.units:
        unit = units.get(row.code)
        values = {"name": row.name, "kind": row.kind, "region_id": regions[row.region].id,
                  "active": row.active}
        if unit is None:
            session.add(Unit(code=row.code, **values))
            result.added.append(f"单位 {row.code}")
            result.units_added += 1
        elif any(getattr(unit, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(unit, k, v)
            result.updated.append(f"单位 {row.code}")
    session.flush()
    for code, unit in gone_units.items():
        session.delete(unit)
        result.removed.append(f"单位 {code}")
    session.flush()
    for code, region in sorted(gone_regions.items(), key=lambda item: item[1].kind == "city"):
        session.delete(region)
        session.flush()
        result.removed.append(f"地区 {code}")
    return result


def import_organisation(session: Session, actor: Actor, now: datetime, org: Organisation,
                        source: str) -> ImportResult:
    """An administrator (or the console) loads an organisation file: one transaction, audited
    when anything changed."""
    with write_transaction(session):
        require_permission(actor, "administer")
        result = apply_organisation(session, org)
        if result.changed:
            audit = AuditBatch(actor, now)
            audit.add("organisation_imported", source=source[:200], added=len(result.added),
                      updated=len(result.updated), removed=len(result.removed),
                      changes=(result.added + result.updated + result.removed)[:200])
            audit.flush(session)
    return result
