from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ristra.accounts.models import Role, User
from ristra.people.demo import (
    COMBINED_QUESTION_FROM,
    DEMO_PASSWORD,
    DEMO_SCHOOL_CODE,
    DEMO_TODAY,
    DemoRefused,
    DemoSummary,
    build_demo_school,
    ensure_demo_users,
    generate_demo_world,
    npi_check_digit,
    npi_is_valid,
)
from ristra.people.models import (
    Answer,
    Dimension,
    Identifier,
    IdSystem,
    OrgUnit,
    OrgUnitKind,
    Person,
    SelfIdentification,
    Stage,
    StageKind,
    stage_key,
)


def all_answers() -> list[Answer]:
    return [a for r in SelfIdentification.objects.all() for a in r.answer_list()]


CYCLE_KINDS = {
    StageKind.APPLICATION,
    StageKind.INTERVIEW,
    StageKind.OFFER,
    StageKind.MATRICULATION,
}
VOCABULARY: dict[str, set[str]] = {
    Dimension.SEX: {"female", "male", "intersex"},
    Dimension.GENDER_IDENTITY: {
        "woman",
        "man",
        "nonbinary",
        "transgender_woman",
        "transgender_man",
        "another",
    },
    Dimension.SEXUAL_ORIENTATION: {
        "heterosexual",
        "gay_or_lesbian",
        "bisexual",
        "queer",
        "another",
    },
    Dimension.HISPANIC: {"yes", "no"},
    Dimension.RACE: {"aian", "asian", "black", "nhpi", "white"},
    Dimension.RACE_ETHNICITY_2024: {"aian", "asian", "black", "hispanic", "mena", "nhpi", "white"},
    Dimension.DISABILITY: {"yes", "no"},
    Dimension.VETERAN: {"yes", "no"},
    Dimension.FIRST_GENERATION: {"yes", "no"},
    Dimension.PELL: {"yes", "no"},
    Dimension.FEE_ASSISTANCE: {"yes", "no"},
    Dimension.PARENTAL_EDUCATION: {
        "less_than_high_school",
        "high_school",
        "some_college",
        "associate",
        "bachelor",
        "master",
        "doctorate",
        "professional",
    },
    Dimension.SES_GROUP: {"eo1", "eo2", "eo3", "eo4", "eo5"},
    Dimension.CITIZENSHIP: {"us_citizen", "permanent_resident", "nonresident"},
}


@pytest.fixture
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(fast_passwords: None) -> DemoSummary:
    return build_demo_school(seed=11, scale="small")


def _first_people(n: int = 25) -> list[tuple[Any, ...]]:
    return list(
        Person.objects.order_by("id").values_list(
            "given_name", "middle_name", "family_name", "birth_date"
        )[:n]
    )


@pytest.mark.django_db
def test_it_builds_every_population_at_small_scale(demo: DemoSummary) -> None:
    for name in (
        "applicants",
        "interviews",
        "offers",
        "offers_accepted",
        "matriculants",
        "graduates",
        "students_now",
        "residents_and_fellows_now",
        "own_graduates_in_gme",
        "faculty_now",
        "former_trainees_on_faculty",
        "senior_administrative_now",
        "staff_now",
    ):
        assert getattr(demo, name) > 0, name
    assert demo.offers_accepted < demo.offers < demo.interviews < demo.applications
    assert demo.persons == Person.objects.count()
    kinds = set(Stage.objects.values_list("kind", flat=True).distinct())
    assert kinds == set(StageKind.values)


@pytest.mark.django_db
def test_it_names_the_school_as_fictional(demo: DemoSummary) -> None:
    school = OrgUnit.objects.get(code=DEMO_SCHOOL_CODE)
    assert school.kind == OrgUnitKind.SCHOOL
    assert "fictional" in school.name
    md = OrgUnit.objects.get(code="md")
    assert md.kind == OrgUnitKind.DEGREE_PROGRAM
    assert md.parent == school
    departments = OrgUnit.objects.filter(kind=OrgUnitKind.DEPARTMENT)
    assert departments.count() >= 20
    assert set(departments.values_list("classification", flat=True)) == {
        "basic_science",
        "clinical_science",
        "administration",
    }
    gme = OrgUnit.objects.filter(kind=OrgUnitKind.GME_PROGRAM)
    assert gme.count() >= 12
    assert all(unit.parent and unit.parent.kind == OrgUnitKind.DEPARTMENT for unit in gme)
    assert all(unit.specialty for unit in gme)


