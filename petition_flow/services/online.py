"""网上信访: a petition submitted on the public pages (信访工作条例第十七条: 信息网络).

It passes the same input contract as registration at reception
(services/registration.validate_registration), enters the county's reception queue as
channel 网上 in the workflow's first state (已登记), gets a case number and a query code, and
is checked for repeats (第十九条第三款) the way reception checks: the matches are kept on the
case for reception to decide, never shown to the submitter. Submissions are limited per
source address (services/throttle.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import write_transaction
from ..domain.roles import ROLE_TABLE
from ..errors import ConcurrentChangeError, ValidationError
from ..models import Case, Region, Unit
from . import sms
from .actor import Actor
from .audit import AuditBatch
from .petitions import create_case
from .portal import Throttled, public_role
from .registration import validate_registration
from .repeats import find_repeats
from .throttle import Throttle

CHANNEL = "web"
BUREAU_KIND = "bureau"  # the county petition bureau (信访局) receives online petitions
CONSENT = "请阅读并确认《信访人权利义务告知书》。"


def counties(session: Session) -> list[Region]:
    return list(session.execute(select(Region).where(Region.kind == "county")
                                .order_by(Region.division_code)).scalars())


def _bureau(session: Session, region: Region) -> Unit:
    return session.execute(select(Unit).where(Unit.region_id == region.id,
                                              Unit.kind == BUREAU_KIND,
                                              Unit.active.is_(True))
                           .order_by(Unit.id)).scalars().first()


def _reception_view(region: Region, unit: Unit) -> Actor:
    """Repeats are looked for as the county's registering staff would see them."""
    role = next(r.id for r in ROLE_TABLE if r.may("register") and r.scope == "county")
    return Actor(None, "repeat-check", role, unit.id, region.id, region.kind)


def submit_online(session: Session, throttle: Throttle, now: datetime, form: dict[str, Any],
                  *, county: str, consent: bool, address: str,
                  settings: Mapping[str, Any] | None = None) -> Case:
    """Register an online petition; raises ValidationError with every field's message."""
    keys = [("submit-address", address)]
    command = {**form, "channel": CHANNEL, "received_at": now, "major_urgent": False,
               "repeat_of_id": None, "repeat_reason": None}
    try:
        with write_transaction(session):
            wait = throttle.wait(session, keys, now)
            if wait:
                raise Throttled(wait)
            region = session.execute(select(Region).where(Region.code == county,
                                                          Region.kind == "county")
                                     ).scalar_one_or_none()
            clean, errors = _validate(command, now)
            if region is None:
                errors["county"] = "请选择信访事项所在的县（区）。"
            if not consent:
                errors["consent"] = CONSENT
            if errors:
                raise ValidationError("提交的信息有误，请检查标出的项目。", fields=errors)
            unit = _bureau(session, region)
            matches = find_repeats(session, _reception_view(region, unit), clean)
            actor = Actor(None, f"public@{address}"[:64], public_role(), unit.id, region.id,
                          region.kind)
            case = create_case(session, actor, now, clean)
            case.data = {**case.data, "online": {
                "repeat_candidates": [_match(m) for m in matches], "consent": True}}
            throttle.hit(session, keys, now)
            audit = AuditBatch(actor, now)
            audit.add("online_petition_received", case_id=case.id, address=address,
                      repeat_candidates=len(matches))
            audit.flush(session)
            sms.queue(session, case, now, settings)  # in the same commit: nothing half done
    except IntegrityError:
        raise ConcurrentChangeError("提交时发生冲突，请重试。") from None
    return case


def _validate(command: dict, now: datetime):
    try:
        return validate_registration(command, now), {}
    except ValidationError as exc:
        return None, dict(exc.fields)


def _match(m) -> dict[str, Any]:
    d = asdict(m)
    d["received_on"] = m.received_on.isoformat()
    return d


def rights_duties_text(today) -> str:
    """The 信访人权利义务告知书 a submitter consents to (the notice issued on registration)."""
    from .notices import QUERY_HINT, CaseFacts, environment

    later = "（提交后生成）"
    facts = CaseFacts(case_no=later, query_code=later, received_on=today,
                      channel_label="网上信访", summary="", request="", facts_and_reasons="",
                      region_name="", responsible_unit_name=None, petitioner_names="信访人",
                      category_label=None, collective=False)
    body = environment().get_template("notices/rights_duties.txt").render(
        case=facts, issuer_name="信访工作机构", issued_on=today, deadlines=[], data={},
        query_hint=QUERY_HINT)
    return body.split("　　特此告知。")[0].rstrip()
