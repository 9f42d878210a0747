"""Writing to the audit log. Reading it is ``selectors.py``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from ristra.audit.models import Action, AuditEvent, AuditPerson


def _client_ip(request: Any) -> str | None:
    if request is None:
        return None
    ip = request.META.get("REMOTE_ADDR")
    return str(ip) if ip else None


def audit_record(
    *,
    actor: Any,
    action: Action | str,
    object_type: str,
    summary: str,
    object_id: str | int = "",
    reason: str = "",
    person_ids: Iterable[int] = (),
    request: Any = None,
) -> AuditEvent:
    """Append one entry (and the persons it concerns) to the audit log."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        event = AuditEvent.objects.create(
            actor=user,
            actor_name=getattr(user, "username", "") or "system",
            action=str(action),
            object_type=object_type,
            object_id=str(object_id),
            summary=summary[:500],
            reason=reason[:300],
            path=(request.get_full_path()[:500] if request is not None else ""),
            ip=_client_ip(request),
        )
        ids = sorted({int(pid) for pid in person_ids})
        if ids:
            AuditPerson.objects.bulk_create(
                [AuditPerson(event=event, person_id=pid) for pid in ids], batch_size=1000
            )
    return event
