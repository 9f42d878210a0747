"""The background worker: recover what a stopped worker left, then run django-tasks-db's loop."""

from __future__ import annotations

import logging
from typing import Any

from django.db import OperationalError
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

logger = logging.getLogger("ristra.worker")


def recover_interrupted_work() -> list[int]:
    """Mark imports a killed worker left half-way as failed (nothing of them was written)."""
    from ristra.people.services import batch_recover_interrupted

    try:
        recovered = batch_recover_interrupted()
    except OperationalError as exc:  # SQLite still busy with a live import: leave it
        logger.warning("Skipped recovering interrupted imports: %s", exc)
        return []
    for batch_id in recovered:
        logger.warning(
            "Import batch %s was interrupted by a stopped worker; marked failed, nothing written",
            batch_id,
        )
    return recovered


class Command(DbWorkerCommand):
    help = (
        "Run the background worker (imports, snapshot refreshes, newsletters). On start it "
        "marks imports a stopped worker left half-way as failed: nothing of them was written."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        recovered = recover_interrupted_work()
        if recovered and options.get("verbosity", 1) > 0:
            self.stderr.write(
                f"Marked {len(recovered)} interrupted import batch(es) failed: "
                + ", ".join(f"#{pk}" for pk in recovered)
            )
        super().handle(*args, **options)
