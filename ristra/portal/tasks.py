"""Background work for the public site (Django Tasks API; django-tasks-db runs it)."""

from __future__ import annotations

from django_tasks import task


@task()
def newsletter_send_task(issue_id: int) -> dict[str, int]:
    from ristra.portal.models import NewsletterIssuePage
    from ristra.portal.services import newsletter_send

    issue = NewsletterIssuePage.objects.get(pk=issue_id)
    result = newsletter_send(issue=issue)
    return {"sent": result.sent, "failed": result.failed, "remaining": result.remaining}


@task()
def policy_reminders_task() -> int:
    from ristra.portal.services import policy_reminders_send

    return len(policy_reminders_send())
