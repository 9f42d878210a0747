"""Indicator measures: one published number per measure, parameters and date.

A strategic plan's indicator (``ristra.plans``) is *bound* to a measure registered here by
its key and a few parameters (population, counting dimension, group, year...).  The
measures layer owns this registry so that any app can register a measure of its own
(surveys' factor scores, pathways' cohort yields) without importing the plans app::

    from ristra.reports import indicators
    indicators.register(indicators.IndicatorMeasure(key=..., compute=...))

Every built-in measure is computed from the analytics snapshot with the measures of
:mod:`ristra.analytics.measures` (the same code as the dashboards) and published through
:mod:`ristra.analytics.suppression`: an :class:`IndicatorValue` holds only numbers that
may be shown (``None`` where hidden), so a reading can be stored and shown to anyone who
may see the plan's progress.

Decisions
---------
* A share's numerator and denominator are a 1-D breakdown (the group and everyone else)
  suppressed together with its total; the share is hidden when its denominator is below
  the minimum or when the group or its complement is a small count.
* A measure key that is no longer registered is not an error of the plan: callers get
  :class:`UnknownMeasure` and show "measure no longer available", keeping the history.
* A measure whose parameters name a dimension counts people by a demographic dimension:
  ``IndicatorMeasure.is_demographic`` says so, and decision-makers never see it.
"""

from __future__ import annotations

import builtins
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ristra.analytics import measures as m
from ristra.analytics import suppression as sup
from ristra.reports import dashboards as d
from ristra.reports import published as pub

log = logging.getLogger(__name__)

Unit = Literal["percent", "count", "score", "rate"]
ParamKind = Literal["choice", "text", "int", "date"]


class UnknownMeasure(KeyError):
    """No measure is registered under this key (it was removed or renamed)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key
        self.message = _(
            "The measure %(key)s is no longer available: its readings are kept, but no new "
            "reading can be computed. Bind the indicator to another measure."
        ) % {"key": repr(key)}

    def __str__(self) -> str:
        return self.message


class MeasureError(ValueError):
    """A measure cannot be computed now (bad parameters, no snapshot): a sentence for users."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Param:
    key: str
    label: Any
    kind: ParamKind = "text"
    required: bool = True
    help_text: Any = ""
    #: For ``choice`` parameters: a callable returning (value, label) pairs.
    choices: Callable[[], Sequence[tuple[str, str]]] | None = None


@dataclass(frozen=True)
class IndicatorValue:
    """One published reading. ``value`` is a fraction for ``percent`` (0.25 = 25%)."""

    value: float | None
    numerator: int | None
    denominator: int | None
    suppressed: bool
    definition: str
    as_of: dt.date


