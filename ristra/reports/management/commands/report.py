"""``ristra report``: a standard report or a dashboard, written as CSV, XLSX, PDF or JSON."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ristra.reports import catalog
from ristra.reports import dashboards as d

FORMATS = ("csv", "xlsx", "pdf", "json")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"expected a date as YYYY-MM-DD, not {text!r}") from None


class Command(BaseCommand):
    help = (
        "Write a standard report (or a population's dashboard as 'dashboard-<population>') "
        "as CSV, XLSX, PDF or JSON. Every number is protected by small-cell suppression."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help="The report (see --list).")
        parser.add_argument("--list", action="store_true", help="List the reports and exit.")
        parser.add_argument("--format", choices=FORMATS, default=None, help="Output format.")
        parser.add_argument("--out", type=Path, default=None, help="The file to write.")
        parser.add_argument(
            "--year", type=int, default=None, help="The last academic year (e.g. 2025 = 2025-26)."
        )
        parser.add_argument("--years", type=int, default=10, help="How many academic years.")
        parser.add_argument("--as-of", default=None, metavar="YYYY-MM-DD", help="Census date.")
        parser.add_argument("--population", choices=list(d.POPULATIONS), default=None)
        parser.add_argument(
            "--convention",
            default=None,
            help="Count by: a counting convention (ipeds, spd15_multiracial, ...), 'sex', or "
            "'school:<category key>'.",
        )
        parser.add_argument(
            "--category-version",
            default=None,
            metavar="YYYY-MM-DD",
            help="Use the school's category definitions in effect on this date.",
        )
        parser.add_argument(
            "--min-cell",
            type=int,
            default=None,
            help=f"Smallest count published (default {settings.RISTRA_MIN_CELL}; never lower).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for key, definition in catalog.REPORTS.items():
                self.stdout.write(f"{key:28} {definition.title}")
            for key, spec in d.POPULATIONS.items():
                self.stdout.write(f"{'dashboard-' + key:28} {spec.label} dashboard")
            return
        name = options["name"]
        if not name:
            raise CommandError("name a report, or use --list to see them")
        if not options["format"] or not options["out"]:
            raise CommandError("--format and --out are required")
        if name.startswith("dashboard-"):
            population = name.removeprefix("dashboard-")
            if population not in d.POPULATIONS:
                raise CommandError(f"there is no population {population!r}; see --list")
        elif name in catalog.REPORTS:
            population = catalog.REPORTS[name].population
        else:
            raise CommandError(f"there is no report {name!r}; see --list")
        population = options["population"] or population
        try:
            source = d.open_snapshot()
        except d.NoSnapshot:
            raise CommandError(
                "there is no analytics snapshot yet: run `ristra snapshot` or import a file"
            ) from None
        filters = d.default_filters(population, snapshot=source)
        changes: dict[str, Any] = {"min_cell": settings.RISTRA_MIN_CELL}
        if options["as_of"]:
            changes["as_of"] = _date(options["as_of"])
        if options["year"]:
            changes["last_year"] = options["year"]
        last = changes.get("last_year", filters.last_year)
        if options["years"] < 1 or options["years"] > 30:
            raise CommandError("--years must be between 1 and 30")
        changes["first_year"] = last - options["years"] + 1
        if options["convention"]:
            valid = [value for value, _ in d.dimension_choices(source, population)]
            if options["convention"] not in valid:
                raise CommandError(
                    f"cannot count by {options['convention']!r}; choose one of {', '.join(valid)}"
                )
            changes["dimension"] = options["convention"]
        if options["category_version"]:
            changes["version"] = _date(options["category_version"])
        if options["min_cell"] is not None:
            if options["min_cell"] < settings.RISTRA_MIN_CELL:
                raise CommandError(
                    f"--min-cell cannot be below the school's threshold "
                    f"({settings.RISTRA_MIN_CELL})"
                )
            changes["min_cell"] = options["min_cell"]
        filters = replace(filters, **changes)
        if name.startswith("dashboard-"):
            report = d.build_dashboard(filters, source=source)
        else:
            report = catalog.build(name, filters, source=source)
        from ristra.reports.render import render

        content, _, _ = render(report, options["format"])
        out: Path = options["out"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(content)
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {report.title} to {out} ({len(content):,} bytes)")
        )
