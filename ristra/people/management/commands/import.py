"""ristra import KIND FILE [--profile P] [--dry-run]: the command-line importer.

Exit codes: 0 every row valid; 1 some rows rejected; 2 the file or profile is unusable.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ristra.analytics.importspec import KINDS
from ristra.analytics.profiles import ProfileError, load_profile
from ristra.audit.models import Action
from ristra.audit.services import audit_record
from ristra.core.exports import csv_bytes
from ristra.people import selectors, services
from ristra.people.models import BatchStatus, MappingProfile


class Command(BaseCommand):
    help = (
        "Import a CSV or XLSX export. Every row is checked first; with --dry-run nothing is "
        "written to the person record. Rejected rows are written to a CSV report. "
        "Exit code 0: all rows valid; 1: some rows rejected; 2: unusable file or profile."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help="what the file contains")
        parser.add_argument("file", type=Path, help="the CSV or XLSX file")
        parser.add_argument(
            "--profile",
            help="a mapping profile: a YAML file, or the name of a profile saved in Ristra",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report; write nothing"
        )
        parser.add_argument("--source", default="", help="source label for self-identification")
        parser.add_argument(
            "--report",
            type=Path,
            help="where to write the rejected rows (default: FILE.rejected.csv beside the file)",
        )
        parser.add_argument("--as-user", default="", help="username recorded as the importer")

    def fail(self, message: str) -> None:
        self.stderr.write(self.style.ERROR(message))
        sys.exit(2)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            self.fail(f"There is no file at {path}.")
        profile_obj: MappingProfile | None = None
        profile_yaml = ""
        if options["profile"]:
            candidate = Path(options["profile"])
            if candidate.is_file():
                profile_yaml = candidate.read_text(encoding="utf-8")
            else:
                profile_obj = MappingProfile.objects.filter(name=options["profile"]).first()
                if profile_obj is None:
                    self.fail(f"'{options['profile']}' is neither a YAML file nor a saved profile.")
                    return
                profile_yaml = profile_obj.yaml
            try:
                profile = load_profile(profile_yaml)
            except ProfileError as exc:
                self.fail("The mapping profile has problems: " + " ".join(exc.messages))
                return
            if profile.kind != options["kind"]:
                self.fail(f"The profile is for {profile.kind} imports, not {options['kind']}.")
        user = None
        if options["as_user"]:
            from ristra.accounts.models import User

            user = User.objects.filter(username=options["as_user"]).first()
        batch = services.batch_upload_path(
            user=user,
            kind=options["kind"],
            path=path,
            profile=profile_obj,
            profile_yaml=profile_yaml,
            source_label=options["source"],
        )
        if options["dry_run"]:
            batch = services.batch_check(batch=batch)
        else:
            # Check and commit in one pass: the valid rows are written, the rest reported.
            batch = services.batch_commit(batch=batch, user=user, checked=False)
        if batch.status == BatchStatus.UNUSABLE:
            self.fail(f"{path.name}: {batch.error}")
        if batch.status != BatchStatus.COMMITTED and not options["dry_run"]:
            self.fail(f"Nothing was written: {batch.error}")
        for note in batch.file_notes:
            self.stdout.write(f"note: {note}")
        plan = batch.plan
        self.stdout.write(
            f"{path.name}: {batch.rows_total} rows checked: {plan.get('insert', 0)} new, "
            f"{plan.get('update', 0)} to update, {plan.get('unchanged', 0)} unchanged, "
            f"{batch.rows_rejected} rejected."
        )
        if plan.get("new_units"):
            self.stdout.write("new units: " + ", ".join(plan["new_units"]))
        if options["dry_run"]:
            self.stdout.write(f"Dry run: nothing was written (batch #{batch.pk} kept the file).")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Committed as batch #{batch.pk}: {batch.rows_inserted} inserted, "
                    f"{batch.rows_updated} updated, {batch.rows_unchanged} unchanged, "
                    f"{batch.rows_rejected} rejected. Undo with 'ristra rollback {batch.pk}'."
                )
            )
        if batch.rows_rejected:
            report = options["report"] or path.with_name(path.name + ".rejected.csv")
            headers, rows = selectors.rejected_rows(batch)
            report.write_bytes(csv_bytes(headers, rows))
            audit_record(
                actor=user,
                action=Action.EXPORT,
                object_type="import_batch",
                object_id=batch.pk,
                summary=f"Wrote {len(rows)} rejected rows of import #{batch.pk} to {report}",
                reason="command-line import report",
            )
            for problem in batch.problems.all()[:20]:
                self.stdout.write(f"  {problem.message}")
            if batch.rows_rejected > 20:
                self.stdout.write(f"  ... and more: see {report}")
            self.stdout.write(f"Rejected rows with their reasons: {report}")
            sys.exit(1)
