"""A worker killed with SIGKILL in the middle of a commit leaves the batch complete or absent.

This runs the real thing: a fresh SQLite instance in a temporary directory, a real
``ristra worker`` subprocess committing a large import, SIGKILL half-way, then a restart.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache.backends.filebased import FileBasedCache

from ristra.people.importer import CHUNK_ROWS

ROOT = Path(__file__).resolve().parents[3]
# Five chunks: the kill comes after the second or a later one, with seconds to spare.
ROWS = 5 * CHUNK_ROWS

QUEUE = f"""
from pathlib import Path
from bench.generate import write_faculty_export
from ristra.people import services
path = write_faculty_export(Path({{var!r}}) / "faculty.csv", {ROWS})
batch = services.batch_upload_path(user=None, kind="faculty", path=path)
batch = services.batch_check(batch=batch)
assert batch.status == "validated", batch.error
batch = services.batch_commit_in_background(batch=batch, user=None)
print("BATCH", batch.pk, batch.status)
"""

# Tables the kill and the recovery may legitimately change.
BOOKKEEPING = {"people_importbatch", "audit_auditevent", "django_tasks_db_dbtaskresult"}


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"}
    env.update(
        RISTRA_VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'ristra.sqlite3'}",
        RISTRA_TASKS="database",
        RISTRA_BACKGROUND_IMPORT_ROWS="0",
        RISTRA_SNAPSHOT_AFTER_IMPORT="false",
        DJANGO_SETTINGS_MODULE="ristra.settings",
    )
    return env


def _manage(var: Path, *args: str, timeout: int = 600) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(var),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608


def _progress(var: Path, pk: int) -> int:
    """Rows the running import has reported done (the progress bar's cache, a directory)."""
    cache = FileBasedCache(str(var / "progress"), {})
    return int(cache.get(f"import-progress-{pk}") or 0)


def _batch(db: Path, pk: int) -> tuple[str, str, int]:
    with sqlite3.connect(db) as conn:
        status, error, inserted = conn.execute(
            "SELECT status, error, rows_inserted FROM people_importbatch WHERE id = ?", (pk,)
        ).fetchone()
    return status, error, inserted


def test_a_killed_worker_leaves_no_partial_batch_and_the_restart_marks_it_failed(
    tmp_path: Path,
) -> None:
    var = tmp_path / "var"
    var.mkdir()
    db = var / "ristra.sqlite3"
    _manage(var, "migrate", "--no-input", "-v", "0")
    out = _manage(var, "shell", "-c", QUEUE.replace("{var!r}", repr(str(var))))
    pk = int(out.split("BATCH ")[1].split()[0])
    assert _batch(db, pk)[0] == "queued"
    before = _counts(db)

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.1", "--no-startup-delay"],
        cwd=ROOT,
        env=_env(var),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Kill once the commit reports at least two chunks written into its transaction
        # and before its last one: a point the import itself tells, not a guess at how
        # long it takes (which a faster machine or faster code would make wrong).
        deadline = time.monotonic() + 180
        while True:
            status = _batch(db, pk)[0]
            assert status in ("queued", "committing"), "the import finished before the kill"
            done = _progress(var, pk)
            if status == "committing" and 2 * CHUNK_ROWS <= done < ROWS:
                break
            assert worker.poll() is None, "the worker exited before committing"
            assert time.monotonic() < deadline, "the commit never got half-way"
            time.sleep(0.02)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)

    after_kill = _counts(db)
    assert _batch(db, pk)[0] == "committing", "the import finished before the kill"
    changed = {t for t in before if before[t] != after_kill[t]} - BOOKKEEPING
    assert changed == set(), f"the killed commit left rows behind in {sorted(changed)}"

    # Restart: the worker marks the interrupted batch failed, then (--batch) exits when idle.
    log = _manage(var, "worker", "--batch", "--no-startup-delay", "--interval", "0")
    assert f"#{pk}" in log
    status, error, inserted = _batch(db, pk)
    assert status == "failed"
    assert "Nothing was written" in error
    assert inserted == 0
    after_restart = _counts(db)
    assert after_restart["people_person"] == before["people_person"] == 0
    changed = {t for t in before if before[t] != after_restart[t]} - BOOKKEEPING
    assert changed == set()


@pytest.mark.django_db
def test_recovery_leaves_finished_and_waiting_batches_alone() -> None:
    from ristra.people.models import BatchStatus, ImportBatch
    from ristra.people.services import batch_recover_interrupted

    made = {
        status: ImportBatch.objects.create(kind="faculty", filename=f"{status}.csv", sha256="0")
        for status in BatchStatus.values
    }
    for status, batch in made.items():
        ImportBatch.objects.filter(pk=batch.pk).update(status=status)
    recovered = batch_recover_interrupted()
    assert sorted(recovered) == sorted(
        [made[BatchStatus.VALIDATING].pk, made[BatchStatus.COMMITTING].pk]
    )
    left = dict(ImportBatch.objects.values_list("filename", "status"))
    assert left["committing.csv"] == BatchStatus.FAILED
    assert left["validating.csv"] == BatchStatus.FAILED
    for status in set(BatchStatus.values) - {BatchStatus.VALIDATING, BatchStatus.COMMITTING}:
        assert left[f"{status}.csv"] == status
