"""The pathway programs' indicator measure: cohort yield at one step.

Registered from :meth:`ristra.pathways.apps.PathwaysConfig.ready` into
:mod:`ristra.reports.indicators` (reports never imports this app).

Decisions
---------
* **The report's own number.** The reading is the program's cohort-yield table of the
  pathway-outcomes report (:func:`ristra.pathways.outcomes.program_sections`, same code,
  same suppression with ``RISTRA_MIN_CELL``): the "All" row, or the row of one cohort
  year. Value, numerator (people who reached the step or beyond) and denominator (followed
  participants) are the cells the report publishes, hidden exactly where it hides them.
* **Steps.** Pathway programs: applied, admitted, matriculated, graduated, residency;
  support programs: retained, graduated (as in the report).
* **As of.** The report has no date: a reading counts every outcome recorded when it is
  computed.
* **Not demographic.** Participants are counted all together, never by group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ristra.reports import indicators as registry

KEY = "pathway_cohort_yield"
STEPS = ("applied", "admitted", "matriculated", "graduated", "residency", "retained")


def program_choices() -> list[tuple[str, str]]:
    from ristra.pathways.models import PathwayProgram

    return list(PathwayProgram.objects.order_by("name").values_list("slug", "name"))


def _step_choices() -> list[tuple[str, str]]:
    from ristra.pathways.outcomes import pathway_steps, support_steps

    labels = dict(pathway_steps()) | dict(support_steps())
    return [(s, str(labels[s])) for s in STEPS]


def compute(params: Mapping[str, Any], as_of: dt.date) -> registry.IndicatorValue:
    from ristra.pathways.models import PathwayProgram
    from ristra.pathways.outcomes import pathway_steps, program_sections, support_steps

    slug, step = params["program"], params["step"]
    program = PathwayProgram.objects.filter(slug=slug).first()
    if program is None:
        raise registry.MeasureError(
            _("There is no pathway or support program %(program)s.") % {"program": repr(slug)}
        )
    steps = support_steps() if program.is_support else pathway_steps()
    labels = dict(steps)
    if step not in labels:
        raise registry.MeasureError(
            _("%(step)s is not a step of %(program)s (choose one of %(choices)s).")
            % {"step": repr(step), "program": program.name, "choices": ", ".join(labels)}
        )
    raw_year: Any = params.get("cohort_year")
    year = int(raw_year) if raw_year not in (None, "") else None
    if year is not None and not program.cohorts.filter(year=year).exists():
        raise registry.MeasureError(
            _("%(program)s has no cohort in %(year)s.") % {"program": program.name, "year": year}
        )
    definition = _(
        "Of the participants of %(program)s%(cohort)s who consented to follow-up, the share "
        "who %(step)s (or went further), from the person record of the person each was "
        "linked to; as published in the pathway outcome report."
    ) % {
        "program": program.name,
        "cohort": (_(" (cohort %(year)s)") % {"year": year}) if year is not None else "",
        "step": str(labels[step]).lower(),
    }
    sections, _notes = program_sections(program, policy=registry.policy())
    table = next((s for s in sections if s.key == f"yield_{program.slug}"), None)
    row: Any = None
    if table is not None:
        if year is None:
            row = table.rows[max(table.total_rows)] if table.total_rows else None
        else:
            row = next((r for r in table.rows if r[0] == str(year)), None)
    if row is None:  # no followed participant (in that cohort): nothing is published
        return registry.IndicatorValue(
            value=None,
            numerator=None,
            denominator=None,
            suppressed=False,
            definition=definition,
            as_of=as_of,
        )
    assert table is not None
    n = row[table.column_index("n")]
    count = row[table.column_index(step)]
    share = row[table.column_index(f"{step}_pct")]
    value = share if isinstance(share, float) else None
    return registry.IndicatorValue(
        value=value,
        numerator=count if isinstance(count, int) else None,
        denominator=n if isinstance(n, int) else None,
        suppressed=value is None,
        definition=definition,
        as_of=as_of,
    )


def register() -> None:
    registry.register(
        registry.IndicatorMeasure(
            key=KEY,
            label=gettext_lazy("Pathway program: cohort yield at a step"),
            description=gettext_lazy(
                "For example the share of a summer academy's participants who matriculated "
                "at the school (as in the pathway outcome report)."
            ),
            unit="percent",
            compute=compute,
            params=(
                registry.Param(
                    "program",
                    gettext_lazy("Program"),
                    "choice",
                    help_text=gettext_lazy("The program's short name."),
                    choices=program_choices,
                ),
                registry.Param(
                    "step",
                    gettext_lazy("Step reached"),
                    "choice",
                    help_text=gettext_lazy(
                        "applied, admitted, matriculated, graduated or residency; support "
                        "programs: retained or graduated."
                    ),
                    choices=_step_choices,
                ),
                registry.Param(
                    "cohort_year",
                    gettext_lazy("Cohort year"),
                    "int",
                    required=False,
                    help_text=gettext_lazy("Empty: every cohort together."),
                ),
            ),
            demographic_params=(),
            source="ristra.pathways",
        ),
        replace=True,
    )
