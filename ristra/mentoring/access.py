"""Every lookup of mentoring data goes through here (404 for what the user may not know).

* A program, its cycles, runs and enrolment lists: its managers (program managers scoped
  to the program's scope) and administrators.
* A pair: its mentor, its mentee, and the program's managers.
* An enrolment form: any staff account, for a cycle whose enrolment is open.
* One-time connections: the public request form for anyone (no account) while the
  program offers connections; a request for the program's managers (its coordinators)
  and the volunteer it was introduced to.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from ristra.accounts import access
from ristra.mentoring.models import (
    Connection,
    Cycle,
    CycleStatus,
    Enrolment,
    MatchRun,
    MentorRequest,
    Pair,
    Program,
)


def can_manage(user: Any, program: Program) -> bool:
    return access.can(user, access.MANAGE_PROGRAM, program.scope.slug)


def can_see_demographics(user: Any, program: Program) -> bool:
    """Suppressed totals by private answers: a manager who is not a decision-maker."""
    return can_manage(user, program) and access.can(user, access.VIEW_DEMOGRAPHIC_AGGREGATES)


def managed_programs(user: Any) -> Any:
    qs = Program.objects.select_related("scope")
    if access.is_administrator(user):
        return qs
    if access.is_program_manager(user):
        return qs.filter(scope__in=user.programs.all())
    return qs.none()


def get_program_for_manager(user: Any, slug: str) -> Program:
    program = Program.objects.select_related("scope").filter(slug=slug).first()
    if program is None or not can_manage(user, program):
        raise Http404
    return program


def get_cycle_for_manager(user: Any, cycle_id: int) -> Cycle:
    cycle = Cycle.objects.select_related("program__scope").filter(pk=cycle_id).first()
    if cycle is None or not can_manage(user, cycle.program):
        raise Http404
    return cycle


def get_run_for_manager(user: Any, run_id: int) -> MatchRun:
    run = MatchRun.objects.select_related("cycle__program__scope").filter(pk=run_id).first()
    if run is None or not can_manage(user, run.cycle.program):
        raise Http404
    return run


def get_cycle_for_participant(user: Any, cycle_id: int) -> Cycle:
    """A cycle the user is enrolled in, or whose enrolment is open."""
    if not access.can(user, access.MENTORING_PARTICIPATE):
        raise Http404
    cycle = Cycle.objects.select_related("program__scope").filter(pk=cycle_id).first()
    if cycle is None:
        raise Http404
    if cycle.status == CycleStatus.ENROLLING:
        return cycle
    if cycle.enrolments.filter(user=user).exists() or can_manage(user, cycle.program):
        return cycle
    raise Http404


def get_own_enrolment(user: Any, cycle: Cycle) -> Enrolment | None:
    return cycle.enrolments.filter(user=user).select_related("department").first()


def get_pair_for_user(user: Any, pair_id: int) -> tuple[Pair, str]:
    """The pair and the user's place in it: 'mentor', 'mentee' or 'manager'."""
    if not access.can(user, access.MENTORING_PARTICIPATE):
        raise Http404
    pair = (
        Pair.objects.select_related(
            "cycle__program__scope", "mentor__user", "mentee__user", "mentor__department"
        )
        .filter(pk=pair_id)
        .first()
    )
    if pair is None:
        raise Http404
    if pair.mentor.user_id == user.pk:
        return pair, "mentor"
    if pair.mentee.user_id == user.pk:
        return pair, "mentee"
    if can_manage(user, pair.cycle.program):
        return pair, "manager"
    raise Http404


def get_request_for_mentor(user: Any, request_id: int) -> MentorRequest:
    req = (
        MentorRequest.objects.select_related("cycle__program", "mentee__user", "mentor__user")
        .filter(pk=request_id)
        .first()
    )
    if req is None or req.mentor.user_id != user.pk:
        raise Http404
    return req


# --- one-time connections -------------------------------------------------------------


def get_connection_program(slug: str) -> Program:
    """A program's public request form: anyone, while the program offers connections."""
    program = Program.objects.filter(slug=slug, offers_connections=True).first()
    if program is None:
        raise Http404
    return program


def get_volunteer_program(user: Any, slug: str) -> Program:
    """Any staff account may volunteer for a program that offers connections."""
    if not access.can(user, access.MENTORING_PARTICIPATE):
        raise Http404
    return get_connection_program(slug)


def get_connection_for_user(user: Any, connection_id: int) -> tuple[Connection, str]:
    """The request and the user's place: 'manager' (a coordinator) or 'volunteer'
    (the volunteer it was introduced to). Everyone else: 404."""
    if not access.can(user, access.MENTORING_PARTICIPATE):
        raise Http404
    connection = (
        Connection.objects.select_related("program__scope", "volunteer__user")
        .filter(pk=connection_id)
        .first()
    )
    if connection is None:
        raise Http404
    if can_manage(user, connection.program):
        return connection, "manager"
    if connection.volunteer is not None and connection.volunteer.user_id == user.pk:
        return connection, "volunteer"
    raise Http404
