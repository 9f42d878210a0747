"""``manage.py newsletter_send ISSUE_ID``: send (or resume sending) a newsletter issue."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ristra.portal.models import NewsletterIssuePage
from ristra.portal.services import newsletter_send


class Command(BaseCommand):
    help = (
        "Send a published newsletter issue to every confirmed subscriber, in batches. Safe to "
        "run again: nobody already sent to gets a second copy; failed sends are retried."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("issue_id", type=int)
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        issue = NewsletterIssuePage.objects.live().filter(pk=options["issue_id"]).first()
        if issue is None:
            raise CommandError("No published newsletter issue has that id.")
        result = newsletter_send(issue=issue, batch_size=options["batch_size"])
        self.stdout.write(
            f"Sent {result.sent}, failed {result.failed}, still to send {result.remaining}."
        )
