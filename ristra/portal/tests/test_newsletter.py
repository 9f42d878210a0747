"""Newsletter: double opt-in, one-click unsubscribe, composing, bounce-safe batched sending."""

from __future__ import annotations

import re
import time
from typing import Any
from unittest import mock

import pytest
from django.core import mail, signing
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from ristra.portal import services
from ristra.portal.models import (
    Delivery,
    EventPage,
    NewsletterIndexPage,
    NewsletterIssuePage,
    NewsPage,
    Subscriber,
)


def _link(message: Any) -> str:
    found = re.search(r"https?://\S+/subscribe/confirm/\S+/", message.body)
    assert found, message.body
    return found.group(0).split("/", 1)[1]


def test_it_sends_a_confirmation_and_subscribes_only_after_it(client: Client, portal: Any) -> None:
    response = client.post("/subscribe/", {"email": "Ana.Lucero@Example.org"})
    assert response.status_code == 200
    assert b"Check your e-mail" in response.content
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "ana.lucero@example.org"
    assert subscriber.status == Subscriber.Status.PENDING
    (message,) = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.to == ["ana.lucero@example.org"]
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    confirmed = client.get("/" + _link(message))
    assert confirmed.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED and subscriber.confirmed_at


def test_repeated_sign_ups_do_not_flood_or_reveal(client: Client, portal: Any) -> None:
    first = client.post("/subscribe/", {"email": "repeat@example.org"})
    second = client.post("/subscribe/", {"email": "repeat@example.org"})
    assert len(mail.outbox) == 1  # re-sent at most every ten minutes
    services.subscriber_confirm(token=services.confirm_token(Subscriber.objects.get()))
    third = client.post("/subscribe/", {"email": "repeat@example.org"})
    assert len(mail.outbox) == 1  # already confirmed: nothing sent

    def answer(response: Any) -> str:
        return response.content.decode().split('usa-alert__text">')[1].split("</p>")[0]

    assert answer(first) == answer(second) == answer(third)
    assert Subscriber.objects.count() == 1


def test_it_rejects_an_invalid_address_clearly(client: Client, portal: Any) -> None:
    response = client.post("/subscribe/", {"email": "not-an-address"})
    assert response.status_code == 400
    assert b"Enter a valid email address" in response.content
    assert b'value="not-an-address"' in response.content
    assert not Subscriber.objects.exists()


def test_a_bot_filling_the_honeypot_is_not_subscribed(client: Client, portal: Any) -> None:
    response = client.post("/subscribe/", {"email": "bot@example.org", "website": "x"})
    assert response.status_code == 200
    assert not Subscriber.objects.exists() and not mail.outbox


def test_forged_and_expired_confirmation_links_are_refused(client: Client, portal: Any) -> None:
    subscriber = Subscriber.objects.create(email="late@example.org")
    token = services.confirm_token(subscriber)
    forged = client.get(f"/subscribe/confirm/{token[:-2]}xx/")
    assert forged.status_code == 400
    assert b"incomplete or was changed" in forged.content
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 8 * 86400):
        old = services.confirm_token(subscriber)
    expired = client.get(f"/subscribe/confirm/{old}/")
    assert expired.status_code == 400
    assert b"expired" in expired.content
    # An unsubscribe token cannot confirm, and a confirmation token cannot unsubscribe.
    leave = services.unsubscribe_token(subscriber)
    assert client.get(f"/subscribe/confirm/{leave}/").status_code == 400
    assert client.post(f"/unsubscribe/{token}/").status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_unsubscribe_asks_on_get_and_acts_on_one_click_post(portal: Any) -> None:
    subscriber = Subscriber.objects.create(email="leave@example.org", status="confirmed")
    client = Client(enforce_csrf_checks=True)  # mail clients post without our CSRF cookie
    url = f"/unsubscribe/{services.unsubscribe_token(subscriber)}/"
    assert client.get(url).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


@pytest.fixture
def issue(portal: Any) -> NewsletterIssuePage:
    archive = NewsletterIndexPage.objects.get()
    issue = services.newsletter_compose(archive=archive, title="Newsletter, test issue")
    issue.save_revision().publish()
    issue.refresh_from_db()
    return issue


@pytest.fixture
def subscribers(db: Any) -> list[Subscriber]:
    confirmed = [
        Subscriber.objects.create(email=f"reader{i}@example.org", status="confirmed")
        for i in range(5)
    ]
    Subscriber.objects.create(email="pending@example.org", status="pending")
    Subscriber.objects.create(email="gone@example.org", status="unsubscribed")
    return confirmed


def test_compose_takes_recent_news_and_upcoming_events(issue: NewsletterIssuePage) -> None:
    news, events = issue.items()
    assert {n.slug for n in news} == set(
        NewsPage.objects.filter(
            title__in=[
                "School recognised for excellence in diversity",
                "Anti-racism program completes its fifth year",
                "New mentorship cohort for residents and fellows",
                "Summer Health Careers Academy applications open",
            ]
        ).values_list("slug", flat=True)
    )
    assert {e.slug for e in events} == {
        "summer-academy-information-night",
        "inclusive-teaching-workshop",
        "heritage-month-community-forum",
    }
    assert "white-coat-family-reception" not in {e.slug for e in events}
    assert EventPage.objects.filter(slug="white-coat-family-reception").exists()


