"""The ``pathway_cohort_yield`` indicator measure: the outcome report's published number."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ristra.pathways import outcomes as oc
from ristra.pathways.models import Cohort, PathwayProgram, ProgramKind
from ristra.pathways.tests.test_outcomes import _enrol
from ristra.reports import indicators as registry

TODAY = dt.date(2026, 11, 16)


@pytest.fixture(autouse=True)
def _min_cell(settings: Any) -> None:
    settings.RISTRA_MIN_CELL = 11


def _read(params: dict[str, Any]) -> registry.IndicatorValue:
    measure = registry.get("pathway_cohort_yield")
    return measure.compute(measure.clean_params(params), TODAY)


def _report_row(program: Any, label: str) -> dict[str, Any]:
    report = oc.outcomes_report([program], policy=registry.policy())
    table = next(s for s in report.sections if s.key == f"yield_{program.slug}")
    row = next(r for r in table.rows if r[0] == label)
    return {c.key: v for c, v in zip(table.columns, row, strict=True)}


def test_registered_by_the_pathways_app_and_not_demographic() -> None:
    measure = registry.get("pathway_cohort_yield")
    assert measure.source == "ristra.pathways"
    assert not measure.is_demographic({"program": "x", "step": "applied", "cohort_year": 2019})


def test_the_value_is_the_outcome_report_published_yield(program: Any, cohort: Any) -> None:
    later = Cohort.objects.create(
        program=program, year=2020, starts_on=dt.date(2020, 6, 1), ends_on=dt.date(2020, 7, 1)
    )
    _enrol(cohort, 60, applied=45, admitted=32, matriculated=20)
    _enrol(later, 50, applied=30, admitted=12, matriculated=12, prefix="q")
    for step in ("applied", "admitted", "matriculated", "graduated"):
        for year, label in ((None, "All"), (2019, "2019"), (2020, "2020")):
            params: dict[str, Any] = {"program": program.slug, "step": step}
            if year is not None:
                params["cohort_year"] = year
            value = _read(params)
            row = _report_row(program, label)
            assert value.numerator == row[step], (step, label)
            assert value.denominator == row["n"], (step, label)
            assert value.value == row[f"{step}_pct"], (step, label)
    total = _read({"program": program.slug, "step": "matriculated"})
    assert (total.numerator, total.denominator) == (32, 110)
    assert total.value == pytest.approx(32 / 110)
    assert "Summer Scholars" in total.definition


def test_a_small_program_gives_a_hidden_value_never_a_small_count(
    program: Any, cohort: Any
) -> None:
    _enrol(cohort, 8, applied=3, admitted=1)
    for step in ("applied", "admitted", "matriculated"):
        value = _read({"program": program.slug, "step": step})
        assert value.value is None and value.suppressed
        assert value.denominator is None
        # A small count is never published (nobody matriculated: the report shows 0).
        assert value.numerator is None if step != "matriculated" else value.numerator == 0
        row = _report_row(program, "All")
        assert row[step] == value.numerator and row[f"{step}_pct"] is None


def test_a_cohort_without_followed_participants_has_no_value(program: Any, cohort: Any) -> None:
    Cohort.objects.create(
        program=program, year=2020, starts_on=dt.date(2020, 6, 1), ends_on=dt.date(2020, 7, 1)
    )
    _enrol(cohort, 30, applied=20)
    value = _read({"program": program.slug, "step": "applied", "cohort_year": 2020})
    assert value.value is None and value.numerator is None and value.denominator is None


def test_unknown_program_step_or_cohort_is_a_clear_error(program: Any, cohort: Any) -> None:
    with pytest.raises(registry.MeasureError, match="'nope' is not a choice for Program"):
        _read({"program": "nope", "step": "applied"})
    with pytest.raises(registry.MeasureError, match="'flown' is not a choice for Step reached"):
        _read({"program": program.slug, "step": "flown"})
    with pytest.raises(registry.MeasureError, match="Summer Scholars has no cohort in 1990"):
        _read({"program": program.slug, "step": "applied", "cohort_year": 1990})
    with pytest.raises(registry.MeasureError, match="Program is required"):
        _read({"step": "applied"})
    support = PathwayProgram.objects.create(
        name="Success Seminars", slug="seminars", scope=program.scope, kind=ProgramKind.SUPPORT
    )
    with pytest.raises(registry.MeasureError, match="'admitted' is not a step of Success"):
        _read({"program": support.slug, "step": "admitted"})
    measure = registry.get("pathway_cohort_yield")
    with pytest.raises(registry.MeasureError, match="no pathway or support program 'gone'"):
        measure.compute({"program": "gone", "step": "applied"}, TODAY)


@pytest.mark.django_db
def test_decision_makers_see_it(cast: dict[str, Any]) -> None:
    from ristra.plans.access import can_see_indicator
    from ristra.plans.models import Indicator

    mine = Indicator(measure_key="pathway_cohort_yield", params={"program": "x", "step": "applied"})
    assert can_see_indicator(cast["decider"], mine)
    # ...while a share counted by a demographic dimension stays hidden from them.
    share = Indicator(
        measure_key="population_share",
        params={"population": "faculty", "dimension": "sex", "group": "female"},
    )
    assert not can_see_indicator(cast["decider"], share)
