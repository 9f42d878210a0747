"""The results page and its downloads: scores, groups, suppression, role limits."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from ristra.reports.published import HIDDEN
from ristra.surveys.results import build_report
from ristra.surveys.tests.conftest import fill


def _section(report: Any, key: str) -> Any:
    return next(s for s in report.sections if s.key == key)


@pytest.mark.django_db
def test_groups_below_the_threshold_are_hidden_with_a_complement(survey_factory: Any):
    survey = survey_factory()
    fill(survey, 30, groups={"role": ["Faculty"]})
    fill(survey, 20, seed=2, groups={"role": ["Staff"]})
    fill(survey, 3, seed=3, groups={"role": ["Student"]})
    report = build_report(survey, breakdowns=True, by="role")
    table = _section(report, "by_role")
    rows = {row[0]: row for row in table.rows}
    assert rows["Student"][1] is HIDDEN
    # Staff is hidden too: everyone minus faculty minus staff would give the 3 students.
    assert rows["Staff"][1] is HIDDEN
    assert rows["Faculty"][1] == 30
    assert all(cell is HIDDEN for cell in rows["Student"][2:])
    overall = _section(report, "scores")
    assert overall.rows[0][2] == 53


@pytest.mark.django_db
def test_no_breakdowns_for_a_decision_maker(survey_factory: Any):
    survey = survey_factory()
    fill(survey, 40)
    report = build_report(survey, breakdowns=False)
    keys = [s.key for s in report.sections]
    assert "scores" in keys and "items" in keys
    assert not any(
        k.startswith(("by_", "gaps_", "response_rate", "representativeness")) for k in keys
    )


@pytest.mark.django_db
def test_too_few_responses_show_nothing(survey_factory: Any):
    survey = survey_factory()
    fill(survey, 4)
    report = build_report(survey, breakdowns=True)
    assert report.sections == ()


@pytest.mark.django_db
def test_gaps_and_year_over_year_appear(survey_factory: Any):
    old = survey_factory(wave="2025")
    fill(old, 60, seed=5)
    new = survey_factory(wave="2026")
    fill(new, 60, seed=6)
    report = build_report(new, breakdowns=True, by="role")
    keys = [s.key for s in report.sections]
    assert "gaps_role" in keys
    assert "year_over_year" in keys


@pytest.mark.django_db
def test_comments_are_quoted_only_above_the_comment_threshold(survey_factory: Any):
    survey = survey_factory(min_comments=10)
    fill(survey, 8)
    report = build_report(survey, breakdowns=True)
    themes = _section(report, "themes_strength")
    assert themes.rows == ()
    assert "not shown" in themes.summary


@pytest.mark.django_db
def test_the_results_page_and_downloads(client_for: Any, survey_factory: Any):
    survey = survey_factory()
    fill(survey, 40)
    client = client_for("analyst")
    page = client.get(reverse("surveys:results", args=[survey.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Scores by cluster and factor" in body
    for fmt in ("csv", "xlsx", "pdf"):
        download = client.get(reverse("surveys:results", args=[survey.pk]), {"format": fmt})
        assert download.status_code == 200
        assert download["Content-Disposition"].endswith(f'.{fmt}"')


@pytest.mark.django_db
def test_a_benchmark_file_is_checked_and_compared(client_for: Any, survey_factory: Any):
    from django.core.files.uploadedfile import SimpleUploadedFile

    survey = survey_factory()
    fill(survey, 40)
    client = client_for("analyst")
    bad = SimpleUploadedFile("b.csv", b"level,key,pct_favourable\nfactor,nope,50\n")
    page = client.post(
        reverse("surveys:benchmark", args=[survey.pk]), {"label": "Peers", "upload": bad}
    )
    assert "line 2" in page.content.decode().lower()
    good = SimpleUploadedFile("b.csv", b"level,key,mean,pct_favourable\nfactor,voice,3.4,61\n")
    client.post(reverse("surveys:benchmark", args=[survey.pk]), {"label": "Peers", "upload": good})
    survey.refresh_from_db()
    report = build_report(survey, breakdowns=True)
    bench = _section(report, "benchmark")
    assert bench.rows[0][2] == pytest.approx(0.61)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_benchmark_parser_refuses_any_bad_file_with_a_clear_error(text: str) -> None:
    from ristra.analytics.surveys import example_instrument
    from ristra.surveys.results import BenchmarkError, benchmark_parse

    try:
        rows = benchmark_parse(text, example_instrument())
    except BenchmarkError as error:
        assert str(error)
    else:
        assert all(r.pct_favourable is None or 0 <= r.pct_favourable <= 1 for r in rows)


@settings(max_examples=100, deadline=None)
@given(
    pct=st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5)),
    key=st.sampled_from(["voice", "nope", "connection", ""]),
)
def test_benchmark_parser_rows(pct: object, key: str) -> None:
    from ristra.analytics.surveys import example_instrument
    from ristra.surveys.results import BenchmarkError, benchmark_parse

    text = f"level,key,pct_favourable\nfactor,{key},{pct}\n"
    try:
        rows = benchmark_parse(text, example_instrument())
    except BenchmarkError as error:
        # the line at fault is named (a generated value may hold a line break: line 3)
        assert re.search(r"Line \d+:", str(error)) or "columns" in str(error)
    else:
        assert key in ("voice", "connection")
        assert all(r.pct_favourable is None or 0 <= r.pct_favourable <= 1 for r in rows)


def _filtered_survey(survey_factory: Any, *, staff_men: int) -> Any:
    survey = survey_factory(filter_split="role")
    fill(survey, 12, seed=11, groups={"role": ["Faculty"], "gender": ["Woman"]})
    fill(survey, 9, seed=12, groups={"role": ["Faculty"], "gender": ["Man"]})
    fill(survey, 10, seed=13, groups={"role": ["Staff"], "gender": ["Woman"]})
    fill(survey, staff_men, seed=14, groups={"role": ["Staff"], "gender": ["Man"]})
    return survey


@pytest.mark.django_db
def test_a_filter_group_is_broken_down_when_every_group_is_large(survey_factory: Any):
    survey = _filtered_survey(survey_factory, staff_men=8)
    report = build_report(survey, breakdowns=True, within="Faculty")
    rows = {row[0]: row for row in _section(report, "by_gender").rows}
    assert rows["Woman"][1] == 12 and rows["Man"][1] == 9
    assert _section(report, "scores").rows[0][2] == 21  # the faculty only
    assert "gaps_gender" in [s.key for s in report.sections]
    assert not any(
        s.key.startswith(("by_role", "themes_", "response_rate")) for s in report.sections
    )


@pytest.mark.django_db
def test_a_filtered_breakdown_is_withheld_when_differencing_would_reveal_a_small_group(
    survey_factory: Any,
):
    # Faculty by gender alone is safe (12, 9), but men overall (11) minus faculty men (9)
    # would give the 2 staff men: neither role may be broken down by gender.
    survey = _filtered_survey(survey_factory, staff_men=2)
    for role in ("Faculty", "Staff"):
        report = build_report(survey, breakdowns=True, within=role)
        assert "by_gender" not in [s.key for s in report.sections]
        assert any("What is your gender?" in note for note in report.notes)
    unfiltered = build_report(survey, breakdowns=True, by="gender")
    assert {row[0]: row[1] for row in _section(unfiltered, "by_gender").rows}["Man"] == 11


@pytest.mark.django_db
def test_the_filter_is_ignored_without_breakdowns_or_a_filter_question(survey_factory: Any):
    survey = _filtered_survey(survey_factory, staff_men=8)
    report = build_report(survey, breakdowns=False, within="Faculty")
    assert _section(report, "scores").rows[0][2] == 39
    survey.filter_split = ""
    report = build_report(survey, breakdowns=True, within="Faculty")
    assert _section(report, "scores").rows[0][2] == 39


@pytest.mark.django_db
def test_the_results_page_filters_and_breaks_down(client_for: Any, survey_factory: Any):
    survey = _filtered_survey(survey_factory, staff_men=8)
    url = reverse("surveys:results", args=[survey.pk])
    page = client_for("analyst").get(url, {"within": "Faculty", "by": "gender"})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="within"' in body and '<option value="Faculty" selected>' in body
    assert "Only respondents who answered" in body
    csv = client_for("analyst").get(url, {"within": "Faculty", "by": "gender", "format": "csv"})
    assert csv.status_code == 200
    # An answer that is not an option is ignored, never an error.
    assert client_for("analyst").get(url, {"within": "<script>"}).status_code == 200
    # A decision-maker gets neither the filter nor the breakdowns.
    body = client_for("decider").get(url, {"within": "Faculty"}).content.decode()
    assert 'id="within"' not in body


@pytest.mark.django_db
def test_a_new_survey_refuses_a_filter_question_that_is_not_demographic(client_for: Any):
    from ristra.surveys.tests.conftest import example_text

    response = client_for("analyst").post(
        reverse("surveys:new"),
        {
            "s-title": "Climate",
            "s-wave": "2027",
            "s-mode": "link",
            "s-min_group": 5,
            "s-min_comments": 10,
            "s-filter_split": "belong1",
            "i-text": example_text(),
            "i-fmt": "yaml",
        },
    )
    assert response.status_code == 200
    assert "is not a demographic question of the instrument" in response.content.decode()
