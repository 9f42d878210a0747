"""Newsletter sending through a real SMTP server on loopback (aiosmtpd), not the test outbox."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from ristra.portal import services
from ristra.portal.models import NewsletterIndexPage, NewsletterIssuePage, Subscriber


class _Collector:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[_Collector]:
    handler = _Collector()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def issue(portal: Any) -> NewsletterIssuePage:
    archive = NewsletterIndexPage.objects.get()
    issue = services.newsletter_compose(archive=archive, title="Newsletter, SMTP issue")
    issue.save_revision().publish()
    issue.refresh_from_db()
    return issue


def test_an_issue_reaches_a_real_smtp_server_with_both_parts_and_unsubscribe(
    smtp_server: _Collector, issue: NewsletterIssuePage
) -> None:
    readers = ["reader0@example.org", "reader1@example.org"]
    for address in readers:
        Subscriber.objects.create(email=address, status="confirmed")
    Subscriber.objects.create(email="pending@example.org", status="pending")

    result = services.newsletter_send(issue=issue)

    assert (result.sent, result.failed, result.remaining) == (2, 0, 0)
    # The SMTP backend returns once the server has answered DATA, so both are stored now.
    assert sorted(to[0] for to, _ in smtp_server.messages) == readers
    for to, message in smtp_server.messages:
        assert message["To"] == to[0]
        assert message["Subject"] == "Newsletter, SMTP issue"
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert text is not None and html is not None
        assert "School recognised for excellence in diversity" in text.get_content()
        assert "<a href=" in html.get_content()
        leave = str(message["List-Unsubscribe"]).strip()  # long: folded onto its own line
        assert leave.startswith("<http") and "/unsubscribe/" in leave
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
