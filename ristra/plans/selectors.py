"""Reads for plans: progress (screen, exports, portal), compliance and checklists.

Every number here is either a stored published reading (suppressed when it was computed)
or a count of people passed through :mod:`ristra.analytics.suppression` now. Counts of
actions and checklist items (not people) are shown as they are.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from ristra.analytics import suppression as sup
from ristra.plans.access import can_see_indicator
from ristra.plans.models import (
    ActionStatus,
    Area,
    Goal,
    Indicator,
    IndicatorReading,
    Plan,
    ReadingStatus,
    RequirementKind,
    Search,
    Training,
    TrainingRequirement,
)
from ristra.plans.services import CURRENT, DUE, OVERDUE, plan_subtree, requirement_status
from ristra.reports import indicators as registry
from ristra.reports import published as pub
from ristra.reports.published import Column, PublishedTable, Report


def _policy() -> sup.SuppressionPolicy:
    return registry.policy()


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return sup.SUPPRESSED_MARKER
    if unit in ("percent", "rate"):
        return f"{value * 100:.1f}%"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:.2f}"


@dataclass
class IndicatorRow:
    indicator: Indicator
    visible: bool
    measure_label: str
    unit: str
    available: bool
    latest: IndicatorReading | None
    history: list[IndicatorReading] = field(default_factory=list)

    @property
    def value_text(self) -> str:
        reading = self.latest
        if reading is None:
            return _("not computed yet")
        if reading.status != ReadingStatus.OK:
            return str(reading.get_status_display())
        return format_value(reading.value, self.unit)

    @property
    def baseline_text(self) -> str:
        b = self.indicator.baseline
        return "–" if b is None else format_value(b, self.unit)

    @property
    def target_text(self) -> str:
        return format_value(self.indicator.target, self.unit)

    @property
    def progress_text(self) -> str:
        """How far from the baseline to the target the latest value has come."""
        reading, ind = self.latest, self.indicator
        if (
            reading is None
            or reading.status != ReadingStatus.OK
            or reading.value is None
            or ind.baseline is None
            or ind.target == ind.baseline
        ):
            return "–"
        share = (reading.value - ind.baseline) / (ind.target - ind.baseline)
        return _("%(pct)d%% of the way to the target") % {"pct": round(share * 100)}


def indicator_row(indicator: Indicator, user: Any | None, *, history: int = 12) -> IndicatorRow:
    visible = user is None or can_see_indicator(user, indicator)
    try:
        measure = registry.get(indicator.measure_key)
    except registry.UnknownMeasure:
        label, unit, available = indicator.measure_key, "percent", False
    else:
        label, unit, available = str(measure.label), measure.unit, True
    readings = list(indicator.readings.order_by("-computed_at", "-id")[:history]) if visible else []
    return IndicatorRow(
        indicator=indicator,
        visible=visible,
        measure_label=label,
        unit=unit,
        available=available,
        latest=readings[0] if readings else None,
        history=readings,
    )


@dataclass
class GoalView:
    goal: Goal
    actions: list[Any]
    indicators: list[IndicatorRow]


@dataclass
class AreaView:
    key: str
    label: str
    goals: list[GoalView]


def plan_progress(plan: Plan, user: Any | None, *, public_only: bool = False) -> list[AreaView]:
    goals = plan.goals.prefetch_related("actions__owner", "actions__updates", "indicators")
    if public_only:
        goals = goals.filter(public=True)
    by_area: dict[str, list[GoalView]] = {}
    for goal in goals:
        indicators = [
            indicator_row(i, user) for i in goal.indicators.all() if not public_only or i.public
        ]
        by_area.setdefault(goal.area, []).append(
            GoalView(goal=goal, actions=list(goal.actions.all()), indicators=indicators)
        )
    return [
        AreaView(key=key, label=str(label), goals=by_area[key])
        for key, label in Area.choices
        if key in by_area
    ]


def status_counts(plan: Plan) -> dict[str, int]:
    counts = Counter(
        plan.goals.values_list("actions__status", flat=True).exclude(actions__status=None)
    )
    return {key: counts.get(key, 0) for key in ActionStatus.values}


def rollup(plan: Plan) -> list[tuple[Plan, int, dict[str, int]]]:
    """The plan and every plan below it: (plan, depth, actions by status)."""
    out = []
    depth = {plan.pk: 0}
    for current in plan_subtree(plan):
        level = depth.get(current.parent_id or -1, -1) + 1 if current.pk != plan.pk else 0
        depth[current.pk] = level
        out.append((current, level, status_counts(current)))
    return out


def public_progress(plan: Plan) -> dict[str, Any]:
    """What a public "you said, we did" page shows: public goals, non-demographic or
    demographic published values alike (they were suppressed when computed)."""
    return {
        "plan": plan,
        "areas": plan_progress(plan, None, public_only=True),
        "notes": [
            _("Counts from 1 to %(n)d are hidden (shown as *) to protect privacy.")
            % {"n": _policy().min_count - 1}
        ],
    }


# ------------------------------------------------------------------------------ report


def _status_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{ActionStatus(k).label}: {v}" for k, v in counts.items())


def plan_report(plan: Plan, *, user: Any | None = None) -> Report:
    """The plan's progress as a published report (screen, XLSX, PDF, evidence pack)."""
    policy = _policy()
    today = timezone.localdate()
    areas = plan_progress(plan, user)
    action_rows: list[tuple[pub.Cell, ...]] = []
    indicator_rows: list[tuple[pub.Cell, ...]] = []
    definition_rows: list[tuple[pub.Cell, ...]] = []
    hidden = 0
    for area in areas:
        for gv in area.goals:
            for action in gv.actions:
                last = next(iter(action.updates.all()), None)
                action_rows.append(
                    (
                        area.label,
                        gv.goal.title,
                        action.title,
                        action.owner.get_full_name() or action.owner.username
                        if action.owner
                        else "–",
                        action.due_on.isoformat() if action.due_on else "–",
                        str(action.get_status_display()),
                        last.narrative if last else "",
                    )
                )
            for row in gv.indicators:
                if not row.visible:
                    hidden += 1
                    continue
                reading = row.latest
                ok = reading is not None and reading.status == ReadingStatus.OK
                indicator_rows.append(
                    (
                        area.label,
                        gv.goal.title,
                        row.indicator.label,
                        row.baseline_text,
                        row.target_text,
                        row.indicator.target_on.isoformat(),
                        row.value_text,
                        reading.numerator if ok and reading else None,
                        reading.denominator if ok and reading else None,
                        reading.as_of.isoformat() if reading else "–",
                        row.progress_text,
                    )
                )
                definition_rows.append(
                    (
                        row.indicator.label,
                        row.indicator.measure_key,
                        json.dumps(row.indicator.params, sort_keys=True),
                        (reading.definition or reading.message) if reading else "",
                    )
                )
    text: pub.CellKind = "text"
    sections = [
        pub.measured_table(
            key="actions",
            title=_("Actions"),
            columns=[
                Column("area", _("Area"), "label"),
                Column("goal", _("Goal"), text),
                Column("action", _("Action"), text),
                Column("owner", _("Owner"), text),
                Column("due", _("Due"), text),
                Column("status", _("Status"), text),
                Column("update", _("Latest update"), text),
            ],
            rows=action_rows,
            summary=_("%(n)d actions: %(status)s.")
            % {"n": len(action_rows), "status": _status_text(status_counts(plan))},
            policy=policy,
        ),
        pub.measured_table(
            key="indicators",
            title=_("Indicators"),
            columns=[
                Column("area", _("Area"), "label"),
                Column("goal", _("Goal"), text),
                Column("indicator", _("Indicator"), text),
                Column("baseline", _("Baseline"), text),
                Column("target", _("Target"), text),
                Column("target_on", _("Target date"), text),
                Column("value", _("Latest value"), text),
                Column("numerator", _("Numerator"), "count"),
                Column("denominator", _("Denominator"), "count"),
                Column("as_of", _("As of"), text),
                Column("progress", _("Progress"), text),
            ],
            rows=indicator_rows,
            summary=_("%(n)d indicators, each with its latest published value.")
            % {"n": len(indicator_rows)},
            policy=policy,
            notes=(
                [
                    _(
                        "%(n)d indicators count people by a demographic dimension and are not "
                        "shown to you."
                    )
                    % {"n": hidden}
                ]
                if hidden
                else []
            ),
        ),
        pub.measured_table(
            key="definitions",
            title=_("Definitions"),
            columns=[
                Column("indicator", _("Indicator"), "label"),
                Column("measure", _("Measure key"), text),
                Column("params", _("Parameters"), text),
                Column("definition", _("Definition"), text),
            ],
            rows=definition_rows,
            summary=_("How each figure was computed: its measure, parameters and definition."),
            policy=policy,
        ),
    ]
    below = rollup(plan)
    if len(below) > 1:
        sections.append(
            pub.measured_table(
                key="rollup",
                title=_("Unit plans rolling up into this plan"),
                columns=[
                    Column("plan", _("Plan"), "label"),
                    Column("unit", _("Unit"), text),
                    Column("actions", _("Actions by status"), text),
                ],
                rows=[
                    ("— " * depth + p.title, p.unit.name if p.unit else "–", _status_text(counts))
                    for p, depth, counts in below
                ],
                summary=_("%(n)d plans roll up into this one.") % {"n": len(below) - 1},
                policy=policy,
            )
        )
    return Report(
        key="plan-progress",
        title=_("Plan progress: %(title)s") % {"title": plan.title},
        subtitle=(
            f"{plan.unit.name if plan.unit else ''}, "
            f"{plan.starts_on.isoformat()} – {plan.ends_on.isoformat()}"
        ),
        sections=tuple(sections),
        parameters=((_("Plan"), plan.title), (_("Produced on"), today.isoformat())),
        definitions=tuple((str(r[0]), f"{r[1]} {r[2]}: {r[3]}") for r in definition_rows),
    )


