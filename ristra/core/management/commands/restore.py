"""ristra restore: read a backup archive into an empty instance."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ristra.core.backup import BackupError, backup_restore, backup_verify


class Command(BaseCommand):
    help = (
        "Restore an archive written by 'ristra backup' into an empty instance (a new, "
        "empty database; it is migrated first). Refuses a database that already holds "
        "data. All or nothing: on any problem nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="Only check the archive's checksums; write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["archive"]
        if not source.is_file():
            raise CommandError(f"No such file: {source}")
        started = time.perf_counter()
        try:
            if options["verify_only"]:
                manifest = backup_verify(source=source)
            else:
                manifest = backup_restore(source=source)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(t["rows"] for t in manifest.tables.values())
        done = "Verified" if options["verify_only"] else "Restored"
        self.stdout.write(
            f"{done} {source}: {rows} rows in {len(manifest.tables)} tables from "
            f"{manifest.database_vendor}, written {manifest.created_at}, "
            f"in {time.perf_counter() - started:.1f} s."
        )
