"""``ristra training_reminders``: e-mail everyone overdue for a required training."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ristra.plans.services import training_reminders_send


class Command(BaseCommand):
    help = (
        "E-mail everyone overdue for a required training (at most once a week each; people "
        "without an e-mail identifier are counted, not mailed). Run it daily from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, send nothing.")
        parser.add_argument("--on", default=None, metavar="YYYY-MM-DD", help="As of this date.")

    def handle(self, *args: Any, **options: Any) -> None:
        on = None
        if options["on"]:
            try:
                on = dt.date.fromisoformat(options["on"])
            except ValueError:
                raise CommandError(
                    f"expected a date as YYYY-MM-DD, not {options['on']!r}"
                ) from None
        result = training_reminders_send(on=on, dry_run=options["dry_run"])
        verb = "Would send" if options["dry_run"] else "Sent"
        self.stdout.write(
            f"{verb} {result.sent} reminders; {result.no_email} overdue people have no e-mail "
            f"address; {result.recently_reminded} were reminded in the last week."
        )
