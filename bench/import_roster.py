"""Import benchmark: Ristra's importer against django-import-export, in one run.

Generates a faculty/HR export (100,000 rows by default), imports it with Ristra as
`ristra import faculty FILE` does (read, validate, plan, commit with the row ledger,
people, identifiers, appointments and self-identification answers) into a fresh SQLite
database, then runs django-import-export's
ModelResource in bulk mode on the first 10,000 rows of the same file (its rate is steady,
and the full file would take minutes). Prints rows/s for both and the ratio.

    .venv/bin/python bench/import_roster.py [--rows 100000] [--anchor-rows 10000]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from _setup import database_label, django_on_fresh_database
from generate import write_faculty_export


def ristra_import(path: Path) -> tuple[float, int]:
    from ristra.people import services
    from ristra.people.models import BatchStatus

    started = time.perf_counter()
    batch = services.batch_upload_path(user=None, kind="faculty", path=path)
    # What `ristra import faculty FILE` does: validate and commit in one pass.
    batch = services.batch_commit(batch=batch, user=None, checked=False)
    elapsed = time.perf_counter() - started
    assert batch.status == BatchStatus.COMMITTED, batch.error
    return elapsed, batch.rows_inserted


def snapshot_refresh() -> float:
    """The analytics snapshot refresh a commit enqueues (a background task in production)."""
    from ristra.reports.services import snapshot_refresh

    started = time.perf_counter()
    snapshot_refresh(reason="benchmark")
    return time.perf_counter() - started


def anchor_import(path: Path, rows: int, *, tuned: bool) -> tuple[float, int]:
    """django-import-export, ModelResource, bulk mode, into the same person table.

    ``tuned`` adds skip_diff and force_init_instance, its documented speed-ups that give up
    the per-row diff and the lookup of existing rows (so it no longer upserts).
    """
    import tablib
    from import_export import fields, resources

    from ristra.people.models import Person

    class PersonResource(resources.ModelResource):
        given_name = fields.Field(attribute="given_name", column_name="First Name")
        family_name = fields.Field(attribute="family_name", column_name="Last Name")
        birth_date = fields.Field(attribute="birth_date", column_name="Date of Birth")

        class Meta:
            model = Person
            fields = ("id", "given_name", "family_name", "birth_date")
            # Upsert on a unique key, as Ristra does on identifiers (the row's own id here).
            import_id_fields = ("id",)
            use_bulk = True
            batch_size = 1000
            skip_diff = tuned
            force_init_instance = tuned

    text = path.read_text(encoding="utf-8").splitlines()
    data = tablib.Dataset().load("\n".join(text[: rows + 1]), format="csv")
    data.append_col(list(range(1, data.height + 1)), header="id")
    started = time.perf_counter()
    result = PersonResource().import_data(data, dry_run=False, raise_errors=True)
    elapsed = time.perf_counter() - started
    Person.objects.all().delete()  # leave the table empty for the next contender
    return elapsed, result.totals["new"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--anchor-rows", type=int, default=10_000)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run on PostgreSQL (server URL, e.g. postgres://postgres@127.0.0.1:5432/postgres)",
    )
    args = parser.parse_args()
    # The commit enqueues a snapshot refresh that the worker runs after it; the benchmark's
    # tasks run inline, so it is timed on its own below instead of inside the import.
    os.environ["RISTRA_SNAPSHOT_AFTER_IMPORT"] = "False"
    workdir = django_on_fresh_database(args.postgres)
    path = write_faculty_export(workdir / "faculty.csv", args.rows)
    a_time, a_rows = anchor_import(path, args.anchor_rows, tuned=False)
    t_time, t_rows = anchor_import(path, args.anchor_rows, tuned=True)
    r_time, r_rows = ristra_import(path)
    s_time = snapshot_refresh()
    r_rate, a_rate, t_rate = r_rows / r_time, a_rows / a_time, t_rows / t_time
    print(f"file: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB, {database_label()}")
    print(
        f"ristra import (validate + commit): {r_rows:,} rows in {r_time:.2f} s = "
        f"{r_rate:,.0f} rows/s"
    )
    print(f"then the analytics snapshot refresh (background task, not counted): {s_time:.2f} s")
    print(
        f"django-import-export ModelResource (bulk): {a_rows:,} rows in {a_time:.2f} s = "
        f"{a_rate:,.0f} rows/s"
    )
    print(
        f"django-import-export, tuned (skip_diff, force_init_instance, no upsert): "
        f"{t_rows:,} rows in {t_time:.2f} s = {t_rate:,.0f} rows/s"
    )
    print(
        f"ratio against bulk mode: {r_rate / a_rate:.1f}x; against tuned: {r_rate / t_rate:.1f}x"
        "  (targets: >= 20x bulk mode and >= 20,000 rows/s)"
    )


if __name__ == "__main__":
    main()
