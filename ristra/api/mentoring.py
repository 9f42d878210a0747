"""Mentoring exports: a program's pairs for its managers, a mentor's own service record.

Lookups go through ``ristra.mentoring.access`` (404 for a program the account does not
manage); the pairs export names people, so each fetch writes the audit log.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Sum
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router

from ristra.accounts import access
from ristra.api.auth import via_token
from ristra.api.errors import reject_unknown_query
from ristra.api.schemas import PairOut, ProgramOut, ServiceRecordRow, errors
from ristra.audit.models import Action
from ristra.audit.services import audit_record
from ristra.mentoring.access import get_program_for_manager, managed_programs
from ristra.mentoring.models import Pair

router = Router()


def _hours(minutes: int | None) -> float:
    return round((minutes or 0) / 60, 1)


@router.get(
    "/programs",
    response={200: list[ProgramOut], **errors(401, 403)},
    operation_id="mentoring_programs",
)
def programs(request: HttpRequest) -> Any:
    """The programs this account manages (all of them for an administrator)."""
    access.require(request.user, access.MENTORING_PARTICIPATE)
    reject_unknown_query(request)
    return [
        {
            "slug": p.slug,
            "name": p.name,
            "pairs_url": reverse("api:mentoring_pairs", args=[p.slug]),
        }
        for p in managed_programs(request.user).order_by("name")
    ]


@router.get(
    "/programs/{slug}/pairs",
    response={200: list[PairOut], **errors(401, 403, 404)},
    operation_id="mentoring_pairs",
    url_name="mentoring_pairs",
)
def program_pairs(request: HttpRequest, slug: str) -> Any:
    """Every pair of the program's cycles: who, when, status, check-ins and hours."""
    access.require(request.user, access.MENTORING_PARTICIPATE)
    reject_unknown_query(request)
    program = get_program_for_manager(request.user, slug)
    pairs = list(
        Pair.objects.filter(cycle__program=program)
        .select_related("cycle", "mentor__user", "mentee__user")
        .annotate(n=Count("checkins"), mins=Sum("checkins__minutes"), last=Max("checkins__met_on"))
        .order_by("cycle__starts_on", "cycle_id", "id")
    )
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        object_type="mentoring_program",
        object_id=program.pk,
        summary=f"Exported {len(pairs)} pairs of mentoring program '{program.slug}' "
        "through the API",
        reason=via_token(request, "mentoring pairs export"),
        request=request,
    )
    return [
        {
            "id": p.pk,
            "cycle": p.cycle.name,
            "cycle_id": p.cycle_id,
            "mentor": str(p.mentor.user),
            "mentee": str(p.mentee.user),
            "status": p.status,
            "starts_on": p.cycle.starts_on,
            "ends_on": p.cycle.ends_on,
            "checkins": p.n,  # type: ignore[attr-defined]
            "hours": _hours(p.mins),  # type: ignore[attr-defined]
            "last_checkin": p.last,  # type: ignore[attr-defined]
        }
        for p in pairs
    ]


@router.get(
    "/service-record",
    response={200: list[ServiceRecordRow], **errors(401, 403)},
    operation_id="mentoring_service_record",
)
def service_record(request: HttpRequest) -> Any:
    """The account's own mentees, dates, check-ins and hours (as the page's download)."""
    access.require(request.user, access.MENTORING_PARTICIPATE)
    reject_unknown_query(request)
    pairs = (
        Pair.objects.filter(mentor__user_id=int(request.user.pk or 0))
        .select_related("cycle__program", "mentee__user")
        .annotate(n=Count("checkins"), mins=Sum("checkins__minutes"))
        .order_by("cycle__starts_on", "id")
    )
    return [
        {
            "program": p.cycle.program.name,
            "cycle": p.cycle.name,
            "mentee": str(p.mentee.user),
            "starts_on": p.cycle.starts_on,
            "ends_on": p.cycle.ends_on,
            "status": str(p.get_status_display()),  # type: ignore[attr-defined]
            "checkins": p.n,  # type: ignore[attr-defined]
            "hours": _hours(p.mins),  # type: ignore[attr-defined]
        }
        for p in pairs
    ]
