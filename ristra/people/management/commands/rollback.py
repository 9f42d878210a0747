from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ristra.people import services
from ristra.people.models import ImportBatch


class Command(BaseCommand):
    help = "Roll back a committed import batch: restore what it changed, remove what it added."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("batch", type=int, help="the batch number (see 'ristra batches')")

    def handle(self, *args: Any, **options: Any) -> None:
        batch = ImportBatch.objects.filter(pk=options["batch"]).first()
        if batch is None:
            self.stderr.write(self.style.ERROR(f"There is no batch #{options['batch']}."))
            sys.exit(2)
        try:
            services.batch_rollback(batch=batch, user=None)
        except services.ImportRefused as exc:
            self.stderr.write(self.style.ERROR(str(exc)))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(f"Batch #{batch.pk} ({batch.filename}) rolled back."))
