"""Participant imports: every raw row kept with its fate, clear reasons, no crash."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from ristra.pathways.models import Participant, ParticipantImportRow, RowFate
from ristra.pathways.services import fold, parse_birth_date, participants_import


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_it_adds_good_rows_and_keeps_every_raw_row(cohort: Any, cast: dict[str, Any]) -> None:
    content = _csv(
        "first_name,last_name,dob,email,aamc_id,consent,status",
        "Ana,Baca,2001-02-03,ana@example.org,12345678,yes,participant",
        "Luis,Ortiz,03/04/2000,,,no,waitlist",
    )
    batch = participants_import(
        cohort=cohort, filename="p.csv", content=content, user=cast["manager"]
    )
    assert (batch.rows_total, batch.rows_inserted, batch.rows_rejected) == (2, 2, 0)
    ana = Participant.objects.get(given_name="Ana")
    assert ana.birth_date == dt.date(2001, 2, 3) and ana.aamc_id == "12345678"
    assert ana.consent_follow_up and ana.batch == batch
    luis = Participant.objects.get(given_name="Luis")
    assert luis.status == "waitlist" and luis.birth_date == dt.date(2000, 3, 4)
    raw = ParticipantImportRow.objects.get(batch=batch, row_number=2).raw
    assert raw["first_name"] == "Ana" and raw["dob"] == "2001-02-03"


def test_it_marks_duplicates_within_the_file_and_the_cohort(
    cohort: Any, cast: dict[str, Any]
) -> None:
    first = _csv("given_name,family_name,birth_date", "María,García,2001-01-01")
    participants_import(cohort=cohort, filename="a.csv", content=first, user=cast["manager"])
    again = _csv(
        "given_name,family_name,birth_date,email",
        "MARIA,Garcia,2001-01-01,",  # the same person already in the cohort
        "Luz,Vigil,,luz@example.org",
        "luz,VIGIL,,LUZ@example.org",  # the same person twice in this file
        "Luz,Vigil,,other@example.org",  # same name, nothing shared: a different person
    )
    batch = participants_import(
        cohort=cohort, filename="b.csv", content=again, user=cast["manager"]
    )
    fates = dict(batch.rows.values_list("row_number", "fate"))
    assert fates == {
        2: RowFate.DUPLICATE,
        3: RowFate.INSERTED,
        4: RowFate.DUPLICATE,
        5: RowFate.INSERTED,
    }
    reasons = dict(batch.rows.values_list("row_number", "reason"))
    assert "already in this cohort" in reasons[2]
    assert "row 3" in reasons[4]
    assert "No birth date" in reasons[3]
    assert Participant.objects.filter(cohort=cohort).count() == 3


def test_it_rejects_bad_rows_with_the_reason_and_keeps_non_latin_names(
    cohort: Any, cast: dict[str, Any]
) -> None:
    content = _csv(
        "given_name,family_name,birth_date,email,aamc_id,consent,status",
        "李,小龙,2000-05-06,,,yes,",
        "Наталья,Иванова,1999-12-31,not-an-email,12,maybe,",
        ",Baca,2000-01-01,,,,",
        "Ana,Baca,31/31/2000,,,,",
        "Ana,Baca,1850-01-01,,,,",
        "Ana,Baca,2000-01-01,,,,alumni",
    )
    batch = participants_import(
        cohort=cohort, filename="c.csv", content=content, user=cast["manager"]
    )
    rows = {r.row_number: r for r in batch.rows.all()}
    assert len(rows) == 6
    li = rows[2].participant
    assert rows[2].fate == RowFate.INSERTED and li is not None and li.family_name == "小龙"
    assert rows[3].fate == RowFate.INSERTED
    natalya = rows[3].participant
    assert natalya is not None
    assert natalya.email == "" and natalya.aamc_id == "" and not natalya.consent_follow_up
    assert "not an address" in rows[3].reason and "7 to 9 digits" in rows[3].reason
    assert "not yes or no" in rows[3].reason
    assert rows[4].fate == RowFate.REJECTED and "given name is empty" in rows[4].reason
    assert rows[5].fate == RowFate.REJECTED and "is not a date" in rows[5].reason
    assert rows[6].fate == RowFate.REJECTED and "not plausible" in rows[6].reason
    assert rows[7].fate == RowFate.REJECTED and "participant, waitlist" in rows[7].reason


def test_a_file_without_name_columns_adds_nobody_but_keeps_its_rows(
    cohort: Any, cast: dict[str, Any]
) -> None:
    content = _csv("name,dob", "Ana Baca,2000-01-01", "Luis Ortiz,2000-01-02")
    batch = participants_import(
        cohort=cohort, filename="d.csv", content=content, user=cast["manager"]
    )
    assert "given_name" in batch.error and batch.rows_rejected == 2
    assert not Participant.objects.exists()
    assert batch.rows.count() == 2


@pytest.mark.parametrize(
    ("content", "word"),
    [(b"", "empty"), (b"\x00\x01\x02\x03binary\x00", "")],
)
def test_an_unreadable_file_gets_a_clear_message(
    cohort: Any, cast: dict[str, Any], content: bytes, word: str
) -> None:
    batch = participants_import(
        cohort=cohort, filename="e.csv", content=content, user=cast["manager"]
    )
    assert batch.error and word in batch.error.lower()
    assert batch.rows_total == 0


def test_the_import_screen_shows_every_row_and_its_fate(client_for: Any, cohort: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for("manager")
    upload = SimpleUploadedFile(
        "p.csv", _csv("given_name,family_name", "Ana,Baca", ",Nobody"), "text/csv"
    )
    r = client.post(reverse("pathways:participants_import", args=[cohort.pk]), {"file": upload})
    assert r.status_code == 302
    page = client.get(r["Location"]).content.decode()
    assert "Ana" in page and "given name is empty" in page


@given(st.text(max_size=12))
@settings(max_examples=200, deadline=None)
def test_birth_date_parsing_never_crashes_and_explains(text: str) -> None:
    try:
        day = parse_birth_date(text)
    except ValueError as exc:
        assert "birth date" in str(exc)
    else:
        assert dt.date(1900, 1, 1) <= day <= dt.date.today()  # noqa: DTZ011


@given(st.text(max_size=30))
def test_fold_is_stable_and_ignores_case_and_accents(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert fold("José  García") == fold("JOSE GARCIA")
    assert fold("李小龙") == "李小龙"
