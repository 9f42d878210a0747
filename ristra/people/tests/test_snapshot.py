from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ristra.analytics import measures
from ristra.analytics.categories import CategoryDefinition, CategorySet
from ristra.people import snapshot
from ristra.people.demo import build_demo_school
from ristra.people.models import Person, SelfIdentification, Stage, StageKind
from ristra.people.snapshot import SnapshotFrames, snapshot_frames, snapshot_write

CENSUS = dt.date(2024, 10, 1)
IPEDS_GROUPS = 8  # nine IPEDS categories less 'unknown', which is a value, not a key


@pytest.fixture
def demo(db: Any) -> None:
    build_demo_school(scale="small")


def _person(name: str) -> Person:
    return Person.objects.create(given_name=name, family_name="Test")


def _answer(
    person: Person,
    dimension: str,
    codes: list[str],
    on: dt.date,
    *,
    source: str = "survey",
    declined: bool = False,
) -> SelfIdentification:
    return SelfIdentification.objects.record_answer(
        person=person,
        dimension=dimension,
        codes=codes,
        raw_value=";".join(codes),
        declined=declined,
        source=source,
        reported_on=on,
    )


def _categories(frames: SnapshotFrames, person: Person, prefix: str) -> dict[str, str]:
    rows = frames.categories.filter(
        (pl.col("person_id") == person.pk) & pl.col("category").str.starts_with(prefix)
    )
    return dict(zip(rows["category"], rows["value"], strict=True))


def test_polars_schemas_mirror_the_measures_schemas() -> None:
    for polars_schema, ibis_schema in (
        (snapshot.STAGES_SCHEMA, measures.STAGES_SCHEMA),
        (snapshot.CATEGORIES_SCHEMA, measures.CATEGORIES_SCHEMA),
    ):
        assert list(polars_schema) == list(ibis_schema.names)
        assert ibis_schema == measures.ibis.schema(
            {n: _ibis_type(t) for n, t in polars_schema.items()}
        )


def _ibis_type(dtype: pl.DataType) -> str:
    return {
        pl.Int64: "int64",
        pl.String: "string",
        pl.Date: "date",
        pl.Boolean: "boolean",
    }[dtype.base_type()]


@pytest.mark.django_db
def test_faculty_headcount_on_the_snapshot_matches_the_orm(demo: None, tmp_path: Path) -> None:
    path = snapshot_write(tmp_path / "snapshot.duckdb", snapshot_frames())
    backend = measures.duckdb_backend(str(path), read_only=True)
    stages, categories = backend.table("stages"), backend.table("categories")
    assert stages.schema() == measures.STAGES_SCHEMA
    assert categories.schema() == measures.CATEGORIES_SCHEMA

    result = measures.run(
        measures.headcount(
            stages,
            categories,
            kinds=["faculty_appointment"],
            as_of=CENSUS,
            category="ipeds:hispanic",
        ),
        backend,
    )
    expected = (
        Stage.objects.active_on(CENSUS)
        .filter(kind=StageKind.FACULTY_APPOINTMENT)
        .values("person_id")
        .distinct()
        .count()
    )
    assert expected > 0
    assert int(result["count"].sum()) == expected
    assert set(result["total"].to_list()) == {expected}

    # unit is the org unit code.
    with_units = Stage.objects.filter(org_unit__isnull=False)
    codes = set(with_units.values_list("org_unit__code", flat=True))
    exported = set(measures.run(stages.select("unit").distinct(), backend)["unit"].to_list())
    assert codes <= exported


@pytest.mark.django_db
def test_stages_as_of_keeps_stages_begun_by_then(demo: None) -> None:
    frames = snapshot_frames(as_of=CENSUS)
    assert frames.stages.height == Stage.objects.as_of(CENSUS).count()
    assert frames.stages["start_date"].max() <= CENSUS  # type: ignore[operator]
    assert frames.stages.schema == pl.Schema(snapshot.STAGES_SCHEMA)


