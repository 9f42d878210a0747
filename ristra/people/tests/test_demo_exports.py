from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from ristra.people.demo import (
    DEMO_SEED,
    DemoPerson,
    build_demo_school,
    generate_demo_world,
)
from ristra.people.demo_exports import (
    ADMISSIONS_FILE,
    ADMISSIONS_HEADERS,
    FACULTY_FILE,
    FACULTY_HEADERS,
    HR_RANK,
    STAFF_FILE,
    STAFF_HEADERS,
    write_demo_exports,
)
from ristra.people.models import Identifier, IdSystem, StageKind

US_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("exports")
    write_demo_exports(directory)
    return directory


@pytest.fixture(scope="module")
def world_people() -> list[DemoPerson]:
    return generate_demo_world(seed=DEMO_SEED, scale="full").people


def _faculty(directory: Path) -> list[dict[str, str]]:
    text = (directory / FACULTY_FILE).read_bytes().decode("cp1252")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _staff(directory: Path) -> list[dict[str, str]]:
    text = (directory / STAFF_FILE).read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def _admissions(directory: Path) -> list[list[Any]]:
    book = CalamineWorkbook.from_path(str(directory / ADMISSIONS_FILE))
    return list(book.get_sheet_by_index(0).to_python())


def _ids(people: list[DemoPerson], system: str) -> set[str]:
    return {value for p in people for value in p.identifiers_of(system)}


def test_it_writes_the_three_files_and_their_profiles(tmp_path: Path) -> None:
    paths = write_demo_exports(tmp_path / "new", seed=DEMO_SEED, scale="small")
    names = [p.name for p in paths]
    assert names[:3] == [FACULTY_FILE, ADMISSIONS_FILE, STAFF_FILE]
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    assert any(name.endswith(".profile.yaml") for name in names)


def test_it_writes_the_faculty_export_in_windows_1252_with_commas(exports: Path) -> None:
    raw = (exports / FACULTY_FILE).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert "é" in text or "ñ" in text
    assert text.splitlines()[0] == ",".join(FACULTY_HEADERS)
    assert b"\r\n" in raw
    rows = _faculty(exports)
    assert 280 <= len(rows) <= 320
    assert all(None not in row for row in rows)  # no row has more cells than headings
    good = [r for r in rows if r["Hire Date"] != "02/30/2021"]
    assert all(US_DATE.match(r["Hire Date"]) for r in good)
    assert {r["Ethnicity"] for r in rows} <= {
        "Hispanic or Latino",
        "Not Hispanic or Latino",
        "Decline to State",
        "",
    }
    assert any(";" in r["Race"] for r in rows)


def test_it_spells_ranks_as_hr_systems_do(exports: Path) -> None:
    ranks = {r["Academic Rank"] for r in _faculty(exports)}
    assert {"Assistant Professor", "Assoc Professor", "Professor"} <= ranks
    assert ranks <= set(HR_RANK.values()) | {"Visiting Scholar"}


def test_it_includes_bad_faculty_rows_for_the_preview_to_explain(exports: Path) -> None:
    rows = _faculty(exports)
    assert any(r["Hire Date"] == "02/30/2021" for r in rows)
    assert any(r["Academic Rank"] == "Visiting Scholar" for r in rows)
    assert any(r["Last Name"] == "" for r in rows)
    assert any(r["FTE"] == "1.5" for r in rows)
    ids = [r["EMPLID"] for r in rows if r["EMPLID"]]
    assert len(ids) != len(set(ids))
    ended_early = [
        r
        for r in rows
        if US_DATE.match(r["Term Date"])
        and US_DATE.match(r["Hire Date"])
        and dt.datetime.strptime(r["Term Date"], "%m/%d/%Y")  # noqa: DTZ007
        < dt.datetime.strptime(r["Hire Date"], "%m/%d/%Y")  # noqa: DTZ007
    ]
    assert ended_early


