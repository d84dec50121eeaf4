"""Petitioner notifications by SMS, through a pluggable gateway; disabled by default.

The only adapter is an HTTP webhook in the common SMS-gateway shape (a JSON POST of
``{"phone": …, "content": …, "sign": …}``; no vendor SDK). It is switched on by
PETITION_FLOW_SMS_WEBHOOK_URL (environment or the Flask config); PETITION_FLOW_SMS_SIGN
is the signature the gateway prefixes. Messages go through the outbox (``deliveries``) as
webhook deliveries to the gateway, so a gateway outage delays them and loses none.

A message never says more than the query page shows: it is built from the petitioner's
view of the case (services/portal.petitioner_file) — case number, current step, the
handling unit — and never carries the query code, a name or an ID number.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from ..db import write_transaction
from ..models import Case, Delivery
from .portal import PetitionerFile, petitioner_file

PREFIX = "PETITION_FLOW_"


class SmsGateway(Protocol):
    def deliveries(self, phone: str, text: str, now: datetime) -> list[Delivery]:
        """The outbox rows that send ``text`` to ``phone`` (none when disabled)."""


@dataclass(frozen=True)
class DisabledGateway:
    def deliveries(self, phone: str, text: str, now: datetime) -> list[Delivery]:
        return []


@dataclass(frozen=True)
class WebhookGateway:
    url: str
    sign: str = ""

    def payload(self, phone: str, text: str) -> dict[str, Any]:
        return {"phone": phone, "content": text, "sign": self.sign}

    def deliveries(self, phone: str, text: str, now: datetime) -> list[Delivery]:
        return [Delivery(channel="webhook", target=self.url, subject="信访事项短信",
                         body=text, payload=self.payload(phone, text), status="pending",
                         attempts=0, next_attempt_at=now, created_at=now)]


def gateway(settings: Mapping[str, Any] | None = None) -> SmsGateway:
    """The configured gateway: the Flask config (if given) over the environment."""
    merged = {**os.environ, **dict(settings or {})}
    url = str(merged.get(PREFIX + "SMS_WEBHOOK_URL") or "").strip()
    if not url:
        return DisabledGateway()
    return WebhookGateway(url, str(merged.get(PREFIX + "SMS_SIGN") or ""))


def message(file: PetitionerFile) -> str:
    """The SMS text, from what the query page shows and nothing else."""
    unit = f"，承办单位：{file.handling_unit}" if file.handling_unit else ""
    return (f"您的信访事项（编号{file.case_no}）当前状态：{file.state_label}{unit}。"
            "详情请凭信访件编号和查询码在信访事项查询页面查看。")


def queue(session: Session, case: Case, now: datetime,
          settings: Mapping[str, Any] | None = None, *, window_days: int = 30) -> int:
    """Add one SMS to the case's first petitioner with a phone to the caller's transaction;
    returns the rows added (0 when SMS is off or there is no phone)."""
    sms = gateway(settings)
    phone = next((p.phone for p in case.parties if p.phone), None)
    if phone is None or isinstance(sms, DisabledGateway):
        return 0
    rows = sms.deliveries(phone, message(petitioner_file(session, case, now, window_days)),
                          now)
    session.add_all(rows)
    return len(rows)


def notify_petitioner(session: Session, case: Case, now: datetime,
                      settings: Mapping[str, Any] | None = None, *,
                      window_days: int = 30) -> int:
    """Queue the SMS in a transaction of its own (for a change made elsewhere)."""
    with write_transaction(session):
        return queue(session, case, now, settings, window_days=window_days)