@pytest.mark.django_db
def test_latest_answer_per_person_and_dimension() -> None:
    ana = _person("Ana")
    _answer(ana, "race", ["white"], dt.date(2019, 5, 1))
    _answer(ana, "race", ["black"], dt.date(2022, 5, 1))
    _answer(ana, "race", ["asian"], dt.date(2025, 5, 1))  # after the cut-off below
    _answer(ana, "hispanic", ["no"], dt.date(2019, 5, 1))
    # Same date, two sources: the later row (greater id) wins.
    _answer(ana, "sex", ["male"], dt.date(2020, 1, 1), source="a")
    _answer(ana, "sex", ["female"], dt.date(2020, 1, 1), source="b")

    frames = snapshot_frames(as_of=dt.date(2024, 1, 1))
    answers = frames.answers.filter(pl.col("person_id") == ana.pk)
    assert answers.schema == pl.Schema(snapshot.ANSWERS_SCHEMA)
    latest = {d: c for d, c in zip(answers["dimension"], answers["codes"].to_list(), strict=True)}
    assert latest == {"race": ["black"], "hispanic": ["no"], "sex": ["female"]}
    assert answers.filter(pl.col("dimension") == "race")["reported_on"].item() == dt.date(
        2022, 5, 1
    )
    assert _categories(frames, ana, "ipeds:")["ipeds:black"] == "yes"

    everything = snapshot_frames()
    race = everything.answers.filter(
        (pl.col("person_id") == ana.pk) & (pl.col("dimension") == "race")
    )
    assert race["codes"].to_list() == [["asian"]]
    assert _categories(everything, ana, "ipeds:")["ipeds:asian"] == "yes"

    # Before any race answer, the IPEDS classification is unknown everywhere.
    early = snapshot_frames(as_of=dt.date(2019, 1, 1))
    assert early.answers.filter(pl.col("person_id") == ana.pk).is_empty()
    assert set(_categories(early, ana, "ipeds:").values()) == {"unknown"}


@pytest.mark.django_db
def test_ipeds_categories_for_known_cases() -> None:
    hispanic = _person("Hispanic")
    _answer(hispanic, "hispanic", ["yes"], dt.date(2020, 1, 1))
    _answer(hispanic, "race", ["white"], dt.date(2020, 1, 1))
    visa = _person("Visa")
    _answer(visa, "citizenship", ["nonresident"], dt.date(2020, 1, 1))
    _answer(visa, "race", ["asian"], dt.date(2020, 1, 1))
    two = _person("Two")
    _answer(two, "race_ethnicity_2024", ["black", "white"], dt.date(2020, 1, 1))
    declined = _person("Declined")
    _answer(declined, "race", ["declined"], dt.date(2020, 1, 1), declined=True)
    _answer(declined, "hispanic", ["declined"], dt.date(2020, 1, 1), declined=True)
    silent = _person("Silent")

    frames = snapshot_frames()

    def yes(person: Person) -> list[str]:
        return sorted(k for k, v in _categories(frames, person, "ipeds:").items() if v == "yes")

    assert yes(hispanic) == ["ipeds:hispanic"]
    assert yes(visa) == ["ipeds:nonresident"]
    assert yes(two) == ["ipeds:two_or_more"]
    for person in (declined, silent):
        values = _categories(frames, person, "ipeds:")
        assert len(values) == IPEDS_GROUPS
        assert set(values.values()) == {"unknown"}
    combination = _categories(frames, two, "spd15_alone_or_in_combination:")
    assert sorted(k for k, v in combination.items() if v == "yes") == [
        "spd15_alone_or_in_combination:black",
        "spd15_alone_or_in_combination:white",
    ]
    assert "ipeds:unknown" not in frames.categories["category"].to_list()


@pytest.mark.django_db
def test_ipeds_one_yes_per_person_or_unknown_everywhere(demo: None) -> None:
    frames = snapshot_frames(as_of=CENSUS)
    ipeds = frames.categories.filter(pl.col("category").str.starts_with("ipeds:"))
    per_person = ipeds.group_by("person_id").agg(
        pl.len().alias("rows"),
        (pl.col("value") == "yes").sum().alias("yes"),
        (pl.col("value") == "unknown").sum().alias("unknown"),
        pl.col("category").n_unique().alias("keys"),
    )
    assert per_person.height == Person.objects.count() == frames.persons
    assert per_person["rows"].unique().to_list() == [IPEDS_GROUPS]
    assert per_person["keys"].unique().to_list() == [IPEDS_GROUPS]
    one_yes = (per_person["yes"] == 1) & (per_person["unknown"] == 0)
    all_unknown = (per_person["yes"] == 0) & (per_person["unknown"] == IPEDS_GROUPS)
    assert (one_yes | all_unknown).all()
    assert one_yes.sum() > 0
    assert set(frames.categories["value"].unique().to_list()) <= {"yes", "no", "unknown"}
    assert frames.categories.schema == pl.Schema(snapshot.CATEGORIES_SCHEMA)


