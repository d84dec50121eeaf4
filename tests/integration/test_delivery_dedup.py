"""At-least-once deliveries that a receiver can de-duplicate: a mail server or webhook that
takes the message but answers after the timeout gets it again on the retry — with the same
Message-ID / event id; a slow SMTP server does not hold the webhooks back; a dead one is
given up on after the short connect timeout."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import threading
import time as wall
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from helpers import at
from sqlalchemy import select
from test_delivery import blue_day, deliveries, free_port

from petition_flow.models import User, UserContact
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.notify import NotifyConfig, deliver_pending

SLOW = 1.5  # seconds the slow servers take to answer; the send timeout is 0.5


class SlowMailbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        await asyncio.sleep(SLOW)  # took it; the answer comes too late
        return "250 OK"


@pytest.fixture
def slow_smtp():
    mailbox = SlowMailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, mailbox
    controller.stop()


@pytest.fixture
def slow_hook():
    received: list[tuple[dict, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((body, self.headers.get("X-Petition-Flow-Event-Id")))
            wall.sleep(SLOW)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


def give_email(session, username: str, address: str) -> None:
    user = session.execute(select(User).where(User.username == username)).scalar_one()
    session.add(UserContact(user_id=user.id, email=address))
    session.commit()


def test_a_slow_accepting_smtp_server_gets_duplicates_only_with_the_same_message_id(
    session, cases, slow_smtp
):
    port, mailbox = slow_smtp
    give_email(session, "handler.meixian", "handler@meixian.example")
    config = NotifyConfig(smtp_host="127.0.0.1", smtp_port=port, timeout=0.5)
    case, day = blue_day(session, cases)
    sweep_deadlines(session, at(day, 9), config=config)
    assert deliver_pending(session, at(day, 9, 1), config).failed >= 1
    assert deliver_pending(session, at(day, 9, 5), config).failed >= 1
    assert len(mailbox.messages) == 2  # the server has the message twice …
    first, second = (m["Message-ID"] for m in mailbox.messages)
    assert first == second  # … with one Message-ID, so the duplicate can be dropped
    [row] = [r for r in deliveries(session) if r.channel == "email"]
    assert row.attempts == 2 and "timed out" in row.last_error


def test_a_slow_accepting_webhook_gets_duplicates_only_with_the_same_event_id(
    session, cases, slow_hook
):
    url, received = slow_hook
    config = NotifyConfig(webhook_urls=(url,), timeout=0.5)
    case, day = blue_day(session, cases)
    sweep_deadlines(session, at(day, 9), config=config)
    assert deliver_pending(session, at(day, 9, 1), config).failed == 1
    assert deliver_pending(session, at(day, 9, 5), config).failed == 1
    assert len(received) == 2
    (first, first_header), (second, second_header) = received
    assert first == second and first["event_id"] == first_header == second_header
    [row] = deliveries(session)
    assert first_header == f"pf-delivery-{row.id}"
    assert row.attempts == 2 and row.last_error


def test_a_slow_smtp_server_does_not_hold_the_webhooks_back(session, cases, slow_smtp):
    port, mailbox = slow_smtp
    hooked: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            hooked.append(wall.monotonic())
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for name in ("handler.meixian", "unit_leader.meixian"):
            give_email(session, name, f"{name}@meixian.example")
        config = NotifyConfig(smtp_host="127.0.0.1", smtp_port=port, timeout=5,
                              webhook_urls=(f"http://127.0.0.1:{server.server_port}/h",))
        case, day = blue_day(session, cases)
        sweep_deadlines(session, at(day, 9), config=config)
        started = wall.monotonic()
        report = deliver_pending(session, at(day, 9, 1), config)
        assert report.sent == len(mailbox.messages) + 1, report
        assert hooked and hooked[0] - started < SLOW  # sent while the mail was still going
    finally:
        server.shutdown()
        server.server_close()
    [row] = [r for r in deliveries(session) if r.channel == "webhook"]
    assert row.status == "sent" and row.attempts == 1