def no_plan_report() -> Report:
    """The plan-progress report before any plan exists: one empty table that says so."""
    message = _("No strategic plan has been written yet.")
    return Report(
        key="plan-progress",
        title=_("Strategic plan progress"),
        sections=(
            pub.measured_table(
                key="actions",
                title=_("Actions"),
                columns=[
                    Column("plan", _("Plan"), "label"),
                    Column("status", _("Status"), "text"),
                ],
                rows=[(_("School plan"), message)],
                summary=message,
                policy=_policy(),
            ),
        ),
        notes=(message,),
    )


def top_plan() -> Plan | None:
    return Plan.objects.filter(parent__isnull=True).order_by("id").first()


# ------------------------------------------------------------------------------ trainings

STATUS_LABELS = {CURRENT: "Current", DUE: "Not yet due", OVERDUE: "Overdue"}


def compliance_table(
    requirement: TrainingRequirement, *, on: dt.date | None = None
) -> PublishedTable:
    """People a requirement applies to, by unit and status (suppressed)."""
    statuses = requirement_status(requirement=requirement, on=on)
    units = sorted({s.unit for s in statuses})
    keys = [CURRENT, DUE, OVERDUE]
    counts = [
        [sum(1 for s in statuses if s.unit == u and s.status == k) for k in keys] for u in units
    ]
    labels = [_("Current"), _("Not yet due"), _("Overdue")]
    if not units:
        return pub.measured_table(
            key=f"compliance_{requirement.pk}",
            title=_("Compliance: %(training)s") % {"training": requirement.training.name},
            columns=[Column("label", _("Unit"), "label")],
            rows=[],
            summary=_("Nobody holds this stage today."),
            policy=_policy(),
        )
    table = sup.suppress_table(counts, policy=_policy())
    current_total = table.column_totals[0] if table.column_totals else None
    summary = _(
        "%(training)s: %(current)s of %(total)s people are current; %(overdue)s are overdue."
    ) % {
        "training": requirement.training.name,
        "current": sup.format_cell(current_total),
        "total": sup.format_cell(table.grand_total),
        "overdue": sup.format_cell(table.column_totals[2] if table.column_totals else None),
    }
    return pub.cross_table(
        table,
        key=f"compliance_{requirement.pk}",
        title=_("Compliance by unit: %(training)s") % {"training": requirement.training.name},
        row_header=_("Unit"),
        row_labels=[u or _("No unit recorded") for u in units],
        column_labels=labels,
        summary=summary,
    )


