"""Background work for pathways (Django Tasks API; django-tasks-db runs it)."""

from __future__ import annotations

from django_tasks import task


@task()
def link_run_task(*, run_id: int) -> str:
    from ristra.pathways.models import LinkRun, LinkRunStatus
    from ristra.pathways.services import link_run_execute

    run = LinkRun.objects.get(pk=run_id)
    try:
        run = link_run_execute(run=run)
    except Exception:
        LinkRun.objects.filter(pk=run_id).update(
            status=LinkRunStatus.FAILED,
            error="The run stopped on an unexpected error; no link was changed. "
            "The error is in the server log.",
        )
        raise
    return str(run.status)
