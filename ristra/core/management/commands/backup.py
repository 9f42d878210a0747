"""ristra backup: one archive of the database, the uploaded files and the snapshot."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from ristra.core.backup import backup_write


class Command(BaseCommand):
    help = (
        "Write one archive (tar.gz) holding the database, the uploaded files (MEDIA_ROOT) "
        "and the analytics snapshot, with a manifest of checksums. Restore it with "
        "'ristra restore'. The site can stay up while it runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            "-o",
            type=Path,
            help="Archive to write (default: var/backups/ristra-YYYYMMDD-HHMMSS.tar.gz).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target: Path = options["output"] or (
            Path(settings.VAR_DIR) / "backups" / f"ristra-{timezone.now():%Y%m%d-%H%M%S}.tar.gz"
        )
        started = time.perf_counter()
        manifest = backup_write(target=target)
        rows = sum(t["rows"] for t in manifest.tables.values())
        files = sum(1 for name in manifest.files if not name.startswith("db/"))
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Wrote {target} ({target.stat().st_size / 1e6:.1f} MB): {rows} rows in "
            f"{len(manifest.tables)} tables, {files} files, in {seconds:.1f} s."
        )
