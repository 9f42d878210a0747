"""Memory benchmark: a 1,000,000-row faculty export imported with bounded memory.

Imports the file as `ristra import faculty FILE` does (one pass, chunks of 20,000 rows,
one transaction) into a fresh SQLite database and prints the peak resident memory of the
process, against the 1.5 GiB target. For comparison, it first measures what merely loading
the same file into memory with pandas' read_csv (the usual first step of a hand-written
import script) costs, when pandas is installed.

The analytics snapshot refresh that a commit enqueues runs in the background worker, a
separate process in production: the import is measured without it, and the refresh is then
run as its own process (`ristra snapshot`) and its peak memory printed on a separate line.

    .venv/bin/python bench/import_million.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from _setup import database_label, django_on_fresh_database
from generate import write_faculty_export


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pandas_load_peak(path: Path) -> str:
    code = (
        "import resource, sys\n"
        "try:\n    import pandas as pd\nexcept ImportError:\n    print('n/a'); sys.exit()\n"
        f"pd.read_csv({str(path)!r}, dtype=str)\n"
        "print(round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    return out.stdout.strip() or "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run on PostgreSQL (server URL, e.g. postgres://postgres@127.0.0.1:5432/postgres)",
    )
    args = parser.parse_args()
    os.environ["RISTRA_SNAPSHOT_AFTER_IMPORT"] = "False"  # the worker's job, measured below
    workdir = django_on_fresh_database(args.postgres)
    path = write_faculty_export(workdir / "faculty.csv", args.rows)
    baseline = peak_rss_mib()
    from ristra.people import services

    started = time.perf_counter()
    batch = services.batch_upload_path(user=None, kind="faculty", path=path)
    batch = services.batch_commit(batch=batch, user=None, checked=False)
    elapsed = time.perf_counter() - started
    peak = peak_rss_mib()
    print(f"file: {args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB, {database_label()}")
    print(
        f"ristra import: {batch.rows_inserted:,} inserted, {batch.rows_rejected:,} rejected "
        f"in {elapsed:.1f} s ({batch.rows_total / elapsed:,.0f} rows/s)"
    )
    print(
        f"peak RSS: {peak:,.0f} MiB (before import {baseline:,.0f} MiB); target < 1,536 MiB: "
        f"{'met' if peak < 1536 else 'NOT met'}"
    )
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(Path(__file__).resolve().parent.parent / "manage.py"), "snapshot"],
        check=True,
        capture_output=True,
        env=dict(os.environ),
    )
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"then the snapshot refresh (the worker, a separate process): "
        f"{time.perf_counter() - started:.1f} s, peak RSS {child_peak:,.0f} MiB"
    )
    print(f"pandas.read_csv of the same file alone, peak RSS (MiB): {pandas_load_peak(path)}")


if __name__ == "__main__":
    main()
