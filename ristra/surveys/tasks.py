"""Background work for surveys (Django Tasks API; django-tasks-db runs it).

Run ``ristra survey_reminders`` daily (cron or a systemd timer) while a survey is open,
or enqueue :func:`survey_reminders_task`.
"""

from __future__ import annotations

from django_tasks import task


@task()
def survey_reminders_task() -> int:
    from ristra.surveys.services import reminders_send

    return reminders_send()


@task()
def invitations_send_task(survey_id: int) -> int:
    from ristra.surveys.models import Survey
    from ristra.surveys.services import invitations_send

    return invitations_send(survey=Survey.objects.get(pk=survey_id))


@task()
def survey_themes_task(survey_id: int) -> int:
    from ristra.surveys.models import Survey
    from ristra.surveys.results import warm_themes

    return warm_themes(Survey.objects.get(pk=survey_id))
