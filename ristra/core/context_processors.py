from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest

from ristra.core.prefs import display_prefs


def shell(request: HttpRequest) -> dict[str, Any]:
    """What every page's shell needs: display preferences and what the user may open."""
    from ristra.accounts import access
    from ristra.people.demo import DEMO_SCHOOL_CODE
    from ristra.people.models import OrgUnit

    user = request.user
    try:
        # The fictional demo school is loaded: say so on every page.
        demo_school = OrgUnit.objects.filter(code=DEMO_SCHOOL_CODE).exists()
    except DatabaseError:  # the error page must render even when the database is down
        demo_school = False
    return {
        "prefs": display_prefs(request),
        "demo_school": demo_school,
        "nav": {
            "people": access.can(user, access.VIEW_IDENTITY),
            "measures": access.can(user, access.VIEW_DEMOGRAPHIC_AGGREGATES),
            "imports": access.can(user, access.IMPORT_DATA),
            "audit": access.can(user, access.VIEW_AUDIT_LOG),
            "mentoring": access.can(user, access.MENTORING_PARTICIPATE),
            "plans": access.can(user, access.VIEW_AGGREGATES),
            "api": access.can(user, access.VIEW_AGGREGATES),
            "pathways": bool(access.is_administrator(user) or access.is_program_manager(user)),
            "surveys": access.can(user, access.VIEW_AGGREGATES),
        },
    }
