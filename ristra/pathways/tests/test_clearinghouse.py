"""StudentTracker request file layout and the detail-report importer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ristra.pathways import clearinghouse as ch
from ristra.pathways.models import ClearinghouseRow, Participant, RowFate
from ristra.pathways.services import clearinghouse_request, clearinghouse_return_import

HEADER = ch.RequestHeader("001234", "00", "Sangre de Cristo SOM", dt.date(2026, 11, 20), "CO")


def _participants(cohort: Any, n: int, **extra: Any) -> list[Participant]:
    return [
        Participant.objects.create(
            cohort=cohort,
            given_name=f"Ana María{i}",
            family_name="García Jr",
            birth_date=dt.date(2000, 1, 1 + i % 27),
            consent_follow_up=True,
            **extra,
        )
        for i in range(n)
    ]


def test_the_request_file_has_the_header_detail_trailer_layout(cohort: Any) -> None:
    people = _participants(cohort, 11)
    Participant.objects.create(
        cohort=cohort, given_name="李", family_name="小龙", consent_follow_up=True
    )
    Participant.objects.create(cohort=cohort, given_name="No", family_name="Consent")
    content, skipped = clearinghouse_request(
        cohort=cohort,
        school_code="001234",
        branch_code="00",
        school_name="Sangre de Cristo School of Medicine (fictional demo)",
        today=dt.date(2026, 11, 20),
    )
    lines = content.decode("ascii").split("\r\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    assert lines[0].split("\t") == [
        "H1",
        "001234",
        "00",
        "SANGRE DE CRISTO SCHOOL OF MEDICINE FICT",  # 40 characters at most
        "20261120",
        "CO",
        "I",
    ]
    first = lines[1].split("\t")
    assert first == [
        "D1",
        "",
        "ANA",
        "M",
        "GARCIA",
        "JR",
        "20000101",
        "20190712",  # the search starts on the cohort's last day
        "",
        "001234",
        "00",
        f"p{people[0].pk}",
    ]
    assert len(lines) == 1 + 11 + 1
    assert lines[-1] == "T1\t13"
    assert [reason for _pid, reason in skipped] == ["the name has no Latin-alphabet form to search"]


def test_fewer_than_eleven_students_is_a_clear_error(cohort: Any) -> None:
    _participants(cohort, 5)
    with pytest.raises(ch.ClearinghouseError, match="at least 11"):
        clearinghouse_request(
            cohort=cohort, school_code="001234", branch_code="00", school_name="X"
        )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (ch.RequestHeader("12345", "00", "X", dt.date(2026, 1, 1)), "6-digit"),
        (ch.RequestHeader("123456", "0", "X", dt.date(2026, 1, 1)), "2 digits"),
        (ch.RequestHeader("123456", "00", "X", dt.date(2026, 1, 1), "ZZ"), "inquiry type"),
    ],
)
def test_a_bad_header_is_refused(header: ch.RequestHeader, message: str) -> None:
    detail = ch.detail_for(
        participant_id=1,
        given_name="Ana",
        family_name="Baca",
        birth_date=None,
        search_from=dt.date(2020, 1, 1),
    )
    with pytest.raises(ch.ClearinghouseError, match=message):
        ch.render_request(ch.RequestFile(header, [detail] * 11))


names = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "Zs", "Pd"]), min_size=1, max_size=40
)


@given(
    st.lists(
        st.tuples(
            names,
            names,
            st.one_of(st.none(), st.dates(dt.date(1950, 1, 1), dt.date(2015, 12, 31))),
            st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
        ),
        min_size=11,
        max_size=30,
    )
)
@settings(max_examples=60, deadline=None)
def test_every_request_file_reads_back_to_what_was_sent(rows: list[Any]) -> None:
    details = []
    for i, (given_name, family_name, birth, search) in enumerate(rows):
        try:
            details.append(
                ch.detail_for(
                    participant_id=i,
                    given_name=given_name,
                    family_name=family_name,
                    birth_date=birth,
                    search_from=search,
                )
            )
        except ch.ClearinghouseError:
            continue
    if len(details) < ch.MIN_DETAIL_ROWS:
        return
    content = ch.render_request(ch.RequestFile(HEADER, details))
    back = ch.parse_request(content)
    assert back.header == HEADER.__class__(
        HEADER.school_code, HEADER.branch_code, "SANGRE DE CRISTO SOM", HEADER.created_on, "CO"
    )
    assert back.details == details
    for d in details:
        assert len(d.first_name) <= 20 and len(d.last_name) <= 20 and len(d.middle_initial) <= 1
        assert d.first_name.isascii() and d.last_name.isascii()


@given(st.binary(max_size=300))
@settings(max_examples=200, deadline=None)
def test_reading_any_bytes_as_a_request_file_raises_only_a_clear_error(data: bytes) -> None:
    try:
        ch.parse_request(data)
    except ch.ClearinghouseError as exc:
        assert exc.message


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda ls: ls[:-1], "trailer"),
        (lambda ls: [*ls[:-1], "T1\t99"], "counts 99 rows"),
        (lambda ls: ["H9", *ls[1:]], "H1 header"),
        (lambda ls: [ls[0], "D1\tbroken", *ls[2:]], "Row 2 must be a D1"),
        (lambda ls: [ls[0], ls[1].replace("2019", "20x9"), *ls[2:]], "YYYYMMDD"),
    ],
)
def test_a_malformed_request_file_names_the_problem(mutate: Any, message: str) -> None:
    details = [
        ch.detail_for(
            participant_id=i,
            given_name="Ana",
            family_name="Baca",
            birth_date=dt.date(2001, 1, 1),
            search_from=dt.date(2019, 7, 1),
        )
        for i in range(11)
    ]
    lines = ch.render_request(ch.RequestFile(HEADER, details)).decode().split("\r\n")[:-1]
    with pytest.raises(ch.ClearinghouseError, match=message):
        ch.parse_request("\r\n".join(mutate(lines)).encode())


# ----------------------------------------------------------------------------- returns

RETURN_HEADER = (
    "Your Unique Identifier,First Name,Middle Initial,Last Name,Name Suffix,"
    "Requester Return Field,Record Found Y/N,Search Date,College Code/Branch,College Name,"
    "College State,2-year / 4-year,Public / Private,Enrollment Begin,Enrollment End,"
    "Enrollment Status,Class Level,Graduated?,Graduation Date,Degree Title"
)


def test_the_detail_report_is_read_row_by_row_with_each_fate(
    program: Any, cohort: Any, other_program: Any, cast: dict[str, Any]
) -> None:
    ana = _participants(cohort, 1)[0]
    foreign = Participant.objects.create(
        cohort=other_program.cohorts.create(
            year=2019, starts_on=dt.date(2019, 1, 1), ends_on=dt.date(2019, 2, 1)
        ),
        given_name="X",
        family_name="Y",
    )
    content = "\n".join(
        [
            RETURN_HEADER,
            f"1,ANA,M,GARCIA,JR,p{ana.pk},Y,20190712,001234-00,RIO COLLEGE,NM,4,Public,"
            "20190820,20191215,F,,N,,",
            f"2,ANA,M,GARCIA,JR,p{ana.pk},Y,20190712,001234-00,RIO COLLEGE,NM,4,Public,"
            ",,,,Y,20230515,BACHELOR OF SCIENCE",
            "3,X,,Y,,ana garcia,N,20190712,,,,,,,,,,,,",
            f"4,X,,Y,,p{foreign.pk},N,20190712,,,,,,,,,,,,",
            f"5,ANA,M,GARCIA,JR,p{ana.pk},Y,20190712,,RIO,NM,4,Public,2019-08-20,,,,,,",
            f"6,ANA,M,GARCIA,JR,p{ana.pk},maybe,20190712,,,,,,,,,,,,",
        ]
    ).encode()
    upload = clearinghouse_return_import(
        program=program, filename="detail.csv", content=content, user=cast["manager"]
    )
    assert not upload.error
    rows = {r.row_number: r for r in ClearinghouseRow.objects.filter(upload=upload)}
    assert (upload.rows_total, upload.rows_accepted, upload.rows_rejected) == (6, 2, 4)
    assert rows[2].fate == RowFate.INSERTED and rows[2].college_name == "RIO COLLEGE"
    assert rows[2].enrollment_begin == dt.date(2019, 8, 20) and rows[2].participant == ana
    assert rows[3].graduated and rows[3].graduation_date == dt.date(2023, 5, 15)
    assert "not one of ours" in rows[4].reason
    assert "not in this program" in rows[5].reason
    assert "YYYYMMDD" in rows[6].reason
    assert "Y or N" in rows[7].reason
    assert rows[4].raw["Requester Return Field"] == "ana garcia"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"name,college\nAna,Rio\n", "Requester Return Field"),
    ],
)
def test_a_file_that_is_not_a_detail_report_is_refused_clearly(
    program: Any, cast: dict[str, Any], content: bytes, message: str
) -> None:
    upload = clearinghouse_return_import(
        program=program, filename="x.csv", content=content, user=cast["manager"]
    )
    assert message.lower() in upload.error.lower()
    assert upload.rows_total == 0


@given(
    st.dictionaries(
        st.sampled_from(list(ch.RETURN_COLUMNS.values())), st.one_of(st.none(), st.text())
    )
)
@settings(max_examples=300, deadline=None)
def test_parsing_any_return_row_never_raises(raw: dict[str, Any]) -> None:
    columns = {k: v for k, v in ch.RETURN_COLUMNS.items()}
    row = ch.parse_return_row(2, raw, columns)
    if row.problem == "":
        assert row.participant_id is not None
        assert str(raw.get("Record Found Y/N") or "").strip().upper() in {"Y", "N"}
