"""Background work for measures (Django Tasks API; django-tasks-db runs it)."""

from __future__ import annotations

from django_tasks import task


@task()
def refresh_snapshot_task(*, reason: str) -> str:
    from ristra.reports.services import snapshot_refresh

    return str(snapshot_refresh(reason=reason).status)
