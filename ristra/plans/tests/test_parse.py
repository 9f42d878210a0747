"""The completion-file parser never raises and gives every row a fate (property tests)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ristra.plans.services import parse_completion_rows, parse_date

TODAY = dt.date(2026, 11, 16)
text = st.text(max_size=20)
headers = st.sampled_from(["Learner ID", "id", "E-mail", "Course", "Completed on", "Date", "x", ""])


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(headers, st.one_of(st.none(), text), max_size=5), max_size=15))
def test_every_record_gets_exactly_one_row_in_order(records: list[dict[str, str | None]]) -> None:
    # Records of one file share the first record's headings.
    keys = list(records[0]) if records else []
    records = [{k: r.get(k) for k in keys} for r in records]
    rows = parse_completion_rows(records, course_code="ARCB-101", today=TODAY)
    assert [r.row_number for r in rows] == list(range(2, 2 + len(records)))
    for row in rows:
        assert row.problem or (row.identifier and row.completed_on and row.completed_on <= TODAY)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[A-Z0-9]{1,10}", fullmatch=True),
            st.dates(min_value=dt.date(2000, 1, 1), max_value=TODAY),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_well_formed_rows_are_all_parsed(pairs: list[tuple[str, dt.date]]) -> None:
    records = [{"Learner ID": i, "Date completed": d.isoformat()} for i, d in pairs]
    rows = parse_completion_rows(records, today=TODAY)
    assert [(r.identifier, r.completed_on, r.problem) for r in rows] == [
        (i, d, "") for i, d in pairs
    ]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 1, 1)))
def test_dates_in_every_accepted_format_read_back(day: dt.date) -> None:
    for text_ in (day.isoformat(), day.strftime("%m/%d/%Y"), f"{day.isoformat()}T10:00:00Z"):
        assert parse_date(text_) == day


def test_future_dates_are_refused() -> None:
    rows = parse_completion_rows([{"id": "A", "date": "2030-01-01"}], today=TODAY)
    assert "in the future" in rows[0].problem
