"""Writes of the public site: subscriptions, newsletter sending, contact messages, reminders.

Tokens in e-mailed links are signed (``django.core.signing``) with a purpose-specific salt,
so a confirmation token cannot unsubscribe and neither can be forged or edited.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import mail, signing
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ristra.portal import selectors
from ristra.portal.models import (
    ContactMessage,
    Delivery,
    EventPage,
    NewsletterIndexPage,
    NewsletterIssuePage,
    PolicyReminder,
    PortalSettings,
    ProgramPage,
    Registration,
    StandardPage,
    Subscriber,
)

log = logging.getLogger(__name__)

CONFIRM_SALT = "ristra.portal.subscribe-confirm"
UNSUBSCRIBE_SALT = "ristra.portal.unsubscribe"
#: A confirmation link works for a week; an unsubscribe link works for ever.
CONFIRM_MAX_AGE = 7 * 24 * 3600
#: A repeated sign-up for a pending address re-sends the confirmation at most this often.
RESEND_AFTER = dt.timedelta(minutes=10)


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def confirm_token(subscriber: Subscriber) -> str:
    return signing.dumps({"s": subscriber.pk, "e": subscriber.email}, salt=CONFIRM_SALT)


def unsubscribe_token(subscriber: Subscriber) -> str:
    return signing.dumps({"s": subscriber.pk, "e": subscriber.email}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(subscriber: Subscriber) -> str:
    return absolute(reverse("portal:unsubscribe", args=[unsubscribe_token(subscriber)]))


class BadToken(Exception):
    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _subscriber_from(token: str, *, salt: str, max_age: int | None) -> Subscriber:
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise BadToken(expired=True) from None
    except signing.BadSignature:
        raise BadToken(expired=False) from None
    subscriber = Subscriber.objects.filter(pk=data.get("s"), email=data.get("e")).first()
    if subscriber is None:
        raise BadToken(expired=False)
    return subscriber


def _office_email() -> str:
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).first()
    if site is not None:
        office = PortalSettings.for_site(site).office_email
        if office:
            return office
    return settings.RISTRA_OFFICE_EMAIL


# ------------------------------------------------------------------------------ subscribing


@dataclass(frozen=True)
class SubscribeResult:
    subscriber: Subscriber
    #: "sent": a confirmation e-mail went out; "already": confirmed before, nothing sent;
    #: "recent": a confirmation was sent a moment ago, not sent again.
    outcome: str


def subscriber_subscribe(*, email: str, language: str) -> SubscribeResult:
    """Record a sign-up and e-mail the confirmation link (double opt-in).

    The visitor sees the same answer whatever the outcome, so the form does not reveal who
    is subscribed.
    """
    email = email.strip().lower()
    now = timezone.now()
    with transaction.atomic():
        subscriber, created = Subscriber.objects.select_for_update().get_or_create(
            email=email, defaults={"language": language}
        )
        if subscriber.status == Subscriber.Status.CONFIRMED:
            return SubscribeResult(subscriber, "already")
        if (
            not created
            and subscriber.status == Subscriber.Status.PENDING
            and subscriber.confirmation_sent_at
            and now - subscriber.confirmation_sent_at < RESEND_AFTER
        ):
            return SubscribeResult(subscriber, "recent")
        subscriber.status = Subscriber.Status.PENDING
        subscriber.language = language
        subscriber.confirmation_sent_at = now
        subscriber.save()
    link = absolute(reverse("portal:subscribe_confirm", args=[confirm_token(subscriber)]))
    with translation.override(language):
        context = {"link": link, "days": CONFIRM_MAX_AGE // 86400}
        mail.send_mail(
            subject=_("Please confirm your newsletter subscription"),
            message=render_to_string("portal/email/confirm.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[email],
            html_message=render_to_string("portal/email/confirm.html", context),
        )
    return SubscribeResult(subscriber, "sent")


def subscriber_confirm(*, token: str) -> Subscriber:
    subscriber = _subscriber_from(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    if subscriber.status != Subscriber.Status.CONFIRMED:
        subscriber.status = Subscriber.Status.CONFIRMED
        subscriber.confirmed_at = timezone.now()
        subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["status", "confirmed_at", "unsubscribed_at"])
    return subscriber


def subscriber_for_unsubscribe(*, token: str) -> Subscriber:
    return _subscriber_from(token, salt=UNSUBSCRIBE_SALT, max_age=None)


def subscriber_unsubscribe(*, token: str) -> Subscriber:
    subscriber = subscriber_for_unsubscribe(token=token)
    if subscriber.status != Subscriber.Status.UNSUBSCRIBED:
        subscriber.status = Subscriber.Status.UNSUBSCRIBED
        subscriber.unsubscribed_at = timezone.now()
        subscriber.save(update_fields=["status", "unsubscribed_at"])
    return subscriber


# ------------------------------------------------------------------------------ newsletter


def newsletter_compose(
    *, archive: NewsletterIndexPage, title: str, today: dt.date | None = None
) -> NewsletterIssuePage:
    """A draft issue holding the recent news and the upcoming events, for an editor to edit."""
    today = today or timezone.localdate()
    issue = NewsletterIssuePage(
        title=title,
        issue_date=today,
        summary=_("News and events from the office, %(date)s.")
        % {"date": date_format(today, "F Y")},
        live=False,
    )
    archive.add_child(instance=issue)
    issue.news.set(selectors.recent_news_for_issue(today=today))
    issue.events.set(selectors.events_for_issue())
    issue.save_revision()
    issue.save()
    return issue


def _issue_message(
    issue: NewsletterIssuePage, subscriber: Subscriber, connection: Any
) -> mail.EmailMultiAlternatives:
    news, events = issue.items()
    leave = unsubscribe_url(subscriber)
    context = {
        "issue": issue,
        "news": news,
        "events": events,
        "issue_url": issue.get_full_url(),
        "unsubscribe_url": leave,
        "site_url": settings.SITE_URL,
    }
    with translation.override(subscriber.language):
        text = render_to_string("portal/email/issue.txt", context)
        html = render_to_string("portal/email/issue.html", context)
    message = mail.EmailMultiAlternatives(
        subject=issue.title,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
        connection=connection,
        headers={
            # RFC 2369 and RFC 8058: mail clients offer one-click unsubscribe.
            "List-Unsubscribe": f"<{leave}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


@dataclass(frozen=True)
class SendResult:
    sent: int
    failed: int
    remaining: int


def newsletter_send(
    *, issue: NewsletterIssuePage, batch_size: int | None = None, max_batches: int | None = None
) -> SendResult:
    """Send ``issue`` to every confirmed subscriber, in batches; safe to run again.

    Each subscriber gets a :class:`Delivery` row first (at most one per issue, a database
    constraint). A batch sends the rows still waiting or failed (fewer than the maximum
    attempts) over one connection, and records each outcome as it happens, so a crash or a
    failed message never leads to a second copy for someone already sent to.
    """
    batch_size = batch_size or settings.RISTRA_NEWSLETTER_BATCH
    max_attempts = settings.RISTRA_NEWSLETTER_MAX_ATTEMPTS
    confirmed = Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED)
    Delivery.objects.bulk_create(
        [Delivery(issue=issue, subscriber=s, email=s.email) for s in confirmed],
        ignore_conflicts=True,
    )
    due = Q(status=Delivery.Status.PENDING) | Q(
        status=Delivery.Status.FAILED, attempts__lt=max_attempts
    )
    sent = failed = batches = last_pk = 0
    while max_batches is None or batches < max_batches:
        # Onwards from the last row tried: a failure waits for the next run, not this one.
        batch = list(
            Delivery.objects.filter(due, issue=issue, pk__gt=last_pk)
            .filter(subscriber__status=Subscriber.Status.CONFIRMED)
            .select_related("subscriber")
            .order_by("pk")[:batch_size]
        )
        if not batch:
            break
        batches += 1
        last_pk = batch[-1].pk
        with mail.get_connection() as connection:
            for delivery in batch:
                Delivery.objects.filter(pk=delivery.pk).update(
                    status=Delivery.Status.SENDING, attempts=F("attempts") + 1
                )
                try:
                    _issue_message(issue, delivery.subscriber, connection).send()
                except Exception as exc:  # any SMTP or network error: record, retry later
                    log.warning("newsletter %s to %s failed: %s", issue.pk, delivery.email, exc)
                    Delivery.objects.filter(pk=delivery.pk).update(
                        status=Delivery.Status.FAILED,
                        last_error=str(exc)[:1000],
                    )
                    failed += 1
                else:
                    Delivery.objects.filter(pk=delivery.pk).update(
                        status=Delivery.Status.SENT,
                        sent_at=timezone.now(),
                        last_error="",
                    )
                    sent += 1
    remaining = (
        Delivery.objects.filter(due, issue=issue)
        .filter(subscriber__status=Subscriber.Status.CONFIRMED)
        .count()
    )
    if remaining == 0 and issue.sent_at is None:
        NewsletterIssuePage.objects.filter(pk=issue.pk).update(sent_at=timezone.now())
    return SendResult(sent=sent, failed=failed, remaining=remaining)


# ------------------------------------------------------------------------------ contact


def contact_message_receive(
    *, name: str, email: str, subject: str, message: str, language: str
) -> ContactMessage:
    """Store the message first (nothing is lost), then e-mail it to the office."""
    record = ContactMessage.objects.create(
        name=name, email=email, subject=subject, message=message, language=language
    )
    body = render_to_string("portal/email/contact.txt", {"m": record})
    try:
        mail.EmailMessage(
            subject=_("Website message: %(subject)s") % {"subject": subject},
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[_office_email()],
            reply_to=[email],
        ).send()
    except Exception as exc:  # the message is stored; staff read it in the CMS
        log.warning("contact message %s not e-mailed: %s", record.pk, exc)
        record.email_error = str(exc)[:1000]
        record.save(update_fields=["email_error"])
    else:
        record.emailed_at = timezone.now()
        record.save(update_fields=["emailed_at"])
    return record


# ------------------------------------------------------------------------------ registrations


def registration_create(
    *, target: ProgramPage | EventPage, data: dict[str, Any], language: str
) -> Registration:
    """Keep a registration or application (the pathways record), then acknowledge it."""
    fields = {k: data.get(k, "") for k in ("given_name", "family_name", "email", "school")}
    record = Registration.objects.create(
        program=target if isinstance(target, ProgramPage) else None,
        event=target if isinstance(target, EventPage) else None,
        what=target.title,
        grade_level=data.get("grade_level", ""),
        language=language,
        **fields,
    )
    try:
        with translation.override(language):
            mail.send_mail(
                subject=_("We received your registration: %(what)s") % {"what": target.title},
                message=render_to_string(
                    "portal/email/registration.txt", {"r": record, "url": target.get_full_url()}
                ),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[record.email],
            )
    except Exception as exc:  # the registration is kept; the office can still reply
        log.warning("registration %s not acknowledged: %s", record.pk, exc)
    return record


# ------------------------------------------------------------------------------ policies

#: Reminders go this many days before a review is due (0: on the day, and after it).
REMINDER_DAYS: Sequence[int] = (60, 30, 7, 0)


def policy_reminders_send(*, today: dt.date | None = None) -> list[PolicyReminder]:
    """E-mail each policy owner once per lead time before (and once on or after) the due date."""
    today = today or timezone.localdate()
    sent: list[PolicyReminder] = []
    policies = (
        StandardPage.objects.filter(review_cycle_months__isnull=False, last_reviewed__isnull=False)
        .exclude(policy_owner=None)
        .select_related("policy_owner")
    )
    for page in policies:
        due = page.next_review_due
        owner = page.policy_owner
        if due is None or owner is None or not owner.email:
            continue
        days_left = (due - today).days
        # The smallest lead time already reached, so a late run sends one reminder, not four.
        reached = [d for d in REMINDER_DAYS if days_left <= d]
        if not reached:
            continue
        lead = min(reached)
        with transaction.atomic():
            reminder, created = PolicyReminder.objects.get_or_create(
                page=page, due_on=due, days_before=lead, defaults={"email": owner.email}
            )
            if not created:
                continue
            context = {
                "page": page,
                "due": due,
                "days_left": days_left,
                "edit_url": absolute(reverse("wagtailadmin_pages:edit", args=[page.pk])),
                "page_url": page.get_full_url(),
            }
            mail.send_mail(
                subject=_("Policy review due %(date)s: %(title)s")
                % {"date": due.isoformat(), "title": page.title},
                message=render_to_string("portal/email/policy_reminder.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[owner.email],
            )
        sent.append(reminder)
    return sent