@pytest.mark.django_db
def test_school_defined_categories() -> None:
    first = _person("First")
    _answer(first, "first_generation", ["yes"], dt.date(2020, 1, 1))
    _answer(first, "race", ["aian", "white"], dt.date(2020, 1, 1))
    other = _person("Other")
    _answer(other, "first_generation", ["no"], dt.date(2020, 1, 1))
    _answer(other, "race", ["white"], dt.date(2020, 1, 1))
    shy = _person("Shy")
    _answer(shy, "first_generation", ["declined"], dt.date(2020, 1, 1), declined=True)

    category_set = CategorySet(
        [
            CategoryDefinition(
                key="first_gen",
                label="First generation",
                population="*",
                rule_text='first_generation == "yes"',
                effective_from=dt.date(2000, 1, 1),
                effective_to=None,
                version=1,
            ),
            CategoryDefinition(
                key="native",
                label="Native",
                population="faculty",
                rule_text='"aian" in race',
                effective_from=dt.date(2000, 1, 1),
                effective_to=None,
                version=1,
            ),
        ]
    )
    frames = snapshot_frames(
        category_set=category_set, population="faculty", on=dt.date(2024, 1, 1)
    )

    def value(person: Person, key: str) -> str:
        return _categories(frames, person, key)[key]

    assert (value(first, "first_gen"), value(other, "first_gen")) == ("yes", "no")
    assert value(shy, "first_gen") == "unknown"
    assert (value(first, "native"), value(other, "native")) == ("yes", "no")
    assert value(shy, "native") == "unknown"  # never answered race

    students = snapshot_frames(category_set=category_set, population="students", on=CENSUS)
    assert "native" not in students.categories["category"].to_list()


