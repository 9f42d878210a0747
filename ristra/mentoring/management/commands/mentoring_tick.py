"""``ristra mentoring_tick``: the daily time checks of mentoring (run it from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ristra.mentoring.services import (
    connections_remind_follow_up,
    pairs_remind,
    requests_expire,
)


class Command(BaseCommand):
    help = (
        "Pass on self-match requests whose mentor did not answer in time, and remind pairs "
        "that are due a check-in (at most once per check-in period), and ask volunteers "
        "once whether a one-time connection met."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        expired = requests_expire()
        reminded = pairs_remind()
        asked = connections_remind_follow_up()
        self.stdout.write(
            f"Requests passed on: {expired}; pairs reminded: {reminded}; "
            f"connection follow-ups asked: {asked}"
        )
