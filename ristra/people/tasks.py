"""Background work for imports (Django Tasks API; django-tasks-db runs it)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_tasks import task

from ristra.people.models import BatchStatus, ImportBatch


@task()
def check_batch_task(*, batch_id: int) -> str:
    from ristra.people.services import batch_check

    batch = batch_check(batch=ImportBatch.objects.get(pk=batch_id))
    return str(batch.status)


@task()
def commit_batch_task(*, batch_id: int, user_id: int | None) -> str:
    from ristra.people.services import batch_commit

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status != BatchStatus.QUEUED:
        return str(batch.status)
    try:
        batch = batch_commit(batch=batch, user=user)
    except Exception:
        # The transaction rolled back: nothing was written. Say so on the batch page.
        ImportBatch.objects.filter(pk=batch_id).update(
            status=BatchStatus.FAILED,
            error="The commit stopped on an unexpected error; nothing was written. "
            "The error is in the server log.",
        )
        raise
    return str(batch.status)