def training_report(*, on: dt.date | None = None) -> list[PublishedTable]:
    tables = []
    for requirement in TrainingRequirement.objects.filter(
        kind=RequirementKind.STAGE
    ).select_related("training", "unit"):
        tables.append(compliance_table(requirement, on=on))
    return tables


def trainings_overview() -> list[tuple[Training, list[TrainingRequirement]]]:
    return [
        (t, list(t.requirements.all())) for t in Training.objects.prefetch_related("requirements")
    ]


# ------------------------------------------------------------------------------ searches


def cross_search_table() -> PublishedTable:
    """Each checklist item across searches: how many searches have done it (suppressed)."""
    searches = list(Search.objects.prefetch_related("checklist"))
    texts: list[str] = []
    for search in searches:
        for item in search.checklist.all():
            if item.text not in texts:
                texts.append(item.text)
    counts = []
    for text in texts:
        done = sum(1 for s in searches for i in s.checklist.all() if i.text == text and i.done_on)
        open_ = sum(
            1 for s in searches for i in s.checklist.all() if i.text == text and not i.done_on
        )
        counts.append([done, open_])
    if not texts:
        return pub.measured_table(
            key="checklists",
            title=_("Checklists across searches"),
            columns=[Column("label", _("Checklist item"), "label")],
            rows=[],
            summary=_("No search has a checklist yet."),
            policy=_policy(),
        )
    table = sup.suppress_table(counts, policy=_policy())
    return pub.cross_table(
        table,
        key="checklists",
        title=_("Checklists across searches"),
        row_header=_("Checklist item"),
        row_labels=texts,
        column_labels=[_("Done"), _("Not done")],
        summary=_("%(n)d searches; each row counts the searches that have done the item.")
        % {"n": len(searches)},
    )


def search_rows() -> list[tuple[Search, int, int]]:
    out = []
    for search in Search.objects.select_related("unit").prefetch_related("checklist"):
        items = list(search.checklist.all())
        out.append((search, sum(1 for i in items if i.done_on), len(items)))
    return out


def evidence_report(plan: Plan, *, user: Any | None = None) -> Report:
    """The plan's progress, its indicators' definitions and training compliance."""
    base = plan_report(plan, user=user)
    extra = [*training_report(), cross_search_table()]
    return Report(
        key="evidence-pack",
        title=_("Evidence pack: %(title)s") % {"title": plan.title},
        subtitle=base.subtitle,
        sections=(*base.sections, *extra),
        parameters=base.parameters,
        definitions=base.definitions,
        notes=(
            _(
                "Every figure is traceable: the Definitions sheet gives each indicator's "
                "measure key, parameters and definition, as computed."
            ),
        ),
    )
