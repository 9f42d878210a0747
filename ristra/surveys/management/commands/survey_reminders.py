"""``ristra survey_reminders``: remind everyone who has not answered an open survey."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ristra.surveys.services import reminders_send


class Command(BaseCommand):
    help = (
        "Send a reminder to every invited person who has not answered an open survey "
        "(at most --limit reminders each). The office never learns what anyone answered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=3, help="Most reminders per person.")

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders_send(limit=options["limit"])
        self.stdout.write(self.style.SUCCESS(f"Sent {sent} reminder(s)."))
