"""The demo school's climate survey: two completed waves with plausible results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ristra.surveys.models import ActionItem, Invitation, Response, Survey

SNAPSHOT: Path | None = None


@pytest.fixture(scope="module")
def demo_surveys(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Any:
    from ristra.people.demo import build_demo_school, clear_people_data
    from ristra.people.snapshot import snapshot_frames, snapshot_write
    from ristra.surveys.demo import seed_surveys

    global SNAPSHOT
    SNAPSHOT = tmp_path_factory.mktemp("snap") / "snapshot.duckdb"
    with django_db_blocker.unblock():
        build_demo_school(seed=7, scale="small")
        snapshot_write(SNAPSHOT, snapshot_frames())
        created = seed_surveys()
    yield created
    with django_db_blocker.unblock():
        Survey.objects.all().delete()
        clear_people_data()


@pytest.mark.django_db
def test_two_completed_waves_with_comments(demo_surveys: int) -> None:
    from ristra.surveys.demo import seed_surveys

    assert demo_surveys > 100
    waves = list(Survey.objects.order_by("wave").values_list("wave", "status"))
    assert waves == [("2025", "closed"), ("2026", "closed")]
    for survey in Survey.objects.all():
        responded = Invitation.objects.filter(survey=survey, responded=True).count()
        assert responded == Response.objects.filter(survey=survey).count()
    comments = sum(
        ("strength" in a) + ("change" in a)
        for a in Response.objects.values_list("answers", flat=True)
    )
    assert comments > 100
    spanish = sum(
        1
        for a in Response.objects.values_list("answers", flat=True)
        if any(w in str(a) for w in ("escuela", "unidad", "liderazgo", "colegas", "español"))
    )
    assert spanish > 0
    assert ActionItem.objects.count() == 3
    assert seed_surveys() == 0  # idempotent


@pytest.mark.django_db
def test_the_demo_results_show_the_planted_gaps(demo_surveys: int) -> None:
    from ristra.surveys.results import build_report

    survey = Survey.objects.get(wave="2026")
    fair: dict[str, list[float]] = {"Yes": [], "No": []}
    for answers, demographics in Response.objects.values_list("answers", "demographics"):
        values = [answers[k] for k in ("fai1", "fai2", "fai3", "fai4") if k in answers]
        if demographics.get("urim") in fair and values:
            fair[demographics["urim"]].append(sum(values) / len(values))
    mean = {k: sum(v) / len(v) for k, v in fair.items()}
    assert mean["Yes"] < mean["No"] - 0.15
    report = build_report(survey, breakdowns=True, by="urim")
    keys = [s.key for s in report.sections]
    assert "year_over_year" in keys and "benchmark" in keys
    themes = next(s for s in report.sections if s.key == "themes_strength")
    assert themes.rows


@pytest.mark.django_db
def test_the_report_command_writes_the_published_survey(
    demo_surveys: int, settings: Any, tmp_path: Path
) -> None:
    import io

    from django.core.management import call_command

    settings.RISTRA_SNAPSHOT_PATH = SNAPSHOT
    for fmt in ("csv", "xlsx", "pdf"):
        target = tmp_path / f"survey.{fmt}"
        call_command(
            "report", "survey-results", "--format", fmt, "--out", str(target), stdout=io.StringIO()
        )
        assert target.stat().st_size > 1000
    text = (tmp_path / "survey.csv").read_text(encoding="utf-8-sig")
    assert "Campus climate survey (2026)" in text
    assert "Connection to the community" in text
    assert "Response rate by unit" in text and "Unit (person record)" in text


@pytest.mark.django_db
def test_the_demo_survey_carries_units_honestly(demo_surveys: int) -> None:
    from ristra.analytics.disclosure import POOLED
    from ristra.surveys.models import UNIT_KEY
    from ristra.surveys.results import build_report

    survey = Survey.objects.get(wave="2026")
    assert survey.carry_unit
    invited_units = set(Invitation.objects.filter(survey=survey).values_list("unit", flat=True))
    assert len(invited_units - {""}) >= 5
    stored: dict[str, int] = {}
    for d in Response.objects.filter(survey=survey).values_list("demographics", flat=True):
        stored[d.get(UNIT_KEY, "")] = stored.get(d.get(UNIT_KEY, ""), 0) + 1
    # every stored unit label is shared by at least the smallest group shown
    assert all(n >= survey.min_group for n in stored.values()), stored
    assert "" not in stored  # everyone invited has a unit, or is pooled
    report = build_report(survey, breakdowns=True, by=UNIT_KEY)
    rates = next(s for s in report.sections if s.key == "response_rate_unit")
    assert len(rates.rows) == len(invited_units) + 1  # and the total
    by_unit = next(s for s in report.sections if s.key == f"by_{UNIT_KEY}")
    shown = [r for r in by_unit.rows if r[1] is not None]
    assert len(shown) >= 2  # scores for some named units ...
    assert POOLED in stored  # ... and the small ones pooled


@pytest.mark.django_db
def test_the_generic_report_screen_shows_it_to_a_viewer_but_not_a_decision_maker(
    demo_surveys: int, client_for: Any
) -> None:
    from django.urls import reverse

    url = reverse("reports:report", args=["survey-results"])
    assert client_for("viewer").get(url).status_code == 200
    assert client_for("decider").get(url).status_code == 403
