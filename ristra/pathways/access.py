"""Every lookup of pathway data goes through here (404 for what the user may not know).

* A program, its cohorts, participants, imports, sessions and links: its managers
  (program managers scoped to the program's scope) and administrators.
* A participant's identity (names, birth date, e-mail) and the review queue: the same
  managers, never a decision-maker (identity data; every view is audited by the view).
* A partner's page: a signed, expiring link (no account), suppressed aggregates only.
* A participant's own details: a signed, expiring link sent to their e-mail.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.http import Http404

from ristra.accounts import access
from ristra.pathways.models import Cohort, Link, Participant, Partner, PathwayProgram

PARTNER_SALT = "ristra.pathways.partner"
PARTICIPANT_SALT = "ristra.pathways.participant"
#: How long a partner's link stays valid (seconds): 90 days.
PARTNER_LINK_AGE = 90 * 24 * 3600
#: How long a participant's self-update link stays valid: 14 days.
PARTICIPANT_LINK_AGE = 14 * 24 * 3600


def can_manage(user: Any, program: PathwayProgram) -> bool:
    return access.can(user, access.MANAGE_PROGRAM, program.scope.slug)


def can_see_identity(user: Any, program: PathwayProgram) -> bool:
    """Participants' names and birth dates: a manager who is not a decision-maker."""
    return can_manage(user, program) and not getattr(user, "is_decision_maker", False)


def managed_programs(user: Any) -> Any:
    qs = PathwayProgram.objects.select_related("scope")
    if access.is_administrator(user):
        return qs
    if access.is_program_manager(user):
        return qs.filter(scope__in=user.programs.all())
    return qs.none()


def may_use_pathways(user: Any) -> bool:
    return bool(access.is_administrator(user) or access.is_program_manager(user))


def get_program_for_manager(user: Any, slug: str) -> PathwayProgram:
    program = PathwayProgram.objects.select_related("scope").filter(slug=slug).first()
    if program is None or not can_manage(user, program):
        raise Http404
    return program


def get_cohort_for_manager(user: Any, cohort_id: int) -> Cohort:
    cohort = Cohort.objects.select_related("program__scope").filter(pk=cohort_id).first()
    if cohort is None or not can_manage(user, cohort.program):
        raise Http404
    return cohort


def get_cohort_for_identity(user: Any, cohort_id: int) -> Cohort:
    cohort = get_cohort_for_manager(user, cohort_id)
    if not can_see_identity(user, cohort.program):
        raise Http404
    return cohort


def get_participant_for_identity(user: Any, participant_id: int) -> Participant:
    participant = (
        Participant.objects.select_related("cohort__program__scope", "partner")
        .filter(pk=participant_id)
        .first()
    )
    if participant is None or not can_see_identity(user, participant.cohort.program):
        raise Http404
    return participant


def get_link_for_reviewer(user: Any, link_id: int) -> Link:
    link = (
        Link.objects.select_related("participant__cohort__program__scope", "person")
        .filter(pk=link_id)
        .first()
    )
    if link is None or not can_see_identity(user, link.participant.cohort.program):
        raise Http404
    return link


# --- signed links ---------------------------------------------------------------------


def partner_token(partner: Partner, program: PathwayProgram) -> str:
    return signing.dumps({"partner": partner.pk, "program": program.pk}, salt=PARTNER_SALT)


def partner_from_token(token: str) -> tuple[Partner, PathwayProgram]:
    """The partner and program of a valid, unexpired link; 404 otherwise."""
    try:
        data = signing.loads(token, salt=PARTNER_SALT, max_age=PARTNER_LINK_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        raise Http404 from None
    partner = Partner.objects.filter(pk=data.get("partner")).first()
    program = PathwayProgram.objects.filter(pk=data.get("program")).first()
    if partner is None or program is None or not partner.programs.filter(pk=program.pk).exists():
        raise Http404
    return partner, program


def participant_token(participant: Participant) -> str:
    return signing.dumps({"participant": participant.pk}, salt=PARTICIPANT_SALT)


def participant_from_token(token: str) -> Participant:
    try:
        data = signing.loads(token, salt=PARTICIPANT_SALT, max_age=PARTICIPANT_LINK_AGE)
    except signing.BadSignature:
        raise Http404 from None
    participant = Participant.objects.filter(pk=data.get("participant")).first()
    if participant is None:
        raise Http404
    return participant
