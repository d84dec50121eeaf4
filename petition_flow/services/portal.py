"""The petitioner's side (信访人查询): a case number and its query code open what the law lets
a petitioner see of their matter — 信访工作条例第二十一条 (可查询、可跟踪、可评价) and the
《信访事项网上办理工作规程（试行）》 list (domain.md §5): the registration date, the dates the
matter was passed on and reached the competent organ, the acceptance decision, the notices
and opinions issued to the petitioner, the handling unit, the current step, and the
petitioner's own windows (复查、复核申请期限, 评价期限).

Never shown: staff, internal notes (objections, follow-up records, reasons for refusals of
extensions…), the matter's own text (it may name an accused person or unit, 第三十条第三款),
other parties' identity, or any ID number, masked or not.

A wrong code and an unknown case number get one answer, and both are compared in constant
time; failures are throttled (services/throttle.py) and audited.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import local_date
from ..db import write_transaction
from ..domain.roles import ROLE_TABLE
from ..errors import NotFoundError, PetitionFlowError
from ..models import AuditEntry, Case, Evaluation, Notice, PetitionerRequest, Unit
from .actor import Actor, require_act, require_permission
from .audit import AuditBatch
from .disclosure import petitioner_notice_text
from .notices import CHANNELS
from .petitions import QUERY_ALPHABET, case_view, engine_for, load_case
from .throttle import Throttle, wait_message

WRONG = "信访件编号或查询码不正确，请核对后重新输入。"
CASE_NO = re.compile(r"^\d{6}-\d{4}-\d{6}$")
# A dummy that no real code equals: an unknown number costs the same comparison.
_DUMMY = "\x00" * 8
PLAIN_STEPS = {
    "1": "您的信访事项已登记，信访工作机构正在审查。",
    "2": "信访工作机构正在研判分类，确定处理途径。",
    "3": "信访事项已转送（交办）有权处理的单位，该单位将书面告知您是否受理。",
    "4": "承办单位正在调查处理。",
    "5": "处理意见已经作出，正在向您送达。",
    "6": "处理意见已送达。您可以评价办理结果；对处理意见不服的，可以在期限内请求复查。",
    "review": "您的信访事项正在复查、复核程序中。",
}


class Throttled(PetitionFlowError):
    code = "throttled"

    def __init__(self, seconds: int):
        super().__init__(wait_message(seconds))
        self.seconds = seconds


def public_role() -> str:
    """The roles table's role that acts from the public pages."""
    return next(r.id for r in ROLE_TABLE if r.public)


def petitioner_actor(case: Case | None = None, address: str = "") -> Actor:
    """The petitioner holding a query code: no account, no unit, no scope."""
    return Actor(None, f"public@{address}"[:64], public_role(), None,
                 case.region_id if case else None)


def code_digest(code: str) -> str:
    """What a browser session keeps of a matched code (never the code itself)."""
    return hashlib.sha256(code.encode()).hexdigest()


def normalise(case_no: str, code: str) -> tuple[str, str]:
    return (case_no or "").strip()[:32], (code or "").strip().upper().replace(" ", "")[:16]


def _matches(case: Case | None, code: str) -> bool:
    stored = case.query_code if case is not None else _DUMMY
    return hmac.compare_digest(code.encode(), stored.encode()) and case is not None


def open_case(session: Session, throttle: Throttle, now: datetime, case_no: str, code: str,
              address: str) -> Case:
    """Match a case number and query code; throttled and audited, one answer for all misses."""
    case_no, code = normalise(case_no, code)
    keys = [("query-address", address)]
    if CASE_NO.match(case_no):  # a malformed number is no case's: only the address counts
        keys.append(("query-case", case_no))
    with write_transaction(session):
        wait = throttle.wait(session, keys, now)
        if wait:
            raise Throttled(wait)
        case = None
        if len(keys) > 1:
            case = session.execute(select(Case).where(Case.case_no == case_no)).scalar_one_or_none()
        audit = AuditBatch(petitioner_actor(case, address), now)
        if not _matches(case, code):
            throttle.hit(session, keys, now)
            audit.add("public_query_failed", case_no=case_no, address=address)
            audit.flush(session)
            failed = True
        else:
            throttle.clear(session, keys[1:])
            audit.add("public_query_opened", case_id=case.id, address=address)
            audit.flush(session)
            failed = False
    if failed:
        raise NotFoundError(WRONG)
    return case


