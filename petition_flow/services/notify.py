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
or a list), NOTIFY_TIMEOUT (seconds to send, default 10) and NOTIFY_CONNECT_TIMEOUT (seconds
to connect, default 3). No SMTP_HOST: no email; no WEBHOOK_URLS: no webhook.
"""

from __future__ import annotations

import http.client
import json
import os
import smtplib
import ssl
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..db import write_transaction
from ..models import Delivery
from ..paths import instance_dir

PREFIX = "PETITION_FLOW_"
CLAIM = timedelta(minutes=5)  # a claimed delivery is left alone this long
MAX_BACKOFF = timedelta(hours=1)


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


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
    timeout: float = 10.0  # seconds for a send once connected
    connect_timeout: float = 3.0  # seconds to connect: a dead server is given up on quickly
    # Settings that could not be used, one Chinese sentence each naming the setting and the
    # value. ``serve`` refuses to start with any (settings.py); the deadline sweep does not
    # care, and a delivery with bad settings fails as a delivery error, retried later.
    problems: tuple[str, ...] = ()

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> NotifyConfig:
        """Read PETITION_FLOW_* keys from a mapping (os.environ or a Flask config); a value
        that cannot be used keeps the default and is listed in ``problems``."""
        problems: list[str] = []

        def get(key: str, default: Any = None) -> Any:
            value = settings.get(PREFIX + key)
            return default if value in (None, "") else value

        def bad(key: str, value: Any, expected: str) -> None:
            problems.append(f"设置 {PREFIX}{key} 的值“{value}”无效：{expected}。")

        def number(key: str, default: float, low: float, high: float, kind=float) -> Any:
            value = get(key, default)
            try:
                parsed = kind(value)
                if isinstance(value, bool) or not low <= parsed <= high:
                    raise ValueError
            except (TypeError, ValueError):
                bad(key, value, f"应为{low:g}至{high:g}之间的{'整数' if kind is int else '数值'}")
                return default
            return parsed

        def flag(key: str) -> bool:
            value = get(key, "")
            text = str(value).strip().lower()
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            bad(key, value, "应为 true 或 false")
            return False

        urls = get("WEBHOOK_URLS", "")
        if isinstance(urls, str):
            urls = [u.strip() for u in urls.split(",")]
        elif not isinstance(urls, (list, tuple)):
            bad("WEBHOOK_URLS", urls, "应为以逗号分隔的网址，或网址列表")
            urls = []
        good_urls = []
        for url in (str(u).strip() for u in urls):
            if not url:
                continue
            parts = urllib.parse.urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                bad("WEBHOOK_URLS", url, "应为 http:// 或 https:// 开头的网址")
            else:
                good_urls.append(url)
        smtp_from = str(get("SMTP_FROM", cls.smtp_from))
        if "@" not in smtp_from:
            bad("SMTP_FROM", smtp_from, "应为电子邮件地址")
            smtp_from = cls.smtp_from
        config = cls(
            smtp_host=get("SMTP_HOST"), smtp_port=number("SMTP_PORT", 25, 1, 65535, int),
            smtp_user=get("SMTP_USER"), smtp_password=get("SMTP_PASSWORD"),
            smtp_from=smtp_from, smtp_starttls=flag("SMTP_STARTTLS"), smtp_ssl=flag("SMTP_SSL"),
            webhook_urls=tuple(good_urls),
            timeout=number("NOTIFY_TIMEOUT", 10.0, 0.5, 300),
            connect_timeout=number("NOTIFY_CONNECT_TIMEOUT", 3.0, 0.2, 60),
        )
        if config.smtp_ssl and config.smtp_starttls:
            problems.append(f"设置 {PREFIX}SMTP_SSL 与 {PREFIX}SMTP_STARTTLS 不能同时开启。")
        return replace(config, problems=tuple(problems))

    @classmethod
    def load(cls) -> NotifyConfig:
        """The environment, overridden by PETITION_FLOW_* names in instance/config.py."""
        settings: dict[str, Any] = dict(os.environ)
        path = instance_dir() / "config.py"
        extra: list[str] = []
        if path.is_file():
            namespace: dict[str, Any] = {}
            try:
                exec(compile(path.read_text("utf-8"), str(path), "exec"), namespace)
            except Exception as exc:  # a typo in the file must not stop the sweep
                extra.append(f"实例配置文件 {path} 无法读取：{exc.__class__.__name__}: {exc}")
            settings.update({k: v for k, v in namespace.items() if k.startswith(PREFIX)})
        config = cls.from_mapping(settings)
        return replace(config, problems=(*extra, *config.problems)) if extra else config


class DeliveryError(Exception):
    """A channel refused or could not take the message; the text is kept on the row."""


def message_id(config: NotifyConfig, delivery_id: int) -> str:
    """The Message-ID of one delivery: the same on every retry, so a receiver (or a mail
    server that took the message but answered too late) can drop the duplicate."""
    domain = config.smtp_from.rpartition("@")[2] or "localhost"
    return f"<pf-delivery-{delivery_id}@{domain}>"


def event_id(delivery_id: int) -> str:
    """The event id of one webhook delivery, sent as a header and a body field, the same on
    every retry."""
    return f"pf-delivery-{delivery_id}"


def send_email(config: NotifyConfig, to: str, subject: str, body: str,
               msg_id: str | None = None) -> None:
    message = EmailMessage()
    message["From"] = formataddr(("信访事项办理系统", config.smtp_from))
    message["To"] = to
    message["Subject"] = subject
    if msg_id:
        message["Message-ID"] = msg_id
    message.set_content(body)
    smtp_class = smtplib.SMTP_SSL if config.smtp_ssl else smtplib.SMTP
    try:
        # Connect with the short timeout, then send with the longer one.
        with smtp_class(timeout=config.connect_timeout) as smtp:
            smtp.connect(config.smtp_host, config.smtp_port)
            smtp.sock.settimeout(config.timeout)
            if config.smtp_starttls:
                smtp.starttls()
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP: {exc}") from exc


def post_webhook(config: NotifyConfig, url: str, payload: dict[str, Any],
                 event: str | None = None) -> None:
    """POST JSON; a non-2xx status or an enterprise-chat ``errcode`` other than 0 fails."""
    if event:
        payload = {**payload, "event_id": event}
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    parts = urllib.parse.urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Content-Type": "application/json; charset=utf-8", "Host": parts.netloc}
    if event:
        headers["X-Petition-Flow-Event-Id"] = event
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=config.connect_timeout,
            context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                          timeout=config.connect_timeout)
    try:
        conn.connect()
        conn.sock.settimeout(config.timeout)
        conn.request("POST", path, body=data, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"webhook: {exc}") from exc
    finally:
        conn.close()
    if not 200 <= response.status < 300:
        raise DeliveryError(f"webhook: HTTP {response.status} {response.reason}")
    try:
        answer = json.loads(text) if text.strip() else {}
    except ValueError:
        answer = {}
    if isinstance(answer, dict) and answer.get("errcode") not in (None, 0):
        raise DeliveryError(f"webhook: errcode {answer.get('errcode')} {answer.get('errmsg', '')}")


def webhook_payload(title: str, body: str) -> dict[str, Any]:
    """The text-message body understood by enterprise chat robots (企业微信、钉钉群机器人)."""
    return {"msgtype": "text", "text": {"content": f"{title}\n{body}"}}


# Every column but the id, so a column added to Delivery is written too.
_DELIVERY_COLUMNS = tuple(c.name for c in Delivery.__table__.columns if not c.primary_key)


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

    def flush(self, session: Session) -> None:
        """Write the collected deliveries as one Core executemany INSERT (a sweep collects
        thousands; nothing reads them back in the same transaction) and forget them."""
        if self.rows:
            session.connection().execute(insert(Delivery.__table__), [
                {c: getattr(row, c) for c in _DELIVERY_COLUMNS} for row in self.rows])
            self.rows.clear()

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
        if config.problems:  # a delivery error like any other: recorded, retried later
            raise DeliveryError("通知设置有误：" + "；".join(config.problems))
        if row.channel == "email":
            send_email(config, row.target, row.subject, row.body, message_id(config, row.id))
        elif row.channel == "webhook":
            post_webhook(config, row.target, row.payload or webhook_payload(row.subject, row.body),
                         event_id(row.id))
        else:
            raise DeliveryError(f"unknown channel {row.channel}")
    return send


CHANNELS = ("email", "webhook")


def deliver_pending(session: Session, now: datetime, config: NotifyConfig | None = None,
                    *, limit: int = 100, sender: Sender | None = None) -> DeliveryReport:
    """Send the deliveries that are due, at least once each; record each success or failure
    (attempts, last error) in its own commit.

    Each channel is its own queue, sent from its own thread and session, so a slow or dead
    SMTP server never holds the webhooks back (nor the reverse). A message whose answer was
    lost (a server that took it and answered after the timeout, a deliverer killed mid-send)
    is sent again with the same Message-ID / event id: receivers de-duplicate on it."""
    config = config or NotifyConfig.load()
    send = sender or _default_sender(config)
    reports = {channel: DeliveryReport() for channel in CHANNELS}
    bind = session.get_bind()

    def run(channel: str) -> None:
        with Session(bind=bind, expire_on_commit=False) as own:
            _deliver_channel(own, now, channel, limit, send, reports[channel])

    threads = [threading.Thread(target=run, args=(c,), name=f"deliver-{c}") for c in CHANNELS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if session.in_transaction():  # as a writer would: end the caller's read, then show
        session.commit()          # it the rows as the channel sessions left them
    session.expire_all()
    report = DeliveryReport()
    for part in reports.values():
        report.sent += part.sent
        report.failed += part.failed
        report.errors += part.errors
    return report


def _deliver_channel(session: Session, now: datetime, channel: str, limit: int, send: Sender,
                     report: DeliveryReport) -> None:
    for row in _claim(session, now, channel, limit):
        try:
            send(row)
        except Exception as exc:  # any failure is recorded; the loop goes on
            _finish(session, row.id, now, error=str(exc) or exc.__class__.__name__)
            report.failed += 1
            report.errors.append(f"#{row.id} {row.channel} {row.target}: {exc}")
        else:
            _finish(session, row.id, now, error=None)
            report.sent += 1


def _claim(session: Session, now: datetime, channel: str, limit: int) -> list[Delivery]:
    with write_transaction(session, audited=False):
        rows = session.execute(
            select(Delivery).where(Delivery.status == "pending", Delivery.channel == channel,
                                   Delivery.next_attempt_at <= now)
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
