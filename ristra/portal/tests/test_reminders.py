"""Policy owners are reminded before a review is due, once per lead time."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

from django.core import mail
from django.core.management import call_command

from ristra.portal.models import PolicyReminder, StandardPage
from ristra.portal.services import policy_reminders_send


def _statement(cast: dict[str, Any]) -> StandardPage:
    page = StandardPage.objects.get(slug="diversity-statement", locale__language_code="en")
    page.policy_owner = cast["admin"]
    page.last_reviewed = dt.date(2025, 3, 14)  # due 2027-03-14
    page.save()
    StandardPage.objects.filter(review_cycle_months__isnull=False).exclude(pk=page.pk).update(
        review_cycle_months=None
    )
    return page


def test_nothing_is_sent_long_before_the_due_date(portal: Any, cast: dict[str, Any]) -> None:
    _statement(cast)
    assert policy_reminders_send(today=dt.date(2026, 11, 1)) == []
    assert mail.outbox == []


def test_the_owner_is_reminded_once_per_lead_time(portal: Any, cast: dict[str, Any]) -> None:
    page = _statement(cast)
    assert page.next_review_due == dt.date(2027, 3, 14)
    (first,) = policy_reminders_send(today=dt.date(2027, 1, 13))  # 60 days before
    assert first.days_before == 60
    assert policy_reminders_send(today=dt.date(2027, 1, 20)) == []  # not again
    (second,) = policy_reminders_send(today=dt.date(2027, 2, 12))  # 30 days
    assert second.days_before == 30
    assert [m.to for m in mail.outbox] == [["alice@example.org"], ["alice@example.org"]]
    assert "Diversity statement" in mail.outbox[0].subject
    assert f"/cms/pages/{page.pk}/edit/" in mail.outbox[0].body


def test_a_late_run_sends_one_reminder_not_several(portal: Any, cast: dict[str, Any]) -> None:
    _statement(cast)
    sent = policy_reminders_send(today=dt.date(2027, 3, 20))  # overdue, first run
    assert [r.days_before for r in sent] == [0]
    assert "was due for review" in mail.outbox[0].body


def test_a_new_review_starts_a_new_cycle(portal: Any, cast: dict[str, Any]) -> None:
    page = _statement(cast)
    policy_reminders_send(today=dt.date(2027, 3, 10))
    # Reviewed on 2027-03-12 (written directly: that date is in the future of the test run).
    StandardPage.objects.filter(pk=page.pk).update(last_reviewed=dt.date(2027, 3, 12))
    assert policy_reminders_send(today=dt.date(2027, 3, 20)) == []
    assert PolicyReminder.objects.count() == 1


def test_the_command_reports_what_it_sent(portal: Any, cast: dict[str, Any]) -> None:
    _statement(cast)
    out = StringIO()
    call_command("portal_reminders", "--today", "2027-03-08", stdout=out)
    assert "alice@example.org" in out.getvalue()
    assert "1 reminder(s) sent." in out.getvalue()