def test_it_writes_the_staff_export_in_utf8_with_a_bom_and_semicolons(exports: Path) -> None:
    raw = (exports / STAFF_FILE).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    first = raw.decode("utf-8-sig").splitlines()[0]
    assert first == ";".join(STAFF_HEADERS)
    rows = _staff(exports)
    assert 180 <= len(rows) <= 220
    assert {r["Senior Admin"] for r in rows} >= {"Yes", "No"}
    assert all(r["FTE"].endswith("%") for r in rows)
    assert any(r["FTE"] == "80%" for r in rows)
    assert any(r["FTE"] == "120%" for r in rows)


def test_it_writes_the_admissions_workbook(exports: Path) -> None:
    sheet = _admissions(exports)
    assert tuple(sheet[0]) == ADMISSIONS_HEADERS
    rows = [dict(zip(ADMISSIONS_HEADERS, r, strict=True)) for r in sheet[1:]]
    assert 480 <= len(rows) <= 520
    assert any(isinstance(r["Application Date"], dt.date) for r in rows)
    counties = [r["County of Legal Residence"] for r in rows]
    assert any(isinstance(c, float) and c < 10000 for c in counties)  # 06037 became 6037
    assert {r["Hispanic/Latino"] for r in rows} <= {"Y", "N", "Decline", ""}
    assert {r["Offer Decision"] for r in rows} >= {"Accepted", "Declined", ""}
    assert any(r["AAMC ID"] == "1234567X" for r in rows)
    assert any(r["MCAT Total"] == 531 for r in rows)
    cycles = {r["Application Cycle"] for r in rows}
    assert {2025, 2026, 2027} <= cycles


def test_it_overlaps_the_demo_people_and_adds_new_ones(
    exports: Path, world_people: list[DemoPerson]
) -> None:
    employees = _ids(world_people, IdSystem.EMPLOYEE_ID)
    faculty_ids = [r["EMPLID"] for r in _faculty(exports)]
    known = [i for i in faculty_ids if i in employees]
    assert len(known) > 150
    assert len(faculty_ids) - len(known) > 50

    staff_ids = [r["Employee ID"] for r in _staff(exports)]
    assert 100 < sum(i in employees for i in staff_ids) < len(staff_ids)

    aamc = _ids(world_people, IdSystem.AAMC_ID)
    applicant_ids = [str(r[0]) for r in _admissions(exports)[1:]]
    assert 200 < sum(i in aamc for i in applicant_ids) < len(applicant_ids)


def test_it_changes_some_values_of_known_people(
    exports: Path, world_people: list[DemoPerson]
) -> None:
    by_employee_id = {p.identifier(IdSystem.EMPLOYEE_ID): p for p in world_people}
    promoted = moved_email = 0
    for row in _faculty(exports):
        person = by_employee_id.get(row["EMPLID"])
        if person is None or person.family_name != row["Last Name"]:
            continue
        appointment = person.stages_of(StageKind.FACULTY_APPOINTMENT)[-1]
        if row["Academic Rank"] != HR_RANK[appointment.rank]:
            promoted += 1
        if row["Preferred Email"] not in person.identifiers_of(IdSystem.EMAIL):
            moved_email += 1
    assert promoted >= 5
    assert moved_email >= 5


def test_it_writes_the_same_files_for_the_same_seed(tmp_path: Path) -> None:
    one = write_demo_exports(tmp_path / "one", seed=7, scale="small")
    two = write_demo_exports(tmp_path / "two", seed=7, scale="small")
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


@pytest.mark.django_db
def test_it_matches_identifiers_in_the_demo_database(tmp_path: Path, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    build_demo_school(seed=9, scale="small")
    write_demo_exports(tmp_path, seed=9, scale="small")
    in_db = set(
        Identifier.objects.filter(system=IdSystem.EMPLOYEE_ID).values_list("value", flat=True)
    )
    ids = [r["EMPLID"] for r in _faculty(tmp_path)]
    assert 0 < sum(i in in_db for i in ids) < len(ids)
