"""Background work for plans (Django Tasks API; django-tasks-db runs it)."""

from __future__ import annotations

from django_tasks import task


@task()
def recompute_indicators_task() -> int:
    """A reading for every indicator (after a snapshot refresh)."""
    from ristra.plans.services import indicators_recompute

    return len(indicators_recompute())


@task()
def training_reminders_task() -> int:
    """E-mail everyone overdue for a required training (at most weekly per person)."""
    from ristra.plans.services import training_reminders_send

    return training_reminders_send().sent
