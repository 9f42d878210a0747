"""``ristra snapshot``: export the analytics snapshot (a DuckDB file) for the measures."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ristra.people.snapshot import snapshot_frames, snapshot_write
from ristra.reports.services import category_set


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of takes a date as YYYY-MM-DD, not {text!r}") from None


class Command(BaseCommand):
    help = (
        "Export the analytics snapshot: stages, latest self-identification answers and "
        "derived categories, written atomically into a DuckDB file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="The DuckDB file to write (default: the one the dashboards read).",
        )
        parser.add_argument(
            "--as-of",
            default=None,
            metavar="YYYY-MM-DD",
            help="Only stages begun and answers given on or before this date (default: all).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = options["out"] or Path(settings.RISTRA_SNAPSHOT_PATH)
        as_of = _date(options["as_of"]) if options["as_of"] else None
        started = time.perf_counter()
        from ristra.reports import dashboards

        frames = snapshot_frames(as_of=as_of, category_set=category_set())
        path = snapshot_write(out, frames, statements=dashboards.dashboard_queries)
        seconds = time.perf_counter() - started
        if path == Path(settings.RISTRA_SNAPSHOT_PATH):
            dashboards.forget_cached()
        for table, count in frames.counts().items():
            self.stdout.write(f"{table}: {count:,} rows")
        self.stdout.write(f"persons: {frames.persons:,}")
        cut = as_of.isoformat() if as_of else "none"
        self.stdout.write(
            self.style.SUCCESS(f"Snapshot written to {path} (as of: {cut}) in {seconds:.1f} s")
        )
