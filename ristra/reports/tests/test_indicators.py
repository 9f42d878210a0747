"""The indicator-measure registry and how a share is published."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ristra.analytics import suppression as sup
from ristra.reports import indicators

DAY = dt.date(2026, 10, 1)


def test_the_built_in_measures_are_registered() -> None:
    keys = {m.key for m in indicators.all()}
    assert {
        "population_share",
        "hires_share",
        "entrants_share",
        "retention_rate",
        "mentoring_match_rate",
    } <= keys
    assert indicators.get("mentoring_match_rate").source == "ristra.mentoring"


def test_an_unknown_key_is_a_clear_error() -> None:
    with pytest.raises(indicators.UnknownMeasure) as caught:
        indicators.get("climate_score")
    assert "'climate_score' is no longer available" in str(caught.value)


def test_another_app_can_register_and_remove_a_measure() -> None:
    measure = indicators.IndicatorMeasure(
        key="test_cohort_yield",
        label="Cohort yield",
        description="",
        unit="percent",
        params=(indicators.Param("cohort", "Cohort", "int"),),
        compute=lambda params, as_of: indicators.published_share(
            {"yes": 30, "no": 70}, "yes", definition=f"cohort {params['cohort']}", as_of=as_of
        ),
    )
    indicators.register(measure)
    try:
        clean = indicators.get("test_cohort_yield").clean_params({"cohort": "2024"})
        assert clean == {"cohort": 2024}
        value = measure.compute(clean, DAY)
        assert (value.value, value.numerator, value.denominator) == (0.3, 30, 100)
        with pytest.raises(indicators.MeasureError, match="must be a whole number"):
            measure.clean_params({"cohort": "last year"})
    finally:
        indicators.unregister("test_cohort_yield")
    with pytest.raises(indicators.UnknownMeasure):
        indicators.get("test_cohort_yield")


@pytest.mark.django_db
def test_parameters_are_checked_with_every_problem_listed() -> None:
    measure = indicators.get("population_share")
    with pytest.raises(indicators.MeasureError) as caught:
        measure.clean_params({"population": "pets", "census_date": "soon"})
    message = caught.value.message
    assert "'pets' is not a choice for Population" in message
    assert "Counted by is required." in message
    assert "Group is required." in message
    assert "Census date must be a date" in message
    assert measure.is_demographic({"dimension": "sex"})
    assert not indicators.get("mentoring_match_rate").is_demographic({"program": "x"})


def test_a_measure_without_a_snapshot_says_so(settings: Any, tmp_path: Any) -> None:
    settings.RISTRA_SNAPSHOT_PATH = tmp_path / "none.duckdb"
    with pytest.raises(indicators.MeasureError, match="no analytics snapshot"):
        indicators.get("retention_rate").compute(
            {"population": "faculty", "dimension": "sex", "group": "female"}, DAY
        )


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(st.dictionaries(st.sampled_from(["a", "b", "c", "unknown"]), st.integers(0, 60), min_size=1))
def test_a_published_share_never_shows_a_small_count_and_matches_the_breakdown(
    counts: dict[str, int],
) -> None:
    group = next(iter(counts))
    value = indicators.published_share(counts, group, definition="d", as_of=DAY)
    policy = indicators.policy()
    for shown in (value.numerator, value.denominator):
        assert shown is None or not policy.is_sensitive(shown)
    breakdown = sup.suppress_counts(counts, sum(counts.values()), policy=policy)
    assert value.numerator == breakdown.values[group]
    assert value.denominator == breakdown.total
    if value.value is not None:
        assert value.numerator is not None and value.denominator
        assert value.value == pytest.approx(value.numerator / value.denominator)
        assert value.denominator >= policy.min_denominator
    assert value.suppressed == (value.value is None and sum(counts.values()) > 0)
