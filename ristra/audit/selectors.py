from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from ristra.audit.models import AuditEvent, AuditPerson


def audit_search(
    *,
    actor: str = "",
    action: str = "",
    person_id: int | None = None,
    text: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor")
    if actor:
        events = events.filter(actor_name__iexact=actor)
    if action:
        events = events.filter(action=action)
    if person_id is not None:
        events = events.filter(
            id__in=AuditPerson.objects.filter(person_id=person_id).values("event")
        )
    if text:
        events = events.filter(Q(summary__icontains=text) | Q(reason__icontains=text))
    if date_from:
        events = events.filter(at__date__gte=date_from)
    if date_to:
        events = events.filter(at__date__lte=date_to)
    return events
