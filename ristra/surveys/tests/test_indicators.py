"""The ``survey_factor_score`` indicator measure: the results page's own number."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ristra.reports import indicators as registry
from ristra.surveys.tests.conftest import fill

TODAY = dt.date(2026, 11, 16)


def _measure() -> registry.IndicatorMeasure:
    return registry.get("survey_factor_score")


def _read(params: dict[str, Any], as_of: dt.date = TODAY) -> registry.IndicatorValue:
    measure = _measure()
    return measure.compute(measure.clean_params(params), as_of)


def _page_row(client: Any, survey: Any, label: str, level: str) -> dict[str, Any]:
    page = client.get(reverse("surveys:results", args=[survey.pk]))
    assert page.status_code == 200
    table = next(s for s in page.context["report"].sections if s.key == "scores")
    row = next(r for r in table.rows if r[0] == label and r[1] == level)
    return {c.key: v for c, v in zip(table.columns, row, strict=True)}


def test_registered_by_the_surveys_app_and_not_demographic() -> None:
    measure = _measure()
    assert measure.source == "ristra.surveys"
    assert measure.unit == "percent"
    assert not measure.is_demographic({"factor": "belonging", "survey": "x", "wave": "2026"})


@pytest.mark.django_db
def test_the_value_is_the_results_page_percent_favourable(
    client_for: Any, survey_factory: Any
) -> None:
    survey = survey_factory(status="closed", published=True)
    fill(survey, 40)
    client = client_for("analyst")
    for key, label, level in (
        ("belonging", "Belonging", "Cluster"),
        ("fair_treatment", "Fair treatment", "Factor"),
    ):
        value = _read({"factor": key, "survey": survey.instrument_key})
        shown = _page_row(client, survey, label, level)
        assert value.value is not None
        assert value.value == shown["pct"]
        assert value.denominator == shown["n"] == 40
        assert value.numerator is None  # no count of favourable answers is published
        assert not value.suppressed
        assert label in value.definition


@pytest.mark.django_db
def test_latest_published_wave_and_the_default(survey_factory: Any) -> None:
    old = survey_factory(wave="2025", status="closed", published=True)
    fill(old, 20, seed=2)
    new = survey_factory(wave="2026", status="closed", published=True)
    fill(new, 30, seed=3)
    unpublished = survey_factory(wave="2027", status="closed")
    fill(unpublished, 40, seed=5)
    still_open = survey_factory(wave="2028", status="open")
    fill(still_open, 50, seed=4)
    key = new.instrument_key
    # 2027 is closed but not published, 2028 still open: neither is ever read
    assert _read({"factor": "voice", "survey": key}).denominator == 30
    assert _read({"factor": "voice", "survey": key, "wave": "2025"}).denominator == 20
    # No survey: the latest *published* survey (the standard report's).
    assert _read({"factor": "voice"}).denominator == 30


@pytest.mark.django_db
def test_a_small_survey_gives_a_hidden_value_never_a_small_count(survey_factory: Any) -> None:
    survey = survey_factory(status="closed", published=True, min_group=8)
    fill(survey, 6)
    value = _read({"factor": "belonging", "survey": survey.instrument_key})
    assert value.value is None and value.suppressed
    assert value.numerator is None and value.denominator is None
    fill(survey, 2, seed=9)  # 8 responses: exactly the survey's minimum, shown
    value = _read({"factor": "belonging", "survey": survey.instrument_key})
    assert value.value is not None and value.denominator == 8


@pytest.mark.django_db
def test_unknown_survey_factor_or_wave_is_a_clear_error(survey_factory: Any) -> None:
    with pytest.raises(registry.MeasureError, match="No climate survey results were published"):
        _read({"factor": "belonging"})
    survey = survey_factory(status="closed", published=True)
    fill(survey, 10)
    with pytest.raises(registry.MeasureError, match="'nope' is not a choice for Survey"):
        _read({"factor": "belonging", "survey": "nope"})
    with pytest.raises(registry.MeasureError, match="'happiness' is not a factor or cluster"):
        _read({"factor": "happiness", "survey": survey.instrument_key})
    with pytest.raises(registry.MeasureError, match="no published wave '1999'"):
        _read({"factor": "belonging", "survey": survey.instrument_key, "wave": "1999"})
    with pytest.raises(registry.MeasureError, match="Factor or cluster is required"):
        _read({"survey": survey.instrument_key})


@pytest.mark.django_db
def test_decision_makers_see_it(cast: dict[str, Any]) -> None:
    from ristra.plans.access import can_see_indicator
    from ristra.plans.models import Indicator

    mine = Indicator(
        measure_key="survey_factor_score", params={"factor": "belonging", "survey": "x"}
    )
    assert can_see_indicator(cast["decider"], mine)
    # ...while a share counted by a demographic dimension stays hidden from them.
    share = Indicator(
        measure_key="population_share",
        params={"population": "faculty", "dimension": "sex", "group": "female"},
    )
    assert not can_see_indicator(cast["decider"], share)