@pytest.mark.django_db
def test_it_is_deterministic(fast_passwords: None) -> None:
    first = build_demo_school(seed=5, scale="small")
    people = _first_people()
    again = build_demo_school(seed=5, scale="small", replace=True)
    assert again == first
    assert _first_people() == people
    other = build_demo_school(seed=6, scale="small", replace=True)
    assert _first_people() != people
    assert other != first


def test_it_generates_the_same_world_in_memory_twice() -> None:
    one = generate_demo_world(seed=3, scale="small")
    two = generate_demo_world(seed=3, scale="small")
    assert [p.identifiers for p in one.people] == [p.identifiers for p in two.people]
    assert [p.stages for p in one.people] == [p.stages for p in two.people]
    assert [p.answers for p in one.people] == [p.answers for p in two.people]


def test_it_rejects_an_unknown_scale() -> None:
    with pytest.raises(ValueError, match="scale"):
        generate_demo_world(scale="huge")


@pytest.mark.django_db
def test_it_declines_some_answers_and_leaves_some_people_without_any(
    demo: DemoSummary,
) -> None:
    answers = all_answers()
    declined = [a for a in answers if a.declined]
    assert demo.declined_answers == len(declined) > 0
    assert demo.self_identifications == len(answers)
    assert all(a.codes == ["declined"] for a in declined)
    rate = len(declined) / len(answers)
    assert 0.01 < rate < 0.08
    assert demo.persons_without_self_identification > 0
    assert Person.objects.exclude(self_ids__isnull=False).exists()


@pytest.mark.django_db
def test_it_writes_codes_from_the_vocabularies(demo: DemoSummary) -> None:
    answers = all_answers()
    for a in answers:
        dimension, codes = a.dimension, a.codes
        if a.declined:
            continue
        assert codes, dimension
        if dimension in VOCABULARY:
            assert set(codes) <= VOCABULARY[dimension], (dimension, codes)
        elif dimension == Dimension.COUNTY_FIPS:
            assert len(codes[0]) == 5 and codes[0].isdigit()
        elif dimension == Dimension.STATE:
            assert len(codes[0]) == 2 and codes[0].isupper()
    assert any(a.dimension == Dimension.COUNTY_FIPS and a.codes == ["35001"] for a in answers)


@pytest.mark.django_db
def test_it_asks_the_2024_combined_question_only_from_2025(demo: DemoSummary) -> None:
    answers = all_answers()
    combined = [a for a in answers if a.dimension == Dimension.RACE_ETHNICITY_2024]
    old = [a for a in answers if a.dimension in (Dimension.HISPANIC, Dimension.RACE)]
    assert combined and old
    assert all(a.reported_on >= COMBINED_QUESTION_FROM for a in combined)
    assert all(a.reported_on < COMBINED_QUESTION_FROM for a in old)
    assert any(len(a.codes) > 1 for a in old if a.dimension == Dimension.RACE)


@pytest.mark.django_db
def test_it_follows_a_school_graduate_into_residency(demo: DemoSummary) -> None:
    graduates = Stage.objects.filter(kind=StageKind.GRADUATION).values("person_id")
    resident = (
        Person.objects.filter(id__in=graduates, stages__kind=StageKind.GME_APPOINTMENT)
        .distinct()
        .first()
    )
    assert resident is not None
    graduated = resident.stages.get(kind=StageKind.GRADUATION)
    training = resident.stages.filter(kind=StageKind.GME_APPOINTMENT).order_by("start_date")
    assert graduated.start_date < training[0].start_date
    first_pgy = training[0].pgy
    assert first_pgy is not None
    assert [s.pgy for s in training] == list(range(first_pgy, first_pgy + len(training)))
    systems = set(resident.identifiers.values_list("system", flat=True))
    assert {IdSystem.AAMC_ID, IdSystem.STUDENT_ID, IdSystem.NRMP_ID, IdSystem.EMAIL} <= systems


