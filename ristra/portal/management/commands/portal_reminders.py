"""``manage.py portal_reminders``: e-mail policy owners whose review is coming due."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ristra.portal.services import REMINDER_DAYS, policy_reminders_send


class Command(BaseCommand):
    help = (
        "Remind each policy's owner by e-mail {} days before its review is due, and once "
        "when it is overdue. Run daily (cron or a systemd timer); each reminder goes once."
    ).format(", ".join(str(d) for d in REMINDER_DAYS if d))

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, help="Pretend today is this date (YYYY-MM-DD)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = policy_reminders_send(today=options["today"])
        for reminder in sent:
            self.stdout.write(
                f"Reminded {reminder.email}: '{reminder.page.title}' due {reminder.due_on}"
            )
        self.stdout.write(f"{len(sent)} reminder(s) sent.")
