"""The one place that decides who may see what.

Every view asks here, through ``require`` or the ``permission_required`` decorator; object
lookups go through each app's access helper, which uses these permissions and returns 404
for objects the user may not know exist.

| permission                   | administrator | analyst | program manager | viewer |
|------------------------------|---------------|---------|-----------------|--------|
| ristra.view_aggregates       | yes           | yes     | yes             | yes    |
| ristra.view_demographic_aggregates | yes*    | yes*    | yes*            | yes*   |
| ristra.view_identity         | yes           | yes     | no              | no     |
| ristra.view_demographics     | yes*          | yes*    | no              | no     |
| ristra.import_data           | yes*          | yes*    | no              | no     |
| ristra.view_audit_log        | yes           | no      | no              | no     |
| ristra.manage_users          | yes           | no      | no              | no     |
| ristra.manage_definitions    | yes*          | yes*    | no              | no     |
| ristra.manage_program (slug) | yes           | no      | own programs    | no     |
| ristra.mentoring_participate | yes           | yes     | yes             | yes    |
| ristra.mentoring_create_program | yes        | no      | yes (own scopes)| no     |
| ristra.plans_write           | yes*          | yes*    | no              | no     |
| ristra.surveys_manage        | yes*          | yes*    | no              | no     |

A **participant** (``Role.PARTICIPANT``: a resident, fellow or faculty member who mentors
or is mentored, with no office role) holds ``mentoring_participate`` and nothing else: no
aggregates, no office screens. They reach their own enrolments, pairs, self-match
requests, volunteering and service record (``ristra/mentoring/access.py``).

Mentoring: any staff account (and any participant) may enrol in an open cycle and sees
only its own pairs; ``manage_program`` takes a program scope's slug (a mentoring
program's ``scope.slug``).
Mentoring demographics (private form answers) reach a manager only as suppressed totals,
and never a decision-maker (``view_demographic_aggregates``).

``*`` never for a decision-maker: the flag walls the user off from every demographic field
and every demographic aggregate whatever their role. Imports show raw rows with
self-identification answers, so a decision-maker cannot run them either.
"""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

import rules
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from ristra.accounts.models import STAFF_ROLES, Role

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse


@rules.predicate
def is_administrator(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.ADMINISTRATOR)


@rules.predicate
def is_analyst(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.ANALYST)


@rules.predicate
def is_program_manager(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.PROGRAM_MANAGER)


@rules.predicate
def is_staff_member(user: Any) -> bool:
    """An office role (a participant is not staff)."""
    return bool(user.is_authenticated and user.is_active and user.role in STAFF_ROLES)


@rules.predicate
def is_participant(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.PARTICIPANT)


@rules.predicate
def is_decision_maker(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_decision_maker)


@rules.predicate
def manages_program(user: Any, program_slug: str | None) -> bool:
    if program_slug is None or not is_program_manager(user):
        return False
    return bool(user.programs.filter(slug=program_slug).exists())


VIEW_AGGREGATES = "ristra.view_aggregates"
VIEW_DEMOGRAPHIC_AGGREGATES = "ristra.view_demographic_aggregates"
VIEW_IDENTITY = "ristra.view_identity"
VIEW_DEMOGRAPHICS = "ristra.view_demographics"
IMPORT_DATA = "ristra.import_data"
VIEW_AUDIT_LOG = "ristra.view_audit_log"
MANAGE_USERS = "ristra.manage_users"
MANAGE_PROGRAM = "ristra.manage_program"
#: School-defined categories and benchmark populations (they shape every published number).
MANAGE_DEFINITIONS = "ristra.manage_definitions"
#: Enrol in a mentoring cycle and see one's own pairs (staff and participants).
MENTORING_PARTICIPATE = "ristra.mentoring_participate"
#: Create a mentoring program (a program manager only under a scope they manage).
MENTORING_CREATE_PROGRAM = "ristra.mentoring_create_program"
#: Write strategic plans, bind indicators, define trainings and searches (ristra.plans).
PLANS_WRITE = "ristra.plans_write"
#: Build and run climate surveys and see their (suppressed) results.
SURVEYS_MANAGE = "ristra.surveys_manage"

rules.add_perm(VIEW_AGGREGATES, is_staff_member)
rules.add_perm(VIEW_DEMOGRAPHIC_AGGREGATES, is_staff_member & ~is_decision_maker)
rules.add_perm(VIEW_IDENTITY, is_administrator | is_analyst)
rules.add_perm(VIEW_DEMOGRAPHICS, (is_administrator | is_analyst) & ~is_decision_maker)
rules.add_perm(IMPORT_DATA, (is_administrator | is_analyst) & ~is_decision_maker)
rules.add_perm(VIEW_AUDIT_LOG, is_administrator)
rules.add_perm(MANAGE_USERS, is_administrator)
rules.add_perm(MANAGE_PROGRAM, is_administrator | manages_program)
rules.add_perm(MANAGE_DEFINITIONS, (is_administrator | is_analyst) & ~is_decision_maker)
rules.add_perm(MENTORING_PARTICIPATE, is_staff_member | is_participant)
rules.add_perm(MENTORING_CREATE_PROGRAM, is_administrator | is_program_manager)
rules.add_perm(PLANS_WRITE, (is_administrator | is_analyst) & ~is_decision_maker)
rules.add_perm(SURVEYS_MANAGE, (is_administrator | is_analyst) & ~is_decision_maker)


def can(user: Any, perm: str, obj: object | None = None) -> bool:
    return bool(user.has_perm(perm, obj))


def require(user: Any, perm: str, obj: object | None = None) -> None:
    """Raise 403 unless the user holds ``perm``."""
    if not can(user, perm, obj):
        raise PermissionDenied


F = TypeVar("F", bound="Callable[..., HttpResponse]")


def permission_required(perm: str) -> Callable[[F], F]:
    """Login first (redirect), then 403 for a signed-in user without ``perm``."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require(request.user, perm)
            return view(request, *args, **kwargs)

        return cast("F", wrapped)

    return decorator


def login_required(view: F) -> F:
    """Any active staff account (any role)."""
    return permission_required(VIEW_AGGREGATES)(view)
