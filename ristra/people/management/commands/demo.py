"""``manage.py demo``: load the fictional demo school, or write its sample export files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ristra.people.demo import (
    DEMO_SEED,
    SCALES,
    DemoRefused,
    build_demo_school,
    database_has_people_data,
    summary_text,
)
from ristra.reports.demo import seed_definitions
from ristra.reports.services import snapshot_refresh


class Command(BaseCommand):
    help = (
        "Build the fictional 'Sangre de Cristo School of Medicine' (deterministic): ten "
        "admissions cycles, students, residents and fellows, faculty, staff, and demo accounts. "
        "With --exports DIR, write sample HR and admissions export files instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds people data (used by 'make run').",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete every person and organisational unit first, then load the demo.",
        )
        parser.add_argument(
            "--seed", type=int, default=DEMO_SEED, help=f"Random seed (default {DEMO_SEED})."
        )
        parser.add_argument(
            "--scale",
            choices=SCALES,
            default="full",
            help="'full' (about 27,000 people, the default) or 'small' (for tests).",
        )
        parser.add_argument(
            "--exports",
            metavar="DIR",
            type=Path,
            help="Write the sample export files to DIR; the database is not touched.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["exports"] is not None:
            from ristra.people.demo_exports import write_demo_exports

            paths = write_demo_exports(
                options["exports"], seed=options["seed"], scale=options["scale"]
            )
            self.stdout.write("Wrote the sample export files and their mapping profiles:")
            for path in paths:
                self.stdout.write(f"  {path}")
            return
        if database_has_people_data():
            if options["if_empty"]:
                self.stdout.write(
                    "The database already holds people data: the demo school was not loaded."
                )
                return
            if not options["replace"]:
                raise CommandError(
                    "The database already holds people data, and the demo would mix with it. "
                    "Run 'demo --replace' to delete every person and organisational unit and "
                    "load the demo instead, or 'demo --if-empty' to leave the database as it is."
                )
        try:
            summary = build_demo_school(
                seed=options["seed"],
                scale=options["scale"],
                stdout=self.stdout,
                replace=options["replace"],
            )
        except DemoRefused as exc:  # another process loaded data meanwhile
            raise CommandError(str(exc)) from exc
        seeded = seed_definitions()
        self.stdout.write(
            f"Demo definitions: {seeded.categories_created} category versions added"
            + (", the sample benchmark loaded." if seeded.benchmark_created else ".")
        )
        from ristra.mentoring.demo import seed_mentoring

        seed_mentoring(stdout=self.stdout, replace=options["replace"])
        from ristra.pathways.demo import seed_pathways

        seed_pathways(stdout=self.stdout, replace=options["replace"])
        from ristra.surveys.demo import seed_surveys

        seed_surveys(stdout=self.stdout, replace=options["replace"])
        self.stdout.write("Refreshing the analytics snapshot...")
        snapshot_refresh(reason="demo school loaded")
        from ristra.portal.demo import seed_portal

        seed_portal()
        from ristra.plans.demo import seed_plans

        seed_plans(stdout=self.stdout, replace=options["replace"])
        self.stdout.write(
            "Public site: http://127.0.0.1:8000/ (edit it at /cms/); staff application: http://127.0.0.1:8000/office/"
        )
        self.stdout.write(self.style.SUCCESS(summary_text(summary)))