@dataclass(frozen=True)
class IndicatorMeasure:
    key: str
    label: Any
    description: Any
    unit: Unit
    compute: Callable[[Mapping[str, Any], dt.date], IndicatorValue]
    params: tuple[Param, ...] = ()
    #: Parameter keys that count people by a demographic dimension when filled in.
    demographic_params: tuple[str, ...] = ("dimension",)
    source: str = field(default="ristra.reports")

    def clean_params(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Checked parameters, or :class:`MeasureError` listing every problem."""
        clean: dict[str, Any] = {}
        problems: list[str] = []
        for param in self.params:
            value = raw.get(param.key)
            text = "" if value is None else str(value).strip()
            if not text:
                if param.required:
                    problems.append(_("%(param)s is required.") % {"param": param.label})
                continue
            if param.kind == "int":
                try:
                    clean[param.key] = int(text)
                except ValueError:
                    problems.append(
                        _("%(param)s must be a whole number, not %(value)s.")
                        % {"param": param.label, "value": repr(text)}
                    )
                continue
            if param.kind == "date":
                try:
                    clean[param.key] = dt.date.fromisoformat(text).isoformat()
                except ValueError:
                    problems.append(
                        _("%(param)s must be a date as YYYY-MM-DD, not %(value)s.")
                        % {"param": param.label, "value": repr(text)}
                    )
                continue
            if param.kind == "choice" and param.choices is not None:
                allowed = {value for value, _label in param.choices()}
                if text not in allowed and not allowed:
                    problems.append(
                        _("%(value)s is not a choice for %(param)s: there is none yet.")
                        % {"value": repr(text), "param": param.label}
                    )
                    continue
                if text not in allowed:
                    problems.append(
                        _("%(value)s is not a choice for %(param)s (choose one of %(choices)s).")
                        % {
                            "value": repr(text),
                            "param": param.label,
                            "choices": ", ".join(sorted(allowed)),
                        }
                    )
                    continue
            clean[param.key] = text
        unknown = sorted(set(raw) - {p.key for p in self.params})
        if unknown:
            problems.append(
                _("This measure takes no parameter %(names)s.") % {"names": ", ".join(unknown)}
            )
        if problems:
            raise MeasureError(" ".join(problems))
        return clean

    def is_demographic(self, params: Mapping[str, Any]) -> bool:
        return builtins.any(params.get(k) for k in self.demographic_params)


_REGISTRY: dict[str, IndicatorMeasure] = {}


def register(measure: IndicatorMeasure, *, replace: bool = False) -> IndicatorMeasure:
    """Add a measure to the registry (ValueError for a key already taken)."""
    if measure.key in _REGISTRY and not replace:
        raise ValueError(f"an indicator measure {measure.key!r} is already registered")
    _REGISTRY[measure.key] = measure
    return measure


def unregister(key: str) -> None:
    _REGISTRY.pop(key, None)


def get(key: str) -> IndicatorMeasure:
    """The measure registered as ``key``, or :class:`UnknownMeasure`."""
    try:
        return _REGISTRY[key]
    except KeyError:
        raise UnknownMeasure(key) from None


def all() -> list[IndicatorMeasure]:  # noqa: A001 - the registry's documented name
    return sorted(_REGISTRY.values(), key=lambda measure: measure.key)


# ------------------------------------------------------------------------------ refresh hooks

_REFRESH_HOOKS: list[Callable[[], None]] = []


def on_snapshot_refresh(hook: Callable[[], None]) -> Callable[[], None]:
    """Call ``hook`` after every successful snapshot refresh (e.g. to recompute readings)."""
    if hook not in _REFRESH_HOOKS:
        _REFRESH_HOOKS.append(hook)
    return hook


def run_refresh_hooks() -> None:
    """Called by :func:`ristra.reports.services.snapshot_refresh`; a failing hook is logged."""
    for hook in list(_REFRESH_HOOKS):
        try:
            hook()
        except Exception:
            log.exception("an after-refresh hook failed")


# ------------------------------------------------------------------------------ helpers


def policy() -> sup.SuppressionPolicy:
    return sup.SuppressionPolicy(
        min_count=settings.RISTRA_MIN_CELL, min_denominator=settings.RISTRA_MIN_CELL
    )


def published_share(
    counts: Mapping[str, int], group: str, *, definition: str, as_of: dt.date
) -> IndicatorValue:
    """The share of ``group`` in a 1-D breakdown of everyone (every group, unknown too).

    The whole breakdown and its total are suppressed together, exactly as a dashboard
    publishes it, so the indicator never shows a number the dashboard hides (which could
    otherwise be combined with the dashboard's numbers to recover a small count).
    """
    rule = policy()
    full = {str(k): int(v) for k, v in counts.items()}
    full.setdefault(group, 0)
    denominator = sum(full.values())
    published = sup.suppress_counts(full, denominator, policy=rule)
    shown_numerator = published.values[group]
    shown_denominator = published.total
    value: float | None = None
    if denominator and shown_numerator is not None and shown_denominator is not None:
        value = sup.suppress_rate(full[group], denominator, policy=rule, protect_complement=False)
    return IndicatorValue(
        value=value,
        numerator=shown_numerator,
        denominator=shown_denominator,
        suppressed=value is None and denominator > 0,
        definition=definition,
        as_of=as_of,
    )


def _group_counts(frame: pl.DataFrame, dimension: str, column: str) -> dict[str, int]:
    counts = {g: 0 for g in d.group_order(dimension)}
    for row in frame.iter_rows(named=True):
        counts[row["group"]] = counts.get(row["group"], 0) + int(row[column])
    return counts


def _source() -> d.SnapshotSource:
    try:
        return d.open_snapshot()
    except d.NoSnapshot:
        raise MeasureError(
            _("There is no analytics snapshot yet: import data (or run 'ristra snapshot').")
        ) from None


def _population_choices(*keys: str) -> Callable[[], list[tuple[str, str]]]:
    def choices() -> list[tuple[str, str]]:
        return [(k, str(d.POPULATIONS[k].label)) for k in keys]

    return choices


def _dimension_choices() -> list[tuple[str, str]]:
    choices = [(value, label) for value, label in d.dimension_choices(None, "faculty")]
    from ristra.reports.models import Category

    for key, label in Category.objects.order_by("key", "-version").values_list("key", "label"):
        value = d.SCHOOL_PREFIX + key
        if value not in {c for c, _label in choices}:
            choices.append((value, label))
    return choices


def _check_group(dimension: str, group: str) -> None:
    try:
        labels = d.group_labels(dimension)
    except Exception:  # an unknown convention: the choice check reports it
        return
    if group not in labels:
        raise MeasureError(
            _("%(group)s is not a group of %(dimension)s (choose one of %(choices)s).")
            % {"group": repr(group), "dimension": dimension, "choices": ", ".join(labels)}
        )


def _filters(population: str, on: dt.date, dimension: str, unit: str = "") -> d.Filters:
    year = d.academic_year_of(on)
    return d.Filters(
        population=population,
        as_of=on,
        first_year=year,
        last_year=year,
        dimension=dimension,
        unit=unit,
        min_cell=settings.RISTRA_MIN_CELL,
    )


def _group_text(dimension: str, group: str) -> str:
    return f"{dimension} = {d.group_labels(dimension).get(group, group)}"


DIMENSION = Param(
    "dimension",
    gettext_lazy("Counted by"),
    "choice",
    help_text=gettext_lazy("A counting convention, sex, or one of the school's categories."),
    choices=_dimension_choices,
)
GROUP = Param(
    "group",
    gettext_lazy("Group"),
    "text",
    help_text=gettext_lazy(
        "The group's code in that dimension: 'yes' for a school category, 'female', 'hispanic', ..."
    ),
)
UNIT = Param(
    "unit", gettext_lazy("Unit code"), "text", required=False, help_text=gettext_lazy("Optional.")
)


# ------------------------------------------------------------------------------ built-ins


def _population_share(params: Mapping[str, Any], as_of: dt.date) -> IndicatorValue:
    population, dimension, group = params["population"], params["dimension"], params["group"]
    on = dt.date.fromisoformat(params["census_date"]) if params.get("census_date") else as_of
    _check_group(dimension, group)
    source = _source()
    filters = _filters(population, on, dimension, params.get("unit", ""))
    ctx = d._context(source, filters)
    frame = source.run(
        m.composition(
            ctx.stages,
            ctx.groups,
            kinds=ctx.spec.spells,
            dates=[on],
            dimension=d.column_name(dimension),
        )
    )
    definition = _(
        "Share of %(population)s with %(group)s among every %(population)s holding an "
        "appointment or enrolment on %(date)s%(unit)s; people who gave no answer count in "
        "the denominator."
    ) % {
        "population": ctx.population_label.lower(),
        "group": _group_text(dimension, group),
        "date": on.isoformat(),
        "unit": (_(" in unit %(unit)s") % {"unit": params["unit"]}) if params.get("unit") else "",
    }
    return published_share(
        _group_counts(frame, dimension, "count"), group, definition=definition, as_of=on
    )


HIRE_KINDS = {
    "faculty": "faculty_appointment",
    "staff": "staff_appointment",
    "residents": "gme_appointment",
    "senior_admin": "leadership_appointment",
}


def _flow_share(
    *,
    population: str,
    kind: str,
    year: int,
    dimension: str,
    group: str,
    unit: str,
    what: str,
    as_of: dt.date,
) -> IndicatorValue:
    _check_group(dimension, group)
    source = _source()
    filters = _filters(population, as_of, dimension, unit)
    ctx = d._context(source, filters)
    frame = source.run(
        m.flows_by(
            ctx.stages,
            ctx.groups,
            kinds=[kind],
            years=range(year, year + 1),
            dimension=d.column_name(dimension),
        )
    )
    definition = _(
        "Share of %(what)s in academic year %(year)s (July 1 to June 30; admissions by "
        "cycle) with %(group)s, among all %(what)s that year%(unit)s; a person counts once."
    ) % {
        "what": what,
        "year": f"{year}–{str(year + 1)[-2:]}",
        "group": _group_text(dimension, group),
        "unit": (_(" in unit %(unit)s") % {"unit": unit}) if unit else "",
    }
    return published_share(
        _group_counts(frame, dimension, "people"), group, definition=definition, as_of=as_of
    )


def _year(params: Mapping[str, Any], key: str, as_of: dt.date) -> int:
    return int(params[key]) if params.get(key) not in (None, "") else d.academic_year_of(as_of)


def _hires_share(params: Mapping[str, Any], as_of: dt.date) -> IndicatorValue:
    population = params["population"]
    year = (
        int(params["academic_year"])
        if params.get("academic_year") not in (None, "")
        else d.academic_year_of(as_of) - 1  # the last complete academic year
    )
    return _flow_share(
        population=population,
        kind=HIRE_KINDS[population],
        year=year,
        dimension=params["dimension"],
        group=params["group"],
        unit=params.get("unit", ""),
        what=_("%(population)s hires") % {"population": d.POPULATIONS[population].label},
        as_of=as_of,
    )


ENTRANT_STAGES = {"offer": gettext_lazy("offers made"), "matriculation": gettext_lazy("entrants")}


def _entrants_share(params: Mapping[str, Any], as_of: dt.date) -> IndicatorValue:
    stage = params["stage"]
    return _flow_share(
        population="applicants",
        kind=stage,
        year=_year(params, "cycle", as_of),
        dimension=params["dimension"],
        group=params["group"],
        unit="",
        what=str(ENTRANT_STAGES[stage]),
        as_of=as_of,
    )


RETENTION_SPELLS = {"faculty": "faculty_appointment", "staff": "staff_appointment"}


def _retention_rate(params: Mapping[str, Any], as_of: dt.date) -> IndicatorValue:
    population, dimension, group = params["population"], params["dimension"], params["group"]
    years = int(params.get("years") or 5)
    if years < 1 or years > 10:
        raise MeasureError(_("Retention is measured after 1 to 10 years."))
    _check_group(dimension, group)
    source = _source()
    ctx = d._context(source, _filters(population, as_of, dimension, params.get("unit", "")))
    frame = source.run(
        m.kaplan_meier_by(
            ctx.stages,
            ctx.groups,
            start_kind=RETENTION_SPELLS[population],
            event_kind="separation",
            dimension=d.column_name(dimension),
            horizon_years=10,
            as_of=as_of,
        )
    )
    frame = m.km_confidence_band(frame) if frame.height else frame
    part = frame.filter(pl.col("group") == group).sort("time_days")
    value, _low, _high, at_risk = d.curve_at(part, years)
    followed = int(part["n_at_risk"][0]) if part.height else 0
    rule = policy()
    shown = pub.estimate(value, at_risk, rule)
    definition = _(
        "Kaplan-Meier estimate of the share of %(population)s with %(group)s still here "
        "%(years)d years after their appointment began, counting everyone followed up to "
        "%(date)s; hidden when fewer than %(n)d people were still followed then."
    ) % {
        "population": ctx.population_label.lower(),
        "group": _group_text(dimension, group),
        "years": years,
        "date": as_of.isoformat(),
        "n": rule.min_denominator,
    }
    return IndicatorValue(
        value=shown,
        numerator=None,
        denominator=pub.base_count(followed, rule),
        suppressed=shown is None and value is not None,
        definition=definition,
        as_of=as_of,
    )


def _mentoring_programs() -> list[tuple[str, str]]:
    from ristra.mentoring.models import Program

    return list(Program.objects.order_by("name").values_list("slug", "name"))


def _mentoring_match_rate(params: Mapping[str, Any], as_of: dt.date) -> IndicatorValue:
    from ristra.mentoring.models import (
        CycleStatus,
        Enrolment,
        EnrolmentStatus,
        Pair,
        Program,
        Role,
    )

    slug = params.get("program", "")
    cycles_done = [CycleStatus.PUBLISHED, CycleStatus.CLOSED]
    mentees = Enrolment.objects.filter(
        role=Role.MENTEE,
        status=EnrolmentStatus.ACTIVE,
        cycle__status__in=cycles_done,
        cycle__matching_on__lte=as_of,
    )
    if slug:
        mentees = mentees.filter(cycle__program__slug=slug)
    denominator = mentees.count()
    numerator = (
        Pair.objects.filter(mentee__in=mentees).values("mentee_id").distinct().count()
        if denominator
        else 0
    )
    name = Program.objects.filter(slug=slug).values_list("name", flat=True).first() if slug else ""
    definition = _(
        "Share of mentees enrolled (not withdrawn) in mentoring cycles matched by %(date)s "
        "%(program)s who were given a mentor."
    ) % {
        "date": as_of.isoformat(),
        "program": (_("of %(program)s") % {"program": name or slug})
        if slug
        else _("of every program"),
    }
    return published_share(
        {"matched": numerator, "unmatched": denominator - numerator},
        "matched",
        definition=definition,
        as_of=as_of,
    )


def _register_builtins() -> None:
    population = Param(
        "population",
        gettext_lazy("Population"),
        "choice",
        choices=_population_choices("students", "residents", "faculty", "senior_admin", "staff"),
    )
    register(
        IndicatorMeasure(
            key="population_share",
            label=gettext_lazy("Share of a population in a group on a census date"),
            description=gettext_lazy(
                "For example the share of faculty from groups underrepresented in medicine "
                "on October 1."
            ),
            unit="percent",
            compute=_population_share,
            params=(
                population,
                DIMENSION,
                GROUP,
                Param(
                    "census_date",
                    gettext_lazy("Census date"),
                    "date",
                    required=False,
                    help_text=gettext_lazy("Empty: the date of each reading."),
                ),
                UNIT,
            ),
        ),
        replace=True,
    )
    register(
        IndicatorMeasure(
            key="hires_share",
            label=gettext_lazy("Share of hires in a group in an academic year"),
            description=gettext_lazy(
                "For example the share of new faculty hires from groups underrepresented in "
                "medicine in 2025-26."
            ),
            unit="percent",
            compute=_hires_share,
            params=(
                Param(
                    "population",
                    gettext_lazy("Population"),
                    "choice",
                    choices=_population_choices(*HIRE_KINDS),
                ),
                DIMENSION,
                GROUP,
                Param(
                    "academic_year",
                    gettext_lazy("Academic year"),
                    "int",
                    required=False,
                    help_text=gettext_lazy(
                        "2025 = 2025-26. Empty: the last complete academic year at each reading."
                    ),
                ),
                UNIT,
            ),
        ),
        replace=True,
    )
    register(
        IndicatorMeasure(
            key="entrants_share",
            label=gettext_lazy("Share of offers or entrants in a group in an admissions cycle"),
            description=gettext_lazy(
                "For example the share of entrants with a rural background in the 2025 cycle."
            ),
            unit="percent",
            compute=_entrants_share,
            params=(
                Param(
                    "stage",
                    gettext_lazy("Offers or entrants"),
                    "choice",
                    choices=lambda: [(k, str(v)) for k, v in ENTRANT_STAGES.items()],
                ),
                DIMENSION,
                GROUP,
                Param(
                    "cycle",
                    gettext_lazy("Admissions cycle"),
                    "int",
                    required=False,
                    help_text=gettext_lazy("2025 = 2025-26. Empty: the cycle of each reading."),
                ),
            ),
        ),
        replace=True,
    )
    register(
        IndicatorMeasure(
            key="retention_rate",
            label=gettext_lazy("Retention after a number of years, for a group"),
            description=gettext_lazy(
                "For example the share of faculty from groups underrepresented in medicine "
                "still here five years after hire (Kaplan-Meier)."
            ),
            unit="percent",
            compute=_retention_rate,
            params=(
                Param(
                    "population",
                    gettext_lazy("Population"),
                    "choice",
                    choices=_population_choices(*RETENTION_SPELLS),
                ),
                DIMENSION,
                GROUP,
                Param("years", gettext_lazy("Years after hire"), "int", required=False),
                UNIT,
            ),
        ),
        replace=True,
    )
    register(
        IndicatorMeasure(
            key="mentoring_match_rate",
            label=gettext_lazy("Mentoring match rate"),
            description=gettext_lazy(
                "The share of enrolled mentees who were given a mentor, in one program or all."
            ),
            unit="percent",
            compute=_mentoring_match_rate,
            params=(
                Param(
                    "program",
                    gettext_lazy("Mentoring program"),
                    "choice",
                    required=False,
                    choices=_mentoring_programs,
                ),
            ),
            source="ristra.mentoring",
        ),
        replace=True,
    )


_register_builtins()
