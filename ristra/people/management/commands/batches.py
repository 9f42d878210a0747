from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ristra.people.models import ImportBatch


class Command(BaseCommand):
    help = "List import batches, newest first, with their status and row counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=20)

    def handle(self, *args: Any, **options: Any) -> None:
        for b in ImportBatch.objects.all()[: options["limit"]]:
            self.stdout.write(
                f"#{b.pk:<5} {b.created_at:%Y-%m-%d %H:%M}  {b.kind:<10} {b.status:<12} "
                f"rows={b.rows_total} inserted={b.rows_inserted} updated={b.rows_updated} "
                f"unchanged={b.rows_unchanged} rejected={b.rows_rejected}  {b.filename}"
            )
