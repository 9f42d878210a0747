"""Contact form: stored, e-mailed to the office, protected from spam, nothing lost."""

from __future__ import annotations

import time
from typing import Any
from unittest import mock

from django.core import mail
from django.test import Client

from ristra.portal.forms import MAX_MESSAGE, form_stamp
from ristra.portal.models import ContactMessage

GOOD = {
    "name": "Rosa Benavídez",
    "email": "rosa@example.org",
    "subject": "Summer academy",
    "message": "Is the academy open to students from Colorado?",
}


def _post(client: Client, seconds_ago: float = 30, **changes: str) -> Any:
    data = {**GOOD, "started": form_stamp(time.time() - seconds_ago), **changes}
    return client.post("/contact/", data)


def test_a_message_is_stored_and_sent_to_the_office(client: Client, portal: Any) -> None:
    response = _post(client)
    assert response.status_code == 200
    assert b"Your message has reached the office" in response.content
    stored = ContactMessage.objects.get()
    assert stored.subject == "Summer academy" and stored.emailed_at is not None
    (message,) = mail.outbox
    assert message.to == ["diversity@sdcmed.invalid"]  # the CMS site settings
    assert message.reply_to == ["rosa@example.org"]
    assert "students from Colorado" in message.body


def test_the_honeypot_silently_drops_a_bot(client: Client, portal: Any) -> None:
    response = _post(client, website="http://spam.example")
    assert response.status_code == 200
    assert not ContactMessage.objects.exists() and not mail.outbox


def test_a_form_sent_too_fast_is_refused_and_kept(client: Client, portal: Any) -> None:
    response = _post(client, seconds_ago=0)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please check your message and send it again." in html
    assert "Is the academy open to students from Colorado?" in html  # nothing lost
    assert not ContactMessage.objects.exists()


def test_a_form_without_its_stamp_or_a_stale_one_is_refused(client: Client, portal: Any) -> None:
    assert _post(client, started="forged").status_code == 400
    assert _post(client, seconds_ago=3 * 86400).status_code == 400
    assert not ContactMessage.objects.exists()


def test_an_oversized_message_gets_a_clear_error(client: Client, portal: Any) -> None:
    response = _post(client, message="x" * (MAX_MESSAGE + 1))
    assert response.status_code == 400
    assert f"at most {MAX_MESSAGE}" in response.content.decode().replace(",", "")
    assert not ContactMessage.objects.exists()


def test_an_invalid_address_gets_a_clear_error(client: Client, portal: Any) -> None:
    response = _post(client, email="rosa at example")
    assert response.status_code == 400
    assert b"Enter a valid email address" in response.content
    assert b"Summer academy" in response.content


def test_it_limits_messages_per_visitor(client: Client, portal: Any) -> None:
    for _ in range(5):
        assert _post(client).status_code == 200
    blocked = _post(client)
    assert blocked.status_code == 429
    assert b"Please try again later" in blocked.content
    assert ContactMessage.objects.count() == 5


def test_a_mail_failure_keeps_the_message(client: Client, portal: Any) -> None:
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("no server")):
        response = _post(client)
    assert response.status_code == 200
    stored = ContactMessage.objects.get()
    assert stored.emailed_at is None and "no server" in stored.email_error


def test_html_in_a_message_is_not_rendered(client: Client, portal: Any) -> None:
    response = _post(client, seconds_ago=0, message="<b>bold</b><script>x()</script>")
    assert b"<script>x()</script>" not in response.content
    assert b"&lt;script&gt;" in response.content