@pytest.mark.django_db
def test_it_keeps_gme_appointments_to_academic_years(demo: DemoSummary) -> None:
    for stage in Stage.objects.filter(kind=StageKind.GME_APPOINTMENT).select_related("org_unit"):
        assert stage.academic_year is not None and stage.org_unit is not None
        assert stage.start_date == dt.date(stage.academic_year, 7, 1)
        assert stage.end_date is not None
        assert stage.end_date <= dt.date(stage.academic_year + 1, 6, 30)
        assert stage.title in {"resident", "fellow"}
        assert stage.org_unit.kind == OrgUnitKind.GME_PROGRAM
    active = Stage.objects.active_on(DEMO_TODAY).filter(kind=StageKind.GME_APPOINTMENT)
    assert set(active.values_list("outcome", flat=True)) == {"in_progress"}


@pytest.mark.django_db
def test_it_keys_every_stage_as_stage_key_says(demo: DemoSummary) -> None:
    for stage in Stage.objects.select_related("org_unit"):
        assert stage.org_unit is not None
        if stage.kind in CYCLE_KINDS:
            expected = stage_key(
                stage.kind, unit=stage.org_unit.code, academic_year=stage.academic_year
            )
        else:
            expected = stage_key(stage.kind, unit=stage.org_unit.code, start_date=stage.start_date)
        assert stage.key == expected
    pairs = list(Stage.objects.values_list("person_id", "key"))
    assert len(pairs) == len(set(pairs))


@pytest.mark.django_db
def test_it_gives_clinical_faculty_valid_npis(demo: DemoSummary) -> None:
    npis = list(Identifier.objects.filter(system=IdSystem.NPI).values_list("value", flat=True))
    assert npis
    assert all(npi_is_valid(npi) for npi in npis)
    holders = Identifier.objects.filter(system=IdSystem.NPI).values("person_id")
    assert (
        not Stage.objects.filter(person_id__in=holders, kind=StageKind.FACULTY_APPOINTMENT)
        .exclude(org_unit__classification__in=["clinical_science", "basic_science"])
        .exists()
    )


def test_it_computes_the_npi_check_digit_with_the_80840_prefix() -> None:
    assert npi_check_digit("123456789") == "3"  # CMS's published example: 1234567893
    assert npi_is_valid("1234567893")
    assert not npi_is_valid("1234567890")
    assert not npi_is_valid("123456789")


@pytest.mark.django_db
def test_it_gives_identifiers_in_the_expected_shapes(demo: DemoSummary) -> None:
    aamc = Identifier.objects.filter(system=IdSystem.AAMC_ID).values_list("value", flat=True)
    assert all(len(v) == 8 and v.isdigit() for v in aamc)
    matriculants = Stage.objects.filter(kind=StageKind.MATRICULATION).values("person_id")
    with_student_id = Identifier.objects.filter(
        system=IdSystem.STUDENT_ID, person_id__in=matriculants
    )
    assert with_student_id.count() == Person.objects.filter(id__in=matriculants).count()
    emails = Identifier.objects.filter(system=IdSystem.EMAIL).values_list("value", flat=True)
    assert all(
        e.endswith((".invalid", "example.com", "example.org", "example.net")) for e in emails
    )


@pytest.mark.django_db
def test_it_promotes_faculty_one_rank_at_a_time(demo: DemoSummary) -> None:
    promotions = Stage.objects.filter(kind=StageKind.PROMOTION)
    assert promotions.exists()
    ladder = ["instructor", "assistant_professor", "associate_professor", "professor"]
    for promotion in promotions:
        appointment = Stage.objects.get(
            person_id=promotion.person_id, kind=StageKind.FACULTY_APPOINTMENT
        )
        assert appointment.start_date < promotion.start_date
        assert ladder.index(appointment.rank) >= ladder.index(promotion.rank)
    senior = Stage.objects.filter(kind=StageKind.LEADERSHIP_APPOINTMENT, senior_administrative=True)
    titles = set(senior.values_list("title", flat=True))
    assert "Dean, School of Medicine" in titles
    assert any(t.startswith("Chair, Department of") for t in titles)


