"""Outbox delivery against real servers on 127.0.0.1: SMTP (aiosmtpd) and an HTTP webhook."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from helpers import at
from sqlalchemy import select

from petition_flow.models import Clock, Delivery, User, UserContact
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.notify import NotifyConfig, deliver_pending


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.recipients.append(list(envelope.rcpt_tos))
        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


class Hook:
    """A webhook that answers with the queued (status, body) pairs, then 200 errcode 0."""

    def __init__(self):
        self.answers: list[tuple[int, dict]] = []
        self.received: list[dict] = []


@pytest.fixture
def webhook():
    hook = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            hook.received.append(json.loads(self.rfile.read(length).decode("utf-8")))
            status, body = hook.answers.pop(0) if hook.answers else (200, {"errcode": 0})
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/robot/send?key=test", hook
    server.shutdown()
    server.server_close()


def give_email(session, username: str, address: str) -> None:
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    session.add(UserContact(user_id=user.id, email=address))
    session.commit()


def statutory_only(case) -> None:
    """These tests follow one clock: Meixian's 限时办结 clock beside the statutory one is
    tested in test_local_limits.py."""
    for local in case.clocks:
        if local.rule == "handling@local":
            local.status, local.next_level_on = "stopped", None


def blue_day(session, cases):
    case = cases.walk(["classify", "transfer", "accept"])
    statutory_only(case)
    clock = session.execute(select(Clock).where(Clock.case_id == case.id,
                                                Clock.rule == "handling")).scalar_one()
    return case, clock.blue_on


def deliveries(session) -> list[Delivery]:
    session.expire_all()
    return list(session.execute(select(Delivery).order_by(Delivery.id)).scalars())


def test_an_alert_email_reaches_a_real_smtp_server_after_the_sweep_not_during_it(
    cases, session, smtp_server
):
    controller, mailbox = smtp_server
    config = NotifyConfig(smtp_host="127.0.0.1", smtp_port=controller.port,
                          smtp_from="alerts@baoji.example")
    give_email(session, "handler.meixian", "handler@meixian.example")
    case, day = blue_day(session, cases)

    sweep_deadlines(session, at(day, 9), config=config)
    assert [(d.channel, d.target, d.status) for d in deliveries(session)] == [
        ("email", "handler@meixian.example", "pending")]
    assert mailbox.messages == []

    report = deliver_pending(session, at(day, 9, 1), config)
    assert (report.sent, report.failed) == (1, 0)
    message = mailbox.messages[0]
    assert mailbox.recipients == [["handler@meixian.example"]]
    assert message["Subject"] == f"【蓝色提示】{case.case_no} 办理期限"
    assert f"信访件编号：{case.case_no}" in message.get_content()
    [row] = deliveries(session)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at == at(day, 9, 1)
    assert deliver_pending(session, at(day, 9, 2), config).sent == 0


def test_an_email_the_server_cannot_take_is_kept_and_retried_with_backoff(cases, session):
    port = free_port()  # nothing listens here yet
    config = NotifyConfig(smtp_host="127.0.0.1", smtp_port=port, timeout=2)
    give_email(session, "handler.meixian", "handler@meixian.example")
    _, day = blue_day(session, cases)
    sweep_deadlines(session, at(day, 9), config=config)

    failed = deliver_pending(session, at(day, 9, 1), config)
    assert (failed.sent, failed.failed) == (0, 1)
    [row] = deliveries(session)
    assert row.status == "pending" and row.attempts == 1 and row.last_error.startswith("SMTP")
    assert row.next_attempt_at == at(day, 9, 2)  # first retry after a minute
    assert deliver_pending(session, at(day, 9, 1) + timedelta(seconds=30), config).failed == 0

    deliver_pending(session, at(day, 9, 2), config)
    [row] = deliveries(session)
    assert row.attempts == 2 and row.next_attempt_at == at(day, 9, 4)  # then two minutes

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert deliver_pending(session, at(day, 9, 4), config).sent == 1
    finally:
        controller.stop()
    [row] = deliveries(session)
    assert row.status == "sent" and row.attempts == 3 and row.last_error is None
    assert len(mailbox.messages) == 1


def test_the_webhook_gets_json_and_a_refused_post_is_recorded_and_retried(
    cases, session, webhook
):
    url, hook = webhook
    config = NotifyConfig(webhook_urls=(url,))
    hook.answers = [(500, {"error": "busy"}), (200, {"errcode": 93000, "errmsg": "invalid"})]
    case, day = blue_day(session, cases)

    sweep_deadlines(session, at(day, 9), config=config)
    assert hook.received == []  # the sweep only writes the outbox
    assert deliver_pending(session, at(day, 9, 1), config).failed == 1
    [row] = deliveries(session)
    assert "500" in row.last_error and row.status == "pending"

    assert deliver_pending(session, at(day, 9, 2), config).failed == 1
    [row] = deliveries(session)
    assert "93000" in row.last_error  # an enterprise-chat error code is a failure too

    assert deliver_pending(session, at(day, 9, 4), config).sent == 1
    [row] = deliveries(session)
    assert row.status == "sent" and row.attempts == 3
    assert len(hook.received) == 3
    payload = hook.received[-1]
    assert payload["msgtype"] == "text"
    assert payload["text"]["content"].startswith(f"【蓝色提示】{case.case_no} 办理期限\n")
    assert "截止日期：" in payload["text"]["content"]


def test_an_unreachable_webhook_never_blocks_the_next_sweep(cases, session):
    config = NotifyConfig(webhook_urls=(f"http://127.0.0.1:{free_port()}/hook",), timeout=1)
    case = cases.walk(["classify", "transfer", "accept"])
    statutory_only(case)
    clock = session.execute(select(Clock).where(Clock.case_id == case.id,
                                                Clock.rule == "handling")).scalar_one()
    sweep_deadlines(session, at(clock.blue_on, 9), config=config)
    assert deliver_pending(session, at(clock.blue_on, 9, 1), config).failed == 1
    yellow = sweep_deadlines(session, at(clock.yellow_on, 9), config=config)
    assert [a.level for a in yellow.alerts] == ["yellow"]
    assert [d.status for d in deliveries(session)] == ["pending", "pending"]
