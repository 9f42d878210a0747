from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.dateparse import parse_date

from ristra.audit.selectors import audit_search


class Command(BaseCommand):
    help = "Search the audit log (newest first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--actor", default="", help="username")
        parser.add_argument("--action", default="", help="view, search, export, import, ...")
        parser.add_argument("--person", type=int, help="person id the entry concerns")
        parser.add_argument("--text", default="")
        parser.add_argument("--from", dest="date_from", default="", help="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", default="", help="YYYY-MM-DD")
        parser.add_argument("--limit", type=int, default=50)

    def handle(self, *args: Any, **options: Any) -> None:
        events = audit_search(
            actor=options["actor"],
            action=options["action"],
            person_id=options["person"],
            text=options["text"],
            date_from=parse_date(options["date_from"] or ""),
            date_to=parse_date(options["date_to"] or ""),
        )[: options["limit"]]
        for e in events:
            self.stdout.write(
                f"{e.at:%Y-%m-%d %H:%M:%S}  {e.actor_name:<12} {e.action:<8} {e.summary}"
                + (f"  [{e.reason}]" if e.reason else "")
            )
