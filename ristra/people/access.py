"""Every lookup of people data goes through here."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from ristra.accounts import access
from ristra.people.models import ImportBatch, Person


def get_person_for_user(user: Any, person_id: int) -> Person:
    """A person whose identity data the user may see; 404 for everyone else."""
    if not access.can(user, access.VIEW_IDENTITY):
        raise Http404
    try:
        return Person.objects.get(pk=person_id)
    except Person.DoesNotExist:
        raise Http404 from None


def get_batch_for_user(user: Any, batch_id: int) -> ImportBatch:
    """An import batch; only for users who may import (batches hold raw demographic rows)."""
    if not access.can(user, access.IMPORT_DATA):
        raise Http404
    try:
        return ImportBatch.objects.select_related("created_by", "profile").get(pk=batch_id)
    except ImportBatch.DoesNotExist:
        raise Http404 from None
