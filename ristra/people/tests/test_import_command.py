"""ristra import: summary, rejected-rows report, exit codes 0 / 1 / 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from ristra.people.models import BatchStatus, ImportBatch, Person

GOOD = (
    "AAMC ID,Last Name,First Name,Application Cycle,Offer Decision\n"
    "12345678,Chee,Dana,2026,Accepted\n"
    "12345679,Lucero,Mateo,2026,Declined\n"
)


def run(*args: str) -> int:
    try:
        call_command("import", *args)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


@pytest.mark.django_db
def test_it_exits_0_when_every_row_is_valid(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "amcas.csv"
    path.write_text(GOOD)
    assert run("admissions", str(path), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "2 rows checked: 2 new" in out and "Dry run" in out
    assert Person.objects.count() == 0
    assert run("admissions", str(path)) == 0
    assert Person.objects.count() == 2


@pytest.mark.django_db
def test_it_exits_1_and_writes_a_report_when_rows_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "amcas.csv"
    path.write_text(GOOD + "12,Short,Id,2026,Maybe\n")
    assert run("admissions", str(path), "--dry-run") == 1
    report = tmp_path / "amcas.csv.rejected.csv"
    text = report.read_text(encoding="utf-8-sig")
    assert "Short" in text and "problem" in text.splitlines()[0]
    assert ImportBatch.objects.get().status == BatchStatus.VALIDATED


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [b"", b"AAMC ID,Last Name\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"Last Name\nChee\n"],
    ids=["empty", "header-only", "png", "missing-required-columns"],
)
def test_it_exits_2_on_unusable_input(tmp_path: Path, content: bytes, capsys: Any) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    assert run("admissions", str(path)) == 2
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_it_reads_a_profile_file_and_declared_us_dates(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "name: HR\nkind: faculty\ndate_format: '%m/%d/%Y'\n"
        "columns: {ID: employee_id, Last: family_name, First: given_name, Dept: department,"
        " Rank: rank, Hired: start_date}\n"
    )
    path = tmp_path / "hr.csv"
    path.write_text("ID,Last,First,Dept,Rank,Hired\nE1,Ortiz,Ana,Surgery,Professor,03/04/2015\n")
    assert run("faculty", str(path), "--profile", str(profile)) == 0
    stage = Person.objects.get().stages.get()
    assert stage.start_date.isoformat() == "2015-03-04"


@pytest.mark.django_db
def test_it_exits_2_on_a_broken_profile(tmp_path: Path, capsys: Any) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("name: HR\nkind: facutly\n")
    path = tmp_path / "hr.csv"
    path.write_text(GOOD)
    assert run("faculty", str(path), "--profile", str(profile)) == 2
    assert "faculty" in capsys.readouterr().err  # suggests the closest kind


def test_it_documents_itself() -> None:
    from ristra.cli import _usage

    usage = _usage()
    for command in ("import", "demo", "rollback", "serve", "audit"):
        assert command in usage