@pytest.mark.django_db
def test_write_is_atomic_and_readable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    person = _person("Ana")
    _answer(person, "race", ["black"], dt.date(2020, 1, 1))
    Stage.objects.create(
        person=person,
        kind=StageKind.FACULTY_APPOINTMENT,
        key="faculty_appointment||2020-01-01",
        start_date=dt.date(2020, 1, 1),
    )
    target = tmp_path / "out" / "snapshot.duckdb"
    frames = snapshot_frames(as_of=CENSUS)
    assert snapshot_write(target, frames) == target
    assert sorted(p.name for p in target.parent.iterdir()) == ["snapshot.duckdb"]

    backend = measures.duckdb_backend(str(target), read_only=True)
    # (ibis' list_tables does not work with duckdb 2.0: ask DuckDB itself.)
    with duckdb.connect(str(target), read_only=True) as con:
        tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    assert tables == {
        "stages",
        "answers",
        "categories",
        "groups",
        "school_categories",
        "stage_details",
        "meta",
        "person_kinds",
        "person_years",
        "dimension_groups",
    }
    meta = measures.run(backend.table("meta"), backend).row(0, named=True)
    assert meta["as_of"] == CENSUS
    assert (meta["stages_rows"], meta["answers_rows"], meta["persons"]) == (1, 1, 1)
    assert meta["categories_rows"] == frames.categories.height
    answers = measures.run(backend.table("answers"), backend)
    assert answers["codes"].to_list() == [["black"]]
    backend.disconnect()

    # A failed write leaves the previous snapshot in place and no temporary files.
    before = target.read_bytes()

    def boom(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(snapshot.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        snapshot_write(target, snapshot_frames())
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["snapshot.duckdb"]
    monkeypatch.undo()

    # A successful rewrite replaces it.
    snapshot_write(target, snapshot_frames())
    backend = measures.duckdb_backend(str(target), read_only=True)
    assert measures.run(backend.table("meta"), backend)["as_of"].to_list() == [None]


@pytest.mark.django_db
def test_snapshot_command_prints_counts(demo: None, tmp_path: Path) -> None:
    out = StringIO()
    target = tmp_path / "snap.duckdb"
    call_command("snapshot", "--out", str(target), "--as-of", "2024-10-01", stdout=out)
    text = out.getvalue()
    frames = snapshot_frames(as_of=CENSUS)
    for table, count in frames.counts().items():
        assert f"{table}: {count:,} rows" in text
    assert str(target) in text
    assert target.exists()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("snapshot", "--out", str(target), "--as-of", "1 Oct 2024")


@pytest.mark.django_db
def test_snapshot_command_default_path(tmp_path: Path, settings: Any) -> None:
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("snapshot", stdout=out)
    assert (tmp_path / "snapshot.duckdb").exists()
    assert "stages: 0 rows" in out.getvalue()


@pytest.mark.django_db
def test_groups_give_one_group_per_person_per_dimension() -> None:
    ana, ben, cy = _person("Ana"), _person("Ben"), _person("Cy")
    _answer(ana, "race", ["black"], dt.date(2020, 1, 1))
    _answer(ana, "hispanic", ["no"], dt.date(2020, 1, 1))
    _answer(ana, "sex", ["female"], dt.date(2020, 1, 1))
    _answer(ben, "sex", [], dt.date(2020, 1, 1), declined=True)
    frames = snapshot_frames()
    groups = frames.groups
    per = groups.group_by("person_id", "dimension").len()
    assert per["len"].max() == 1
    assert groups.select("person_id").n_unique() == 3
    got = {(r["person_id"], r["dimension"]): r["group"] for r in groups.iter_rows(named=True)}
    assert got[(ana.pk, "ipeds")] == "black"
    assert got[(ana.pk, "sex")] == "female"
    assert got[(ben.pk, "sex")] == "unknown"
    assert got[(cy.pk, "ipeds")] == "unknown"


@pytest.mark.django_db
def test_school_categories_are_evaluated_per_population() -> None:
    from ristra.analytics.categories import CategoryDefinition, CategorySet

    ana = _person("Ana")
    _answer(ana, "first_generation", ["yes"], dt.date(2020, 1, 1))
    start = dt.date(2000, 1, 1)
    cats = CategorySet(
        [
            CategoryDefinition("fg", "First gen", "*", 'first_generation == "yes"', start, None, 1),
            CategoryDefinition("fg", "First gen", "faculty", "false", start, None, 1),
        ]
    )
    frames = snapshot_frames(category_set=cats, on=dt.date(2024, 1, 1))
    rows = frames.school_categories.filter(pl.col("person_id") == ana.pk)
    values = dict(zip(rows["population"].to_list(), rows["value"].to_list(), strict=True))
    # The faculty have a version of their own; everyone else reads the "*" rows.
    assert values == {"*": "yes", "faculty": "no"}


def test_the_refresh_stores_the_statements_it_is_given(demo: None, tmp_path: Path) -> None:
    def faculty_statements(backend: Any) -> list[measures.Query]:
        kinds, domains = backend.table("person_kinds"), backend.table("dimension_groups")
        return [
            measures.composition_people(
                kinds, domains, kinds=["faculty_appointment"], dates=[CENSUS], dimension=d
            )
            for d in ("ipeds", "sex", "ipeds")  # the same statement twice is stored once
        ]

    path = snapshot_write(tmp_path / "s.duckdb", snapshot_frames(), statements=faculty_statements)
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            f'SELECT engine, measure, stamp FROM "{measures.STATEMENTS_TABLE}"'  # noqa: S608
        ).fetchall()
    assert sorted(rows) == [("duckdb", "composition_people", measures.statement_stamp())] * 2

    measures.clear_caches()
    backend = measures.duckdb_backend(str(path), read_only=True)
    before = measures.statement_counts()
    query = faculty_statements(backend)[1]
    stored = measures.run(query, backend)
    assert measures.statement_counts()["read"] == before["read"] + 1
    assert measures.statement_counts()["compiled"] == before["compiled"]
    expected = measures.run(query.expr(), backend)
    assert stored.equals(expected)
    assert (
        stored["count"].sum()
        == Stage.objects.active_on(CENSUS)
        .filter(kind=StageKind.FACULTY_APPOINTMENT)
        .values("person_id")
        .distinct()
        .count()
    )
    backend.disconnect()
