"""Every lookup of survey data goes through here (404 for what the user may not know).

* Building, running and importing a survey, its invitations, codes and action items:
  ``surveys_manage`` (administrators and analysts, never a decision-maker).
* Results: managers of surveys always; any other staff account only once the analyst has
  published them. Breakdowns by demographic group need ``view_demographic_aggregates``
  (never a decision-maker).
* Answering: anyone with the survey's anonymous link or a personal invitation link,
  without signing in.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from ristra.accounts import access
from ristra.surveys.models import Mode, Survey


def can_manage(user: Any) -> bool:
    return access.can(user, access.SURVEYS_MANAGE)


def can_see_breakdowns(user: Any) -> bool:
    return access.can(user, access.VIEW_DEMOGRAPHIC_AGGREGATES)


def visible_surveys(user: Any) -> QuerySet[Survey]:
    if can_manage(user):
        return Survey.objects.all()
    if access.can(user, access.VIEW_AGGREGATES):
        return Survey.objects.filter(published=True)
    return Survey.objects.none()


def get_survey_for_manager(user: Any, survey_id: int) -> Survey:
    if not can_manage(user):
        raise Http404
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise Http404
    return survey


def get_survey_for_results(user: Any, survey_id: int) -> Survey:
    survey = visible_surveys(user).filter(pk=survey_id).first()
    if survey is None:
        raise Http404
    return survey


def get_survey_for_link(link_key: str) -> Survey:
    """The public form behind an anonymous link."""
    survey = Survey.objects.filter(link_key=link_key, mode=Mode.LINK).first()
    if survey is None:
        raise Http404
    return survey
