"""Background work for mentoring (Django Tasks API; django-tasks-db runs it).

The time checks also run lazily: every mentoring home or suggestions page expires
overdue requests first, so the embedded default needs no scheduler. In production run
``ristra mentoring_tick`` daily (cron or a systemd timer), or enqueue these tasks.
"""

from __future__ import annotations

from django_tasks import task


@task()
def expire_requests_task() -> int:
    from ristra.mentoring.services import requests_expire

    return requests_expire()


@task()
def remind_pairs_task() -> int:
    from ristra.mentoring.services import pairs_remind

    return pairs_remind()
