"""Delivery of messages outside the application: email over SMTP and a JSON webhook.

Messages are written to the outbox (``deliveries``) in the same transaction as what caused
them, and sent afterwards by ``deliver_pending``: a row is claimed (so a second worker
leaves it alone while it is being sent), sent without holding a transaction open, and
marked sent or failed. A failed delivery keeps its error and is retried with exponential
backoff (1, 2, 4 … minutes, at most an hour) until it goes through; nothing is dropped,
and a slow mail server never holds up a sweep.

Settings are PETITION_FLOW_* keys, read from the environment and then from the instance
folder's config.py (which wins, as it does for the web app): SMTP_HOST, SMTP_PORT,
SMTP_USER, SMTP_PASSWORD, SMTP_FROM, SMTP_STARTTLS, SMTP_SSL, WEBHOOK_URLS (comma separated
or a list), NOTIFY_TIMEOUT (seconds). No SMTP_HOST: no email; no WEBHOOK_URLS: no webhook.
"""

from __future__ import annotations

import json
import os
import smtplib
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import write_transaction
from ..models import Delivery
from ..paths import instance_dir

PREFIX = "PETITION_FLOW_"
CLAIM = timedelta(minutes=5)  # a claimed delivery is left alone this long
MAX_BACKOFF = timedelta(hours=1)


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class NotifyConfig:
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "petition-flow@localhost"
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    webhook_urls: tuple[str, ...] = ()
    timeout: float = 10.0

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> NotifyConfig:
        """Read PETITION_FLOW_* keys from a mapping (os.environ or a Flask config)."""

        def get(key: str, default: Any = None) -> Any:
            value = settings.get(PREFIX + key)
            return default if value in (None, "") else value

        urls = get("WEBHOOK_URLS", "")
        if isinstance(urls, str):
            urls = [u.strip() for u in urls.split(",")]
        return cls(
            smtp_host=get("SMTP_HOST"), smtp_port=int(get("SMTP_PORT", 25)),
            smtp_user=get("SMTP_USER"), smtp_password=get("SMTP_PASSWORD"),
            smtp_from=get("SMTP_FROM", cls.smtp_from),
            smtp_starttls=_flag(get("SMTP_STARTTLS", "")), smtp_ssl=_flag(get("SMTP_SSL", "")),
            webhook_urls=tuple(u for u in urls if u),
            timeout=float(get("NOTIFY_TIMEOUT", 10)),
        )

    @classmethod
    def load(cls) -> NotifyConfig:
        """The environment, overridden by PETITION_FLOW_* names in instance/config.py."""
        settings: dict[str, Any] = dict(os.environ)
        path = instance_dir() / "config.py"
        if path.is_file():
            namespace: dict[str, Any] = {}
            exec(compile(path.read_text("utf-8"), str(path), "exec"), namespace)
            settings.update({k: v for k, v in namespace.items() if k.startswith(PREFIX)})
        return cls.from_mapping(settings)


class DeliveryError(Exception):
    """A channel refused or could not take the message; the text is kept on the row."""


def send_email(config: NotifyConfig, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = formataddr(("信访事项办理系统", config.smtp_from))
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    smtp_class = smtplib.SMTP_SSL if config.smtp_ssl else smtplib.SMTP
    try:
        with smtp_class(config.smtp_host, config.smtp_port, timeout=config.timeout) as smtp:
            if config.smtp_starttls:
                smtp.starttls()
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP: {exc}") from exc


def post_webhook(config: NotifyConfig, url: str, payload: dict[str, Any]) -> None:
    """POST JSON; a non-2xx status or an enterprise-chat ``errcode`` other than 0 fails."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=config.timeout) as response:
            text = response.read().decode("utf-8", "replace")
    except OSError as exc:  # URLError and HTTPError are OSErrors
        raise DeliveryError(f"webhook: {exc}") from exc
    try:
        answer = json.loads(text) if text.strip() else {}
    except ValueError:
        answer = {}
    if isinstance(answer, dict) and answer.get("errcode") not in (None, 0):
        raise DeliveryError(f"webhook: errcode {answer.get('errcode')} {answer.get('errmsg', '')}")


def webhook_payload(title: str, body: str) -> dict[str, Any]:
    """The text-message body understood by enterprise chat robots (企业微信、钉钉群机器人)."""
    return {"msgtype": "text", "text": {"content": f"{title}\n{body}"}}


@dataclass
class Outbox:
    """Collects deliveries of one use case; they are added to its session, not sent."""

    config: NotifyConfig
    now: datetime
    rows: list[Delivery] = field(default_factory=list)

    def email(self, to: str | None, subject: str, body: str, **links: Any) -> None:
        if to and self.config.email_enabled:
            self._add("email", to, subject, body, None, **links)

    def webhook(self, subject: str, body: str, **links: Any) -> None:
        for url in self.config.webhook_urls:
            self._add("webhook", url, subject, body, webhook_payload(subject, body), **links)

    def _add(self, channel, target, subject, body, payload, **links) -> None:
        self.rows.append(Delivery(channel=channel, target=target, subject=subject[:200],
                                  body=body, payload=payload, status="pending", attempts=0,
                                  next_attempt_at=self.now, created_at=self.now, **links))


def backoff(attempts: int) -> timedelta:
    """Wait before retry number ``attempts`` + 1: 1, 2, 4 … minutes, capped at an hour."""
    return min(timedelta(minutes=2 ** min(max(attempts - 1, 0), 10)), MAX_BACKOFF)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


Sender = Callable[[Delivery], None]


def _default_sender(config: NotifyConfig) -> Sender:
    def send(row: Delivery) -> None:
        if row.channel == "email":
            send_email(config, row.target, row.subject, row.body)
        elif row.channel == "webhook":
            post_webhook(config, row.target, row.payload or webhook_payload(row.subject, row.body))
        else:
            raise DeliveryError(f"unknown channel {row.channel}")
    return send


def deliver_pending(session: Session, now: datetime, config: NotifyConfig | None = None,
                    *, limit: int = 100, sender: Sender | None = None) -> DeliveryReport:
    """Send the deliveries that are due; record each success or failure in its own commit."""
    config = config or NotifyConfig.load()
    send = sender or _default_sender(config)
    report = DeliveryReport()
    for row in _claim(session, now, limit):
        try:
            send(row)
        except Exception as exc:  # any failure is recorded; the loop goes on
            _finish(session, row.id, now, error=str(exc) or exc.__class__.__name__)
            report.failed += 1
            report.errors.append(f"#{row.id} {row.channel} {row.target}: {exc}")
        else:
            _finish(session, row.id, now, error=None)
            report.sent += 1
    return report


def _claim(session: Session, now: datetime, limit: int) -> list[Delivery]:
    with write_transaction(session, audited=False):
        rows = session.execute(
            select(Delivery).where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars().all()
        for row in rows:
            row.attempts += 1
            row.last_attempt_at = now
            row.next_attempt_at = now + CLAIM
    return rows


def _finish(session: Session, delivery_id: int, now: datetime, error: str | None) -> None:
    with write_transaction(session, audited=False):
        row = session.get(Delivery, delivery_id, with_for_update=True, populate_existing=True)
        if error is None:
            row.status, row.sent_at, row.last_error = "sent", now, None
        else:
            row.last_error = error[:2000]
            row.next_attempt_at = now + backoff(row.attempts)
