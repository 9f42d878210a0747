"""The demo plan: goals in the five areas, indicators bound to real measures of the demo
data, trainings with completions and overdue people, searches with checklists."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ristra.people.demo import DEMO_TODAY
from ristra.plans.demo import MISSING_MEASURE, seed_plans
from ristra.plans.models import (
    Area,
    CompletionRow,
    Goal,
    Indicator,
    Plan,
    ReadingStatus,
    RowFate,
    Search,
)
from ristra.reports import dashboards as d


@pytest.fixture
def demo(demo_snapshot: Any, settings: Any, db: Any) -> Any:
    settings.RISTRA_SNAPSHOT_PATH = demo_snapshot
    d.forget_cached()
    from ristra.mentoring.demo import seed_mentoring
    from ristra.pathways.demo import seed_pathways
    from ristra.surveys.demo import seed_surveys

    # As in ``ristra demo``: the surveys and pathways the plan's indicators read come first.
    seed_mentoring()
    seed_pathways()
    seed_surveys()
    return seed_plans()


def test_the_demo_plan_covers_the_five_areas_with_real_indicators(demo: Any) -> None:
    assert demo is not None
    school = Plan.objects.get(parent=None)
    areas = set(Goal.objects.filter(plan=school).values_list("area", flat=True))
    assert {
        Area.FACULTY_HIRING,
        Area.STAFF_HIRING,
        Area.CAMPUS_CLIMATE,
        Area.PROFESSIONAL_TRAINING,
        Area.CURRICULUM_DESIGN,
    } <= areas
    assert Plan.objects.filter(parent=school).count() == 2
    computed = 0
    for indicator in Indicator.objects.all():
        reading = indicator.latest()
        assert reading is not None
        if indicator.measure_key == MISSING_MEASURE:
            assert reading.status == ReadingStatus.UNAVAILABLE
            assert "no longer available" in reading.message
        else:
            assert reading.status == ReadingStatus.OK, reading.message
            assert reading.definition
            computed += 1
    assert computed >= 8
    assert Indicator.objects.filter(measure_key=MISSING_MEASURE).count() == 1
    shown = [i.latest().value for i in Indicator.objects.all() if i.latest().value is not None]  # type: ignore[union-attr]
    assert len(shown) >= 2, "the demo indicators should be publishable (small scale here)"
    # The faculty share agrees with the faculty dashboard's published composition.
    share = Indicator.objects.get(measure_key="population_share").latest()
    assert share is not None and share.denominator is not None and share.denominator > 0
    filters = d.Filters(
        population="faculty",
        as_of=DEMO_TODAY,
        first_year=2026,
        last_year=2026,
        dimension="school:urim",
        min_cell=11,
    )
    report = d.build_dashboard(filters)
    composition = next(s for s in report.sections if s.key == "composition")
    yes_row = next(r for r in composition.rows if r[0] == d.YES_NO_LABELS["yes"])
    total_row = composition.rows[-1]
    assert share.numerator == yes_row[1]
    assert share.denominator == total_row[1]


def test_the_demo_climate_and_pathway_indicators_read_their_reports(demo: Any) -> None:
    from ristra.pathways.models import PathwayProgram
    from ristra.pathways.outcomes import outcomes_report
    from ristra.reports import indicators as registry
    from ristra.surveys.models import Survey
    from ristra.surveys.results import build_report

    climate = Indicator.objects.get(measure_key="survey_factor_score")
    reading = climate.latest()
    assert reading is not None
    assert reading.status == ReadingStatus.OK, reading.message
    survey = Survey.objects.get(wave="2026", published=True)
    scores = next(s for s in build_report(survey, breakdowns=False).sections if s.key == "scores")
    belonging = next(r for r in scores.rows if r[0] == "Belonging" and r[1] == "Cluster")
    assert reading.value is not None and reading.value == pytest.approx(belonging[4])
    assert reading.denominator == belonging[2]
    assert climate.baseline is not None  # the 2025 wave
    assert climate.baseline_on is not None and climate.baseline_on.year == 2025

    pathway = Indicator.objects.get(measure_key="pathway_cohort_yield")
    reading = pathway.latest()
    assert reading is not None
    assert reading.status == ReadingStatus.OK, reading.message
    academy = PathwayProgram.objects.get(slug="summer-academy")
    report = outcomes_report([academy], policy=registry.policy())
    table = next(s for s in report.sections if s.key == "yield_summer-academy")
    total = table.rows[max(table.total_rows)]
    step = pathway.params["step"]
    assert reading.numerator == total[table.column_index(step)]
    assert reading.denominator == total[table.column_index("n")]
    published = total[table.column_index(f"{step}_pct")]
    assert published is not None, "the demo's pathway indicator should show a value"
    assert reading.value == pytest.approx(published)


def test_the_demo_has_trainings_with_completions_and_overdue_people(demo: Any) -> None:
    assert demo.completions > 50
    assert demo.overdue > 0
    rejected = CompletionRow.objects.filter(fate=RowFate.REJECTED)
    messages = " ".join(rejected.values_list("message", flat=True))
    assert "No person has the identifier 'S0000001'" in messages
    assert "another course" in messages
    assert "is not a date" in messages
    assert Search.objects.count() == 3
    for search in Search.objects.all():
        assert search.checklist.count() == 5
        assert search.members.count() == 4


def test_the_demo_pages_render(demo: Any, client: Any) -> None:
    from ristra.accounts.models import User

    admin = User.objects.get(username="admin")
    client.force_login(admin)
    school = Plan.objects.get(parent=None)
    for url in [
        reverse("plans:home"),
        reverse("plans:plan", args=[school.pk]),
        reverse("plans:trainings"),
        reverse("plans:searches"),
        reverse("plans:search", args=[Search.objects.first().pk]),  # type: ignore[union-attr]
    ]:
        assert client.get(url).status_code == 200, url
    pdf = client.get(reverse("plans:export", args=[school.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_print_demo_readings(demo: Any) -> None:
    """Prints each demo indicator's reading (run with -s to see the measured figures)."""
    for indicator in Indicator.objects.order_by("id"):
        reading = indicator.latest()
        assert reading is not None
        print(  # noqa: T201
            f"{indicator.label}: status={reading.status} value={reading.value} "
            f"num={reading.numerator} den={reading.denominator} baseline={indicator.baseline}"
        )