def authorised_case(session: Session, case_id: int, digest: str) -> Case:
    """The case a browser opened with its code, while that code is still the case's code."""
    try:
        case = load_case(session, case_id)
    except NotFoundError:
        raise NotFoundError(WRONG) from None
    if not hmac.compare_digest(code_digest(case.query_code), digest or ""):
        raise NotFoundError(WRONG)  # the code was re-issued: the old one is dead
    return case


# --- what the page shows ------------------------------------------------------------------

@dataclass(frozen=True)
class PublicEvent:
    on: date
    text: str


@dataclass(frozen=True)
class PublicNotice:
    id: int
    kind: str
    title: str
    issued_on: date
    body: str


@dataclass(frozen=True)
class PublicWindow:
    label: str
    due_date: date
    explanation: str
    article: str


@dataclass(frozen=True)
class RequestOption:
    trigger: str
    label: str
    due_date: date


@dataclass
class PetitionerFile:
    case_no: str
    received_on: date
    registered_on: date
    channel_label: str
    handling_unit: str | None
    state_label: str
    step_label: str
    plain: str
    final: bool
    events: list[PublicEvent]
    notices: list[PublicNotice]
    windows: list[PublicWindow]
    evaluation: Evaluation | None = None
    evaluation_due: date | None = None  # None: no evaluation open
    requests: list[RequestOption] = field(default_factory=list)
    pending: list[PetitionerRequest] = field(default_factory=list)


def _unit_name(session: Session, unit_id) -> str:
    unit = session.get(Unit, unit_id) if isinstance(unit_id, int) else None
    return unit.name if unit else "有关单位"


def _events(session: Session, case: Case) -> list[PublicEvent]:
    spec = engine_for(case).spec
    out = [PublicEvent(local_date(case.created_at), "登记")]
    rows = session.execute(select(AuditEntry).where(AuditEntry.case_id == case.id,
                                                    AuditEntry.action == "transition")
                           .order_by(AuditEntry.seq)).scalars()
    for entry in rows:
        d = entry.details or {}
        trigger = spec.triggers.get(d.get("trigger", ""))
        phrase = trigger.public if trigger else None  # the workflow's ``public:`` words
        if phrase is None:
            continue  # internal steps (研判、异议、回访…) are not the petitioner's
        unit = (d.get("inputs") or {}).get("unit")
        out.append(PublicEvent(local_date(entry.at),
                               phrase.format(unit=_unit_name(session, unit))))
    return out


def _scrub(case: Case, body: str) -> str:
    """The matter's own text is left out: it may name whom an accusation is about."""
    for text in sorted({case.summary, case.request, case.facts_and_reasons} - {""}, key=len,
                       reverse=True):
        body = body.replace(text, "（略）")
    return body


def _internal(spec, kind: str) -> bool:
    notice = spec.notices.get(kind)
    return notice is not None and notice.internal


def delivered_on(case: Case) -> date | None:
    name = engine_for(case).spec.tagged_one("delivery")  # the trigger that serves the reply
    value = (case.data.get(name) or {}).get("delivered_on") if name else None
    return date.fromisoformat(value) if value else None


def evaluation_due(case: Case, window_days: int) -> date | None:
    """The last day of the evaluation window, counted from delivery of the reply."""
    delivered = delivered_on(case)
    return delivered + timedelta(days=window_days) if delivered else None


