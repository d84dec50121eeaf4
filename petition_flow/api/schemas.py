"""The API's request, response and query schemas, defined once as pydantic 2 models.

Why pydantic (and not marshmallow with apispec/flask-smorest): it is already installed in
version 2, its models are plain typed classes that serialise to JSON Schema 2020-12 — the
dialect of OpenAPI 3.1 — without a plugin, and the same class validates a response in the
tests (``model_validate_json(..., strict=True)``). Nothing here imports Flask.

Enums that come from the workflow YAML (states, steps) are built when the workflow is loaded:
``models()`` makes the classes once per loaded spec. ``components()`` is the JSON Schema of
every model, as ``openapi.document()`` publishes it and ``validation.read_json`` checks
request bodies against it (so a request is refused exactly as described, with Chinese
messages per field).
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from ..domain.guards import CATEGORIES
from ..domain.levels import LEVELS
from ..domain.roles import ROLES_BY_ID
from ..domain.spec import INPUT_TYPES, MAX_ID, WorkflowSpec
from ..services.calendars import MAX_DUE_DAYS
from ..services.notices import CHANNELS
from ..services.org import COUNTIES
from ..services.registration import MAX_PETITIONERS
from ..services.statistics import DEFINITIONS, GROUPS

MAX_PAGE = 100_000
MAX_PER_PAGE = 200
REF = "#/components/schemas/{model}"

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Units = Literal["calendar", "workday"]


def _enum(values) -> Any:
    """A Literal of values known only at load time (YAML states, the statistics groups…)."""
    return Literal[tuple(values)]


def _d(text: str, **more) -> Any:
    return Field(description=text, **more)


class Closed(BaseModel):
    """A JSON object with exactly the documented keys (additionalProperties: false)."""

    model_config = ConfigDict(extra="forbid")


class Open(BaseModel):
    """A request object (unknown keys are refused too)."""

    model_config = ConfigDict(extra="forbid")


# --- shapes that do not depend on the workflow ---------------------------------------------


class RepeatMatch(Closed):
    id: Id
    case_no: str
    state: str
    received_on: date
    summary: str
    score: float
    open: bool
    finalized: bool


class ErrorBody(Closed):
    code: str
    message: str
    fields: dict[str, str]
    repeats: list[RepeatMatch] = None


class Error(Closed):
    error: ErrorBody


class Deadline(Closed):
    clock: str
    label: str
    basis: str
    unit: Units
    days: int
    extension_days: int
    trigger_date: date
    due_date: date
    provisional: bool
    explanation: str
    status: Literal["running", "paused", "stopped"]
    duty: bool
    level: Literal["blue", "yellow", "red"] | None


class PetitionerInput(Open):
    name: str = _d("姓名")
    id_number: str | None = _d("18位公民身份号码", default=None)
    phone: str | None = _d("手机号码或带区号的固定电话", default=None)
    address: str | None = None
    representative: bool = _d("集体访代表（≤5人）", default=False)


class RegistrationRequest(Open):
    channel: _enum(CHANNELS) = _d("、".join(f"{k}={v}" for k, v in CHANNELS.items()))
    received_at: str | None = _d("收到时间，ISO 8601；不带时区时按北京时间；缺省为现在", default=None)
    summary: str = _d("事项摘要（≤200字）")
    request: str = _d("信访诉求")
    facts_and_reasons: str = _d("事实和理由")
    petitioners: list[PetitionerInput] = Field(default=None, max_length=MAX_PETITIONERS)
    anonymous: bool = False
    collective: bool = False
    major_urgent: bool = False
    attachments: str = _d("附件说明（≤1000字）", default="")
    repeat_of_id: Id | None = _d("关联为该信访事项的重复信访", default=None)
    repeat_reason: str | None = _d("发现疑似重复时继续登记的理由", default=None)
    late_reason: str | None = _d("收到超过30日才登记时必填：延迟登记的理由（记入事项和审计）",
                                 default=None)
    county: str = _d("县（区）代码；须为调用者所在县（区）", default=None)


class Unit(Closed):
    id: Id
    name: str


class Choice(Closed):
    value: str | int
    label: str


class InputField(Closed):
    name: str
    label: str
    type: _enum(INPUT_TYPES)
    required: bool
    required_if: dict[str, str]
    choices: list[Choice]
    min: int | None
    max: int | None
    not_after_today: bool


class Trigger(Closed):
    trigger: str
    label: str
    fields: list[InputField]


class Party(Closed):
    name: str
    id_number: str | None
    phone: str | None
    address: str | None
    representative: bool


class RevealRequest(Open):
    reason: str = _d("查看信访人完整信息的事由（记入操作日志）", min_length=1, max_length=200)


class TimelineActor(Closed):
    username: str
    role: _enum(ROLES_BY_ID)


class TimelineEntry(Closed):
    seq: int
    at: datetime
    action: str
    label: str
    actor: TimelineActor
    from_state: str | None
    to_state: str | None
    trigger: str | None


class Notice(Closed):
    id: Id
    kind: str
    title: str
    issued_at: datetime


class FirstHandler(Closed):
    unit: Unit | None
    user_id: Id | None
    handled_at: datetime | None


class County(Closed):
    code: str
    name: str


class EventRequest(Open):
    trigger: str = _d("操作名，取自 available_triggers[].trigger", min_length=1, max_length=64)
    data: dict[str, str | int | float | bool | None] = _d(
        "操作所需字段，见 available_triggers[].fields", default=None)
    version: Id = _d("调用者看到的 version；已被他人修改时返回 409", default=None)


Rate = Annotated[float, Field(ge=0, le=1)]


class CountyFigures(Closed):
    county: str
    name: str
    pilot: Literal["provincial", "city"] | None
    open_by_step: dict[str, int]
    open_total: int
    due_soon: int
    overdue: int
    handled: int
    handled_on_time: int
    on_time_rate: Rate | None
    first_handled: int
    first_handler_completed: int
    first_handler_rate: Rate | None


class Figure(Closed):
    value: float | None = _d("件数、比率（0-1）或天数；无分母时为 null")
    numerator: int | None = _d("比率的分子件数")
    denominator: int | None = _d("比率的分母件数；天数指标为参与计算的件数")


# One property per defined figure, described by its name and formula (services/statistics.py);
# published inline in StatsGroup (see INLINE).
StatsFigures = create_model(
    "StatsFigures", __base__=Closed,
    **{d.key: (Figure, Field(description=f"{d.name}：{d.formula}")) for d in DEFINITIONS})


class StatsGroup(Closed):
    key: str = _d("分组值：县（区）代码、单位编号、类别、渠道或期间；合计为空")
    label: str
    figures: StatsFigures


class Period(Closed):
    from_: date = Field(alias="from")
    to: date
    time_zone: Literal["Asia/Shanghai"]


class Definition(Closed):
    key: _enum(d.key for d in DEFINITIONS)
    name: str
    formula: str = _d("口径（计算公式）")
    kind: Literal["count", "rate", "days"]


class Due(Closed):
    from_: date = Field(alias="from")
    days: int
    unit: Units
    due_date: date
    provisional: bool
    explanation: str
    calendar_version: str


class Alert(Closed):
    id: Id = _d("消息编号：确认时使用（POST /alerts/{id}/acknowledge）")
    alert_id: Id = _d("预警编号；同一预警发给多人时各人的消息编号不同")
    level: _enum(LEVELS) = _d("blue=蓝色提示，yellow=黄色预警，red=红色超期")
    case_id: Id
    case_no: str
    subject: str = _d("期限名称，或督办单")
    clock: str | None = _d("期限（deadlines[].clock）；督办单的预警为 null")
    order_id: Id | None = _d("督办单编号；期限的预警为 null")
    due_date: date
    reached_at: datetime = _d("达到该级别的时间")
    raised_at: datetime = _d("系统发出预警的时间（停机恢复后可能晚于 reached_at）")
    title: str
    body: str
    read: bool
    read_at: datetime | None = _d("确认（已读）时间")


class AlertList(Closed):
    items: list[Alert]
    total: int
    unread: int = _d("调用者全部未读预警数")
    page: int
    per_page: int


# --- query parameters ------------------------------------------------------------------------
# Each is a model whose fields are the parameters (alias = the name in the URL); a default of
# None means "optional, no default". ``openapi.query_parameters`` turns them into OpenAPI
# parameters, and ``validation.parse_query`` reads a request's query string by those.

Page = Annotated[int, Field(ge=1, le=MAX_PAGE, description="页码")]
PerPage = Annotated[int, Field(ge=1, le=MAX_PER_PAGE, description="每页条数（≤200）")]
CountyCode = _enum(c[0] for c in COUNTIES)


class StatsQuery(Open):
    from_: date = Field(None, alias="from", description="统计期间开始日（北京时间，含）；缺省为今年1月1日")
    to: date = _d("统计期间结束日（北京时间，含）；缺省为今天", default=None)
    group_by: _enum(GROUPS) = _d("分组：" + "、".join(f"{k}={v}" for k, v in GROUPS.items()),
                                 default="county")
    county: CountyCode = _d("只统计该县（区）；须在调用者辖区内", default=None)


class AlertsQuery(Open):
    unread: bool = _d("true：仅列出未确认（未读）的预警", default=None)
    level: _enum(LEVELS) = _d("预警级别", default=None)
    case_id: Id = _d("仅列出该信访事项的预警", default=None)
    page: Page = 1
    per_page: PerPage = 50


class DueQuery(Open):
    from_: date = Field(alias="from", description="起算日（不计入）")
    days: int = Field(ge=1, le=MAX_DUE_DAYS, description="期限天数")
    unit: Units = _d("calendar=日，workday=工作日（含调休上班日）", default="calendar")


STATIC = (Error, Deadline, RepeatMatch, PetitionerInput, RegistrationRequest, InputField,
          Trigger, Party, TimelineEntry, Notice, EventRequest, RevealRequest, CountyFigures,
          Figure, StatsGroup, Due, Alert, AlertList)
INLINE = ("StatsFigures",)  # published inside the object that uses it, not as a component


# --- shapes whose enums come from the workflow ---------------------------------------------


def models(spec: WorkflowSpec) -> dict[str, Any]:
    """Every model by its published name, with the states and steps of ``spec`` (made once per
    loaded workflow version), and the query models under "queries"."""
    key = (spec.name, spec.version)
    if key not in _MODELS:
        _MODELS[key] = _models(spec)
    return _MODELS[key]


_MODELS: dict[tuple[str, str], dict[str, Any]] = {}
_COMPONENTS: dict[tuple[str, str], dict[str, Any]] = {}


def _models(spec: WorkflowSpec) -> dict[str, Any]:
    State = _enum(spec.states)  # noqa: N806 (a type)
    StepKey = _enum(s.key for s in spec.steps)  # noqa: N806
    Step = create_model("Step", __base__=Closed, key=(StepKey, ...), label=(str, ...))  # noqa: N806
    Category = _enum(CATEGORIES)  # noqa: N806

    Registered = create_model(  # noqa: N806
        "Registered", __base__=Closed, id=(Id, ...), case_no=(str, ...), query_code=(str, ...),
        state=(str, ...), state_label=(str, ...), step=(Step, ...), version=(int, ...),
        deadlines=(list[Deadline], ...), repeats=(list[RepeatMatch], ...))
    CaseSummary = create_model(  # noqa: N806
        "CaseSummary", __base__=Closed, id=(Id, ...), case_no=(str, ...), state=(str, ...),
        state_label=(str, ...), step=(Step, ...), summary=(str, ...), county=(str, ...),
        received_at=(datetime, ...), category=(Category | None, ...),
        next_due=(date | None, ...), responsible_unit_id=(Id | None, ...),
        first_handler_unit_id=(Id | None, ...))
    CaseList = create_model(  # noqa: N806
        "CaseList", __base__=Closed, items=(list[CaseSummary], ...), total=(int, ...),
        page=(int, ...), per_page=(int, ...))
    CaseDetail = create_model(  # noqa: N806
        "CaseDetail", __base__=Closed,
        id=(Id, ...), case_no=(str, ...),
        query_code=(str | None, _d("仅对可查看信访人完整信息的调用者显示")),
        workflow=(str, ...), version=(int, ...), state=(State, ...), state_label=(str, ...),
        step=(Step, ...), channel=(_enum(CHANNELS), ...), received_at=(datetime, ...),
        summary=(str, ...), request=(str, ...), facts_and_reasons=(str, ...),
        category=(Category | None, ...), route=(int | None, ...),
        litigation_related=(bool, ...), simple=(bool, ...), major_urgent=(bool, ...),
        collective=(bool, ...), anonymous=(bool, ...), county=(County, ...),
        registered_unit=(Unit | None, ...), responsible_unit=(Unit | None, ...),
        first_handler=(FirstHandler | None, ...), repeat_of_id=(Id | None, ...),
        parties_masked=(bool, ...), parties=(list[Party], ...),
        parties_may_reveal=(bool, _d("调用者可通过 POST …/reveal 查看完整信息")),
        listed_supervision=(bool, _d("挂牌督办：有未办结的挂牌督办单")),
        deadlines=(list[Deadline], ...), notices=(list[Notice], ...),
        timeline=(list[TimelineEntry], ...), available_triggers=(list[Trigger], ...),
        created_at=(datetime, ...), updated_at=(datetime, ...),
        closed_at=(datetime | None, ...))
    Stats = create_model(  # noqa: N806
        "Stats", __base__=Closed, today=(date, ...), counties=(list[CountyFigures], ...),
        period=(Period, ...), group_by=(_enum(GROUPS), ...),
        definitions=(list[Definition], ...), groups=(list[StatsGroup], ...),
        total=(StatsGroup, ...))
    PetitionsQuery = create_model(  # noqa: N806
        "PetitionsQuery", __base__=Open,
        state=(State, _d("状态", default=None)), step=(StepKey, _d("步骤", default=None)),
        category=(Category, _d("类别", default=None)),
        county=(CountyCode, _d("县（区）代码", default=None)),
        overdue=(bool, _d("仅列出已超期（有法定期限已过）的事项", default=None)),
        due_before=(date, _d("仅列出最近截止日期不晚于该日的事项", default=None)),
        q=(str, Field(None, min_length=1, max_length=100,
                      description="检索：信访件编号（完整或开头）、信访人姓名、身份证号或电话（完整）、"
                                  "事项摘要/信访诉求/事实和理由中的词句")),
        page=(Page, 1), per_page=(PerPage, 50))
    out = {m.__name__: m for m in STATIC}
    out.update(Registered=Registered, CaseSummary=CaseSummary, CaseList=CaseList,
               CaseDetail=CaseDetail, Stats=Stats)
    out["queries"] = {"list_petitions": PetitionsQuery, "stats": StatsQuery,
                      "list_alerts": AlertsQuery, "calendar_due": DueQuery}
    return out


class _Generator(GenerateJsonSchema):
    """JSON Schema as the hand-written description had it: no titles."""

    def field_title_should_be_set(self, schema) -> bool:
        return False


def _plain(schema: Any) -> Any:
    """Tidy pydantic's output the way the published description always read: ``X | None`` of
    a plain type as ``type: [X, "null"]`` (so a refused request says 应为字符串或null), a
    nullable enum with null in the enum, and no model titles."""
    if isinstance(schema, list):
        return [_plain(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {k: ({n: _plain(s) for n, s in v.items()} if k in ("properties", "$defs")
                  else _plain(v))
              for k, v in schema.items() if k != "title" or not isinstance(v, str)}
    options = schema.get("anyOf")
    if options and all(set(o) <= {"type", "format", "enum", "minimum", "maximum", "minLength",
                                  "maxLength"} for o in options):
        plain = [o for o in options if o.get("type") != "null"]
        nullable = len(plain) < len(options)
        merged: dict[str, Any] = {}
        if len(plain) == 1:
            merged = dict(plain[0])
        elif all(set(o) == {"type"} for o in plain):
            merged = {"type": [o["type"] for o in plain]}
        if merged:
            if nullable:
                if "enum" in merged:
                    merged["enum"] = [*merged["enum"], None]
                    merged.pop("type", None)
                else:
                    kind = merged["type"]
                    merged["type"] = [*(kind if isinstance(kind, list) else [kind]), "null"]
            schema = {**merged, **{k: v for k, v in schema.items() if k != "anyOf"}}
    if schema.get("default", 0) is None:
        schema.pop("default")
    return schema


def _inline(schemas: dict[str, Any]) -> dict[str, Any]:
    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            name = ref.rsplit("/", 1)[-1]
            if name in INLINE:
                return {**walk(schemas[name]), **{k: v for k, v in node.items() if k != "$ref"}}
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return {name: walk(body) for name, body in schemas.items() if name not in INLINE}


def components(spec: WorkflowSpec) -> dict[str, Any]:
    """components.schemas of the description: every model, as JSON Schema 2020-12."""
    key = (spec.name, spec.version)
    if key not in _COMPONENTS:
        published = [m for name, m in models(spec).items() if name != "queries"]
        _, top = models_json_schema([(m, "validation") for m in published], ref_template=REF,
                                    schema_generator=_Generator)
        _COMPONENTS[key] = _inline(_plain(top["$defs"]))
    return _COMPONENTS[key]


def query_parameters(spec: WorkflowSpec) -> dict[str, list[dict[str, Any]]]:
    """OpenAPI query parameters per view, from the query models."""
    out = {}
    for view, model in models(spec)["queries"].items():
        schema = _plain(model.model_json_schema(schema_generator=_Generator))
        params = []
        for name, field in model.model_fields.items():
            key = field.alias or name
            body = dict(schema["properties"][key])
            description = body.pop("description", "")
            params.append({"name": key, "in": "query", "required": field.is_required(),
                           "schema": body, "description": description})
        out[view] = params
    return out
