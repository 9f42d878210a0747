"""Every lookup of plans data goes through here.

* Plans, goals, actions and indicators' published readings: any staff account
  (``view_aggregates``); an indicator that counts people by a demographic dimension only
  for those who may see demographic aggregates (never a decision-maker).
* Writing the plan, binding indicators, trainings and searches: administrators and
  analysts who are not decision-makers (``plans_write``).
* An action's status and narrative: its owner (any staff account) and the plan's writers;
  anyone else gets 403.
* Overdue people and committee members are identity data (``view_identity``, audited);
  completion files hold raw rows (``import_data``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from ristra.accounts import access
from ristra.plans.models import Action, Indicator, Plan, Search, Training
from ristra.reports import indicators as registry


def can_write(user: Any) -> bool:
    return access.can(user, access.PLANS_WRITE)


def can_see_indicator(user: Any, indicator: Indicator) -> bool:
    try:
        measure = registry.get(indicator.measure_key)
    except registry.UnknownMeasure:
        demographic = bool(indicator.params.get("dimension"))
    else:
        demographic = measure.is_demographic(indicator.params)
    return not demographic or access.can(user, access.VIEW_DEMOGRAPHIC_AGGREGATES)


def _staff(user: Any) -> None:
    if not access.can(user, access.VIEW_AGGREGATES):
        raise Http404


def get_plan(user: Any, plan_id: int) -> Plan:
    _staff(user)
    plan = Plan.objects.select_related("unit", "parent").filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


def get_plan_for_writer(user: Any, plan_id: int) -> Plan:
    plan = get_plan(user, plan_id)
    if not can_write(user):
        raise PermissionDenied
    return plan


def get_action_for_editor(user: Any, action_id: int) -> Action:
    """An action its owner or a writer may update (403 for other staff)."""
    _staff(user)
    action = Action.objects.select_related("goal__plan", "owner").filter(pk=action_id).first()
    if action is None:
        raise Http404
    if action.owner_id != user.pk and not can_write(user):
        raise PermissionDenied
    return action


def get_training(user: Any, training_id: int) -> Training:
    _staff(user)
    training = Training.objects.filter(pk=training_id).first()
    if training is None:
        raise Http404
    return training


def get_search(user: Any, search_id: int) -> Search:
    _staff(user)
    search = Search.objects.select_related("unit").filter(pk=search_id).first()
    if search is None:
        raise Http404
    return search