def request_options(session: Session, case: Case, today: date) -> list[RequestOption]:
    """复查/复核 the workflow opens now: a trigger whose transition from this state runs
    within a petitioner's window (a clock with ``duty: false``) that is still open.
    Only a 信访处理意见 on an Art. 31(6) matter opens one (第三十五条、第三十六条; domain.md §8)."""
    if not (case.category == "appeal" and case.route == 6):
        return []
    engine = engine_for(case)
    spec = engine.spec
    view = case_view(session, case, today)
    out: dict[str, RequestOption] = {}
    for t in spec.transitions_from(case.state):
        windows = [c.arg for c in t.conditions if c.name in ("within", "received_within")
                   and c.arg in spec.clocks
                   and not spec.clocks[c.arg].duty]
        if not windows or t.trigger in out or engine.first_failing(view, t) is not None:
            continue
        clock = view.clocks.get(windows[0])
        if clock is not None:
            out[t.trigger] = RequestOption(t.trigger, spec.triggers[t.trigger].label,
                                           clock.due_date)
    return list(out.values())


def petitioner_file(session: Session, case: Case, now: datetime,
                    window_days: int) -> PetitionerFile:
    """Everything the query page shows of ``case`` (already matched with its code)."""
    actor = petitioner_actor(case)
    spec = engine_for(case).spec
    state = spec.states[case.state]
    today = local_date(now)
    steps = {s.key: s.label for s in spec.steps}
    notices = session.execute(select(Notice).where(Notice.case_id == case.id)
                              .order_by(Notice.id)).scalars()
    evaluation = session.execute(select(Evaluation).where(Evaluation.case_id == case.id)
                                 ).scalar_one_or_none()
    due = evaluation_due(case, window_days)
    windows = [PublicWindow(c.label, c.due_date, c.explanation, c.article)
               for c in case.clocks if not c.duty and c.status != "stopped"]
    if due is not None and evaluation is None and today <= due:
        windows.append(PublicWindow("评价期限", due, f"自处理意见送达之日起{window_days}日内",
                                    "信访工作条例第二十一条"))
    pending = session.execute(select(PetitionerRequest).where(
        PetitionerRequest.case_id == case.id).order_by(PetitionerRequest.id)).scalars().all()
    asked = {r.kind for r in pending if r.status == "pending"}
    return PetitionerFile(
        case_no=case.case_no, received_on=local_date(case.received_at),
        registered_on=local_date(case.created_at), channel_label=CHANNELS[case.channel],
        handling_unit=_unit_name(session, case.responsible_unit_id)
        if case.responsible_unit_id else None,
        state_label=state.label, step_label=steps.get(state.step, ""),
        plain=(f"本信访事项已{state.label}。" if state.final
               else PLAIN_STEPS.get(state.step, f"当前环节：{state.label}。")),
        final=state.final, events=_events(session, case),
        notices=[PublicNotice(n.id, n.kind, n.title, local_date(n.issued_at),
                              _scrub(case, petitioner_notice_text(actor, case, n.body)))
                 # 异议函 goes to the transferring bureau (第二十三条第三款): ``internal``
                 for n in notices if not _internal(spec, n.kind)],
        windows=windows, evaluation=evaluation,
        evaluation_due=due if due is not None and evaluation is None and today <= due
        else None,
        requests=[o for o in request_options(session, case, today) if o.trigger not in asked],
        pending=list(pending),
    )


# --- reception re-issues a query code ---------------------------------------------------

def reissue_query_code(session: Session, actor: Actor, now: datetime, case_id: int) -> str:
    """A new query code (the old one stops working at once); audited, code not logged."""
    require_permission(actor, "register")
    with write_transaction(session):
        case = load_case(session, case_id, for_update=True)
        require_act(actor, case)
        case.query_code = "".join(secrets.choice(QUERY_ALPHABET) for _ in range(8))
        case.updated_at = now
        audit = AuditBatch(actor, now)
        audit.add("query_code_reissued", case_id=case.id, case_no=case.case_no)
        audit.flush(session)
    return case.query_code