@pytest.mark.django_db
def test_it_creates_the_demo_users_with_their_roles(demo: DemoSummary) -> None:
    users = {u.username: u for u in User.objects.all()}
    assert users["admin"].role == Role.ADMINISTRATOR
    assert users["analyst"].role == Role.ANALYST
    assert users["manager"].role == Role.PROGRAM_MANAGER
    assert users["viewer"].role == Role.VIEWER
    assert users["dean"].role == Role.ANALYST
    assert users["dean"].is_decision_maker
    assert not any(users[n].is_decision_maker for n in ("admin", "analyst", "manager", "viewer"))
    assert set(users["manager"].programs.values_list("slug", flat=True)) == {
        "gme-mentorship-2027",
        "summer-academy",
    }
    for name in ("admin", "analyst", "manager", "viewer", "dean"):
        assert users[name].check_password(DEMO_PASSWORD)
        assert users[name].email == f"{name}@demo.invalid"
        assert users[name].first_name


@pytest.mark.django_db
def test_it_hashes_the_demo_password_with_argon2() -> None:
    ensure_demo_users()
    user = User.objects.get(username="admin")
    assert user.password.startswith("argon2")
    assert user.check_password(DEMO_PASSWORD)


@pytest.mark.django_db
def test_it_loads_the_demo_and_prints_how_to_sign_in(fast_passwords: None) -> None:
    out = StringIO()
    call_command("demo", "--if-empty", "--scale", "small", stdout=out)
    text = out.getvalue()
    assert "Sign in at http://127.0.0.1:8000/office/ as admin / ristra-demo-2026" in text
    assert "analyst, manager, viewer, dean; mentoring participants: mentor, mentee" in text
    assert "faculty now" in text
    assert OrgUnit.objects.filter(code=DEMO_SCHOOL_CODE).exists()


@pytest.mark.django_db
def test_it_does_nothing_with_if_empty_when_people_exist() -> None:
    Person.objects.create(given_name="Real", family_name="Person")
    out = StringIO()
    call_command("demo", "--if-empty", "--scale", "small", stdout=out)
    assert "not loaded" in out.getvalue()
    assert Person.objects.count() == 1
    assert not OrgUnit.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_non_empty_database_without_replace() -> None:
    Person.objects.create(given_name="Real", family_name="Person")
    with pytest.raises(CommandError, match="--replace") as caught:
        call_command("demo", "--scale", "small", stdout=StringIO())
    assert caught.value.returncode == 1
    with pytest.raises(DemoRefused):
        build_demo_school(scale="small")
    assert Person.objects.count() == 1


@pytest.mark.django_db
def test_it_replaces_the_people_data_with_replace(fast_passwords: None) -> None:
    Person.objects.create(given_name="Real", family_name="Person")
    OrgUnit.objects.create(name="Somewhere", code="somewhere", kind=OrgUnitKind.OTHER)
    call_command("demo", "--replace", "--scale", "small", stdout=StringIO())
    assert not Person.objects.filter(given_name="Real", family_name="Person").exists()
    assert not OrgUnit.objects.filter(code="somewhere").exists()
    assert OrgUnit.objects.filter(code=DEMO_SCHOOL_CODE).exists()


@pytest.mark.django_db
def test_it_writes_the_exports_without_touching_the_database(tmp_path: Any) -> None:
    out = StringIO()
    call_command("demo", "--exports", str(tmp_path), "--scale", "small", stdout=out)
    assert (tmp_path / "hr_faculty_export.csv").exists()
    assert "hr_staff_export.csv" in out.getvalue()
    assert not Person.objects.exists()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_it_never_resets_the_password_of_an_existing_account(fast_passwords: None) -> None:
    User.objects.create_user(username="admin", password="a-real-secret-pass", role=Role.VIEWER)
    out = StringIO()
    build_demo_school(seed=11, scale="small", stdout=out)
    admin = User.objects.get(username="admin")
    assert admin.check_password("a-real-secret-pass")
    assert admin.role == Role.VIEWER
    assert "left as they were: admin" in out.getvalue()
    assert User.objects.get(username="analyst").check_password(DEMO_PASSWORD)