def test_it_sends_html_and_text_with_unsubscribe_headers_once(
    issue: NewsletterIssuePage, subscribers: list[Subscriber]
) -> None:
    mail.outbox.clear()
    result = services.newsletter_send(issue=issue)
    assert (result.sent, result.failed, result.remaining) == (5, 0, 0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in subscribers)
    message = mail.outbox[0]
    assert isinstance(message, EmailMultiAlternatives)
    assert "School recognised for excellence in diversity" in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html" and isinstance(html, str) and "<a href=" in html
    leave = message.extra_headers["List-Unsubscribe"]
    assert leave.startswith("<http") and "/unsubscribe/" in leave
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Delivery.objects.filter(issue=issue, status="sent").count() == 5
    issue.refresh_from_db()
    assert issue.sent_at is not None
    again = services.newsletter_send(issue=issue)
    assert (again.sent, again.failed) == (0, 0)
    assert len(mail.outbox) == 5


def test_it_sends_in_batches_and_resumes(
    issue: NewsletterIssuePage, subscribers: list[Subscriber]
) -> None:
    mail.outbox.clear()
    first = services.newsletter_send(issue=issue, batch_size=2, max_batches=1)
    assert (first.sent, first.remaining) == (2, 3)
    rest = services.newsletter_send(issue=issue, batch_size=2)
    assert (rest.sent, rest.remaining) == (3, 0)
    assert len({m.to[0] for m in mail.outbox}) == len(mail.outbox) == 5


def test_a_failed_send_is_recorded_and_retried_never_resent(
    issue: NewsletterIssuePage, subscribers: list[Subscriber], settings: Any
) -> None:
    settings.RISTRA_NEWSLETTER_MAX_ATTEMPTS = 2
    real_send = EmailMultiAlternatives.send

    def flaky(self: EmailMultiAlternatives, fail_silently: bool = False) -> int:
        if self.to == ["reader3@example.org"]:
            raise ConnectionRefusedError("550 mailbox unavailable")
        return real_send(self, fail_silently)

    mail.outbox.clear()
    with mock.patch.object(EmailMultiAlternatives, "send", flaky):
        result = services.newsletter_send(issue=issue)
        assert (result.sent, result.failed, result.remaining) == (4, 1, 1)
        failed = Delivery.objects.get(email="reader3@example.org")
        assert failed.status == "failed" and failed.attempts == 1
        assert "mailbox unavailable" in failed.last_error
        retry = services.newsletter_send(issue=issue)
        assert (retry.sent, retry.failed, retry.remaining) == (0, 1, 0)  # gave up after 2
    assert len(mail.outbox) == 4
    issue.refresh_from_db()
    assert issue.sent_at is not None
    # A new subscriber after sending gets it on the next run; the others never twice.
    Subscriber.objects.create(email="late@example.org", status="confirmed")
    services.newsletter_send(issue=issue)
    assert [m.to[0] for m in mail.outbox].count("reader0@example.org") == 1
    assert mail.outbox[-1].to == ["late@example.org"]


def test_a_delivery_interrupted_mid_send_is_not_retried(
    issue: NewsletterIssuePage, subscribers: list[Subscriber]
) -> None:
    services.newsletter_send(issue=issue)
    Delivery.objects.filter(email="reader1@example.org").update(status="sending", sent_at=None)
    mail.outbox.clear()
    services.newsletter_send(issue=issue)
    assert mail.outbox == []


def test_an_editor_composes_and_sends_from_the_cms(
    client: Client, portal: Any, cast: dict[str, Any], subscribers: list[Subscriber]
) -> None:
    from django.contrib.auth.models import Group

    editor = cast["admin"]
    editor.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(editor)
    assert client.get("/cms/newsletter/").status_code == 200
    response = client.post("/cms/newsletter/", {"title": "November news"})
    issue = NewsletterIssuePage.objects.get(title="November news")
    assert response["Location"] == f"/cms/pages/{issue.pk}/edit/"
    assert not issue.live
    page = client.get(f"/cms/newsletter/{issue.pk}/")
    assert b"Publish the issue before sending it." in page.content
    issue.save_revision().publish()
    mail.outbox.clear()
    client.post(f"/cms/newsletter/{issue.pk}/send/")  # tasks run inline under pytest
    assert len(mail.outbox) == 5
    assert b"Sending has started" in client.get(f"/cms/newsletter/{issue.pk}/").content


def test_people_without_cms_access_cannot_send(
    client: Client, issue: NewsletterIssuePage, cast: dict[str, Any]
) -> None:
    client.force_login(cast["outsider"])
    response = client.post(f"/cms/newsletter/{issue.pk}/send/")
    assert response.status_code in (302, 403)
    assert not Delivery.objects.exists()
    client.logout()
    assert client.get("/cms/newsletter/")["Location"].startswith("/accounts/login/")


def test_tokens_are_signed_with_the_secret(portal: Any) -> None:
    subscriber = Subscriber.objects.create(email="x@example.org")
    token = services.unsubscribe_token(subscriber)
    assert signing.loads(token, salt=services.UNSUBSCRIBE_SALT)["e"] == "x@example.org"
    with pytest.raises(signing.BadSignature):
        signing.loads(token, salt=services.UNSUBSCRIBE_SALT, key="another-secret")
