"""``ristra link``: link pathway participants to later records of the same people."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ristra.pathways.models import Cohort, LinkRun, LinkRunStatus, PathwayProgram


class Command(BaseCommand):
    help = (
        "Link a pathway program's (or one cohort's) consenting participants to the person "
        "record: identifiers first, then probabilistic linkage. Decisions made in the review "
        "queue are kept. Prints how many were linked and how many wait for review."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cohort",
            action="append",
            default=[],
            metavar="PROGRAM:YEAR",
            help="A cohort as program-slug:year (repeatable).",
        )
        parser.add_argument(
            "--program",
            action="append",
            default=[],
            metavar="SLUG",
            help="Every cohort of a program.",
        )
        parser.add_argument("--all", action="store_true", help="Every program.")

    def handle(self, *args: Any, **options: Any) -> None:
        from ristra.pathways.services import link_run_execute

        targets: list[tuple[PathwayProgram, Cohort | None]] = []
        for text in options["cohort"]:
            slug, _, year = text.partition(":")
            if not year.isdigit():
                raise CommandError(
                    f"--cohort takes PROGRAM:YEAR (e.g. summer-scholars:2019), not {text!r}"
                )
            cohort = (
                Cohort.objects.select_related("program")
                .filter(program__slug=slug, year=int(year))
                .first()
            )
            if cohort is None:
                raise CommandError(f"there is no cohort {year} of a program {slug!r}")
            targets.append((cohort.program, cohort))
        for slug in options["program"]:
            program = PathwayProgram.objects.filter(slug=slug).first()
            if program is None:
                known = ", ".join(PathwayProgram.objects.values_list("slug", flat=True)) or "none"
                raise CommandError(f"there is no program {slug!r} (programs: {known})")
            targets.append((program, None))
        if options["all"]:
            targets += [(p, None) for p in PathwayProgram.objects.order_by("name")]
        if not targets:
            raise CommandError("name a --cohort, a --program, or use --all")
        failed = False
        for program, cohort in targets:
            run = LinkRun.objects.create(program=program, cohort=cohort)
            run = link_run_execute(run=run)
            what = str(cohort) if cohort else program.name
            if run.status != LinkRunStatus.DONE:
                failed = True
                self.stderr.write(f"{what}: {run.error}")
                continue
            self.stdout.write(
                f"{what}: {run.participants} participants against {run.records} records: "
                f"{run.linked} linked, {run.to_review} to review ({run.seconds:.2f} s)"
            )
            for note in run.notes:
                self.stdout.write(f"  {note}")
        if failed:
            raise CommandError("some runs failed; nothing was changed for them")
