"""The demo school's categories and sample benchmark."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from ristra.analytics.categories import parse_rule
from ristra.people.demo import DEMO_TODAY, build_demo_school
from ristra.people.snapshot import own_population, snapshot_frames
from ristra.reports.demo import BENCHMARK_NAME, DEMO_CATEGORIES, seed_definitions
from ristra.reports.models import Benchmark, Category
from ristra.reports.services import category_set


def test_every_demo_rule_parses() -> None:
    for spec in DEMO_CATEGORIES:
        parse_rule(spec.rule_text)


@pytest.mark.django_db
def test_it_seeds_once_however_often_it_runs() -> None:
    first = seed_definitions()
    rows = list(Category.objects.values_list("key", "population", "version", "effective_to"))
    second = seed_definitions()
    assert (first.categories_created, first.benchmark_created) == (len(DEMO_CATEGORIES), True)
    assert (second.categories_created, second.benchmark_created) == (0, False)
    assert list(Category.objects.values_list("key", "population", "version", "effective_to")) == (
        rows
    )
    assert Benchmark.objects.filter(name=BENCHMARK_NAME).count() == 1


@pytest.mark.django_db
def test_it_keeps_the_versions_in_order() -> None:
    seed_definitions()
    cats = category_set()
    assert cats is not None
    old = cats.definition_for("urim", "students", dt.date(2019, 9, 1))
    new = cats.definition_for("urim", "students", DEMO_TODAY)
    assert (old.version, old.effective_to, new.version) == (1, dt.date(2021, 6, 30), 2)
    assert "nhpi" in new.rule_text and "nhpi" not in old.rule_text
    faculty = cats.definition_for("women", "faculty", DEMO_TODAY)
    assert faculty.population == "faculty"
    assert cats.definition_for("women", "students", DEMO_TODAY).population == "*"


@pytest.mark.django_db
def test_it_leaves_an_offices_own_version_alone() -> None:
    Category.objects.create(
        key="rural",
        label="Our rural",
        population="*",
        rule_text='state == "NM"',
        effective_from=dt.date(2010, 1, 1),
    )
    seed_definitions()
    assert list(Category.objects.filter(key="rural").values_list("label", flat=True)) == [
        "Our rural"
    ]


@pytest.mark.django_db
def test_every_demo_category_answers_yes_and_no_for_someone(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    build_demo_school(seed=11, scale="small")
    seed_definitions()
    cats = category_set()
    assert cats is not None
    frames = snapshot_frames(category_set=cats, on=DEMO_TODAY)
    values = frames.school_categories
    stages = frames.stages
    kinds = {
        "students": "enrollment",
        "faculty": "faculty_appointment",
        "residents": "gme_appointment",
    }
    for population, key in [
        ("students", "rural"),
        ("students", "economically_disadvantaged"),
        ("students", "first_generation"),
        ("students", "women"),
        ("students", "urim"),
        ("faculty", "women"),
        ("faculty", "urim"),
        ("residents", "urim"),
    ]:
        members = stages.filter(
            (pl.col("kind") == kinds[population])
            & (pl.col("start_date") <= DEMO_TODAY)
            & (pl.col("end_date").is_null() | (pl.col("end_date") > DEMO_TODAY))
        )["person_id"]
        rows = own_population(cats, key, population, DEMO_TODAY)
        found = values.filter(
            (pl.col("population") == rows)
            & (pl.col("category") == key)
            & pl.col("person_id").is_in(members.implode())
        )["value"]
        assert found.len() > 0, (population, key)
        assert {"yes", "no"} <= set(found.to_list()), (population, key, found.value_counts())
