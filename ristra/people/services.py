"""Imports: upload, check, commit, roll back.

The file is kept as uploaded. Checking reads it in chunks, validates every row with the
analytics core and plans what a commit would do, writing nothing to the person record.
Committing repeats the same steps and applies the plan in one transaction, keeping every
raw row with its fate. A committed batch can be rolled back while no later batch has
touched the same people.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.cache import caches
from django.core.files.base import File
from django.db import transaction
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ristra.analytics.importspec import get_kind
from ristra.analytics.profiles import ProfileError
from ristra.analytics.tabular import UnusableInput
from ristra.audit.models import Action
from ristra.audit.services import audit_record
from ristra.people import bulk
from ristra.people.importer import Counts, Pipeline
from ristra.people.models import (
    BatchStatus,
    Identifier,
    ImportBatch,
    ImportProblem,
    ImportRow,
    MappingProfile,
    OrgUnit,
    Person,
    RowFate,
    SelfIdentification,
    Stage,
)
from ristra.reports.services import snapshot_refresh_later


class ImportRefused(Exception):
    """A request the batch cannot honour (wrong state, later batches in the way)."""


# ---------------------------------------------------------------------------------------
# Upload


def batch_upload(
    *,
    user: Any,
    kind: str,
    filename: str,
    stream: IO[bytes],
    profile: MappingProfile | None = None,
    source_label: str = "",
) -> ImportBatch:
    """Keep the file exactly as uploaded and open a batch for it."""
    get_kind(kind)  # raises for an unknown kind
    digest = hashlib.sha256()
    size = 0
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
        size += len(block)
    stream.seek(0)
    batch = ImportBatch(
        kind=kind,
        filename=Path(filename).name[:255],
        sha256=digest.hexdigest(),
        size_bytes=size,
        profile=profile,
        profile_yaml=profile.yaml if profile else "",
        source_label=source_label[:120],
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    batch.file.save(
        f"{slugify(Path(filename).stem)[:80] or 'upload'}{Path(filename).suffix}",
        File(stream),
        save=False,
    )
    batch.save()
    audit_record(
        actor=user,
        action=Action.CREATE,
        object_type="import_batch",
        object_id=batch.pk,
        summary=f"Uploaded {batch.filename} for a {kind} import ({size} bytes)",
    )
    return batch


def batch_upload_path(
    *,
    user: Any,
    kind: str,
    path: Path,
    profile: MappingProfile | None = None,
    profile_yaml: str = "",
    source_label: str = "",
) -> ImportBatch:
    with path.open("rb") as handle:
        batch = batch_upload(
            user=user,
            kind=kind,
            filename=path.name,
            stream=handle,
            profile=profile,
            source_label=source_label,
        )
    if profile_yaml and not profile:
        batch.profile_yaml = profile_yaml
        batch.save(update_fields=["profile_yaml"])
    return batch


# ---------------------------------------------------------------------------------------
# Check, commit, roll back


def _progress_key(batch_id: int) -> str:
    return f"import-progress-{batch_id}"


def batch_progress(batch: ImportBatch) -> int:
    """Rows processed so far by a running check or commit (written outside its transaction)."""
    done = caches["progress"].get(_progress_key(batch.pk))
    return int(done) if done is not None else batch.progress_done


def _set_progress(batch: ImportBatch, done: int) -> None:
    caches["progress"].set(_progress_key(batch.pk), done, timeout=24 * 3600)


def _store_problems(batch: ImportBatch, problems: list[dict[str, Any]]) -> None:
    ImportProblem.objects.filter(batch=batch).delete()
    bulk.insert_rows(
        ImportProblem,
        ["batch_id", "row_number", "column", "value", "rule", "message"],
        (
            (
                batch.pk,
                int(p["row"]),
                str(p.get("column") or "")[:200],
                "" if p.get("value") is None else str(p["value"]),
                str(p["rule"])[:64],
                str(p["message"]),
            )
            for p in problems
        ),
    )


def _run(
    batch: ImportBatch, *, apply: bool, on_chunk: Callable[[int], None] | None = None
) -> Counts:
    pipeline = Pipeline(batch, apply=apply)
    counts, problems = pipeline.run(on_chunk)
    batch.file_format = pipeline.format
    batch.encoding = pipeline.encoding
    batch.delimiter = pipeline.delimiter
    batch.file_notes = pipeline.file_notes
    batch.headings = pipeline.headings
    if apply:
        batch.created_units = [*batch.created_units, *pipeline.created_units]
    batch.plan = {
        "insert": counts.inserted,
        "update": counts.updated,
        "unchanged": counts.unchanged,
        "reject": counts.rejected,
        "new_units": sorted(pipeline.planned_units),
    }
    _store_problems(batch, problems)
    return counts


def _hold(batch: ImportBatch) -> None:
    """Lock the batch row for the rest of the transaction (PostgreSQL; SQLite's write lock
    already covers the whole database), so recovery can tell a live run from a dead one."""
    list(ImportBatch.objects.select_for_update().filter(pk=batch.pk).values_list("pk"))


def batch_recover_interrupted() -> list[int]:
    """Mark batches a stopped process left checking or committing as failed; return their ids.

    Checking and committing each run in one transaction, so a killed worker leaves nothing
    written: only the batch's status still says "committing". The worker runs this when it
    starts. A batch whose transaction is still alive in another process keeps its row lock
    (PostgreSQL: skipped here) or the database's write lock (SQLite: this waits for it, and
    the batch is then no longer in progress).
    """
    recovered: list[int] = []
    with transaction.atomic():
        stuck = ImportBatch.objects.select_for_update(skip_locked=True).filter(
            status__in=[BatchStatus.VALIDATING, BatchStatus.COMMITTING]
        )
        for batch in stuck:
            step = _("committed") if batch.status == BatchStatus.COMMITTING else _("checked")
            batch.status = BatchStatus.FAILED
            batch.error = _(
                "The background worker stopped while this file was being %(step)s. Nothing "
                "was written: a batch is all or nothing. Upload the file again to import it."
            ) % {"step": step}
            batch.save(update_fields=["status", "error"])
            audit_record(
                actor=None,
                action=Action.IMPORT,
                object_type="import_batch",
                object_id=batch.pk,
                summary=f"Marked {batch.filename} failed: its worker stopped mid-way",
            )
            recovered.append(batch.pk)
    return recovered


def batch_check(*, batch: ImportBatch) -> ImportBatch:
    """Validate every row and plan the commit; the person record is not touched."""
    batch.status = BatchStatus.VALIDATING
    batch.save(update_fields=["status"])
    try:
        with transaction.atomic():
            _hold(batch)
            counts = _run(batch, apply=False, on_chunk=lambda n: _set_progress(batch, n))
    except (UnusableInput, ProfileError) as exc:
        batch.status = BatchStatus.UNUSABLE
        batch.error = _unusable_message(exc)
        batch.save()
        return batch
    if counts.total == 0:
        batch.status = BatchStatus.UNUSABLE
        batch.error = _("The file has column headings but no data rows.")
        batch.save()
        return batch
    batch.rows_total = counts.total
    batch.rows_valid = counts.valid
    batch.rows_rejected = counts.rejected
    batch.progress_done = counts.total
    batch.status = BatchStatus.VALIDATED
    batch.error = ""
    batch.save()
    return batch


def _unusable_message(exc: Exception) -> str:
    if isinstance(exc, ProfileError):
        return _("The mapping profile has problems: ") + " ".join(exc.messages)
    return str(getattr(exc, "message", exc))


def batch_commit(*, batch: ImportBatch, user: Any, checked: bool = True) -> ImportBatch:
    """Write the valid rows in one transaction; keep every raw row with its fate.

    ``checked=False`` validates and commits a fresh upload in one pass (the command line
    without --dry-run): an unusable file is then marked so, and nothing is written.
    """
    allowed = {BatchStatus.VALIDATED, BatchStatus.QUEUED}
    if not checked:
        allowed.add(BatchStatus.VALIDATING)
    if batch.status not in allowed:
        raise ImportRefused(_("Only a checked batch can be committed."))
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.COMMITTING)
    batch.status = BatchStatus.COMMITTING
    _set_progress(batch, 0)
    try:
        with transaction.atomic():
            _hold(batch)
            counts = _run(batch, apply=True, on_chunk=lambda n: _set_progress(batch, n))
            batch.rows_total = counts.total
            batch.rows_valid = counts.valid
            batch.rows_rejected = counts.rejected
            batch.rows_inserted = counts.inserted
            batch.rows_updated = counts.updated
            batch.rows_unchanged = counts.unchanged
            batch.progress_done = counts.total
            batch.status = BatchStatus.COMMITTED
            batch.committed_at = timezone.now()
            batch.committed_by = user if getattr(user, "is_authenticated", False) else None
            batch.save()
            audit_record(
                actor=user,
                action=Action.IMPORT,
                object_type="import_batch",
                object_id=batch.pk,
                summary=(
                    f"Committed {batch.filename}: {counts.inserted} inserted, {counts.updated} "
                    f"updated, {counts.unchanged} unchanged, {counts.rejected} rejected"
                ),
            )
            snapshot_refresh_later(reason=f"import #{batch.pk} committed")
    except (UnusableInput, ProfileError) as exc:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED if checked else BatchStatus.UNUSABLE,
            error=_unusable_message(exc),
        )
        batch.refresh_from_db()
    return batch


def batch_commit_in_background(*, batch: ImportBatch, user: Any) -> ImportBatch:
    """Large files commit in a background task; small ones right away."""
    if batch.rows_total <= settings.RISTRA_BACKGROUND_IMPORT_ROWS:
        return batch_commit(batch=batch, user=user)
    from ristra.people.tasks import commit_batch_task

    batch.status = BatchStatus.QUEUED
    batch.save(update_fields=["status"])
    transaction.on_commit(
        lambda: commit_batch_task.enqueue(batch_id=batch.pk, user_id=getattr(user, "pk", None))
    )
    return batch


def _later_batches_touching(batch: ImportBatch) -> list[int]:
    persons = ImportRow.objects.filter(batch=batch, person__isnull=False).values("person_id")
    return sorted(
        set(
            ImportRow.objects.filter(
                person_id__in=persons,
                batch__status=BatchStatus.COMMITTED,
                batch__committed_at__gt=batch.committed_at,
            )
            .exclude(batch=batch)
            .exclude(fate=RowFate.UNCHANGED)
            .values_list("batch_id", flat=True)
        )
    )


def _restore(model: type[Model], pk: int, values: dict[str, Any]) -> None:
    """Put back the values a batch replaced (stored as JSON: dates and decimals as text)."""
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name.endswith("_id"):
            clean[name] = value
            continue
        field = model._meta.get_field(name)
        clean[name] = field.to_python(value) if isinstance(field, Field) else value
    model._default_manager.filter(pk=pk).update(**clean)


def _restore_answers(response_id: int, answers: dict[str, Any]) -> None:
    """Put back the answers a batch replaced in a response (``None``: it had none)."""
    response = SelfIdentification.objects.filter(pk=response_id).first()
    if response is None:
        return
    values = dict(response.answers or {})
    for dimension, value in answers.items():
        if value is None:
            values.pop(dimension, None)
        else:
            values[dimension] = value
    SelfIdentification.objects.filter(pk=response_id).update(answers=values)


def batch_rollback(*, batch: ImportBatch, user: Any) -> ImportBatch:
    """Undo a committed batch: restore what it changed, remove what it created."""
    if batch.status != BatchStatus.COMMITTED:
        raise ImportRefused(_("Only a committed batch can be rolled back."))
    later = _later_batches_touching(batch)
    if later:
        raise ImportRefused(
            _(
                "Later imports changed the same people (batches %(ids)s). Roll those back "
                "first, newest first, so nothing they wrote is lost."
            )
            % {"ids": ", ".join(f"#{n}" for n in later)}
        )
    with transaction.atomic():
        # Latest row first: when rows in different chunks changed the same value in turn,
        # the earliest row's "before" is what was there before the batch, so it is put
        # back last.
        for before in (
            ImportRow.objects.filter(batch=batch, before__isnull=False)
            .order_by("-row_number")
            .values_list("person_id", "before")
            .iterator(chunk_size=2000)
        ):
            person_id, data = before
            data = data or {}
            if data.get("person") and person_id:
                _restore(Person, person_id, data["person"])
            for stage_id, values in (data.get("stages") or {}).items():
                _restore(Stage, int(stage_id), values)
            for response_id, answers in (data.get("responses") or {}).items():
                _restore_answers(int(response_id), answers)
        SelfIdentification.objects.filter(batch=batch).delete()
        Stage.objects.filter(batch=batch).delete()
        Identifier.objects.filter(batch=batch).delete()
        Person.objects.filter(created_batch=batch).delete()
        if batch.created_units:
            OrgUnit.objects.filter(
                pk__in=batch.created_units, stages__isnull=True, children__isnull=True
            ).delete()
        batch.status = BatchStatus.ROLLED_BACK
        batch.rolled_back_at = timezone.now()
        batch.rolled_back_by = user if getattr(user, "is_authenticated", False) else None
        batch.save()
        audit_record(
            actor=user,
            action=Action.ROLLBACK,
            object_type="import_batch",
            object_id=batch.pk,
            summary=f"Rolled back {batch.filename} (#{batch.pk})",
        )
        snapshot_refresh_later(reason=f"import #{batch.pk} rolled back")
    return batch
