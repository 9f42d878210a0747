"""Property tests: whatever the file, the importer explains it and never writes half a batch."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from ristra.people import services
from ristra.people.models import BatchStatus, ImportRow, Person, Stage

HEADERS = [
    "EMPLID",
    "Last Name",
    "First Name",
    "Department",
    "Academic Rank",
    "Hire Date",
    "Term Date",
    "FTE",
    "Sex",
    "Race",
    "Notes",
]
cells = st.one_of(
    st.sampled_from(
        [
            "",
            "E1",
            "E2",
            "Professor",
            "Assoc Prof",
            "Instructor",
            "2020-02-30",
            "2019-07-01",
            "07/01/2019",
            "1.5",
            "80%",
            "0.5",
            "Female",
            "F",
            "x",
            "White;Asian",
            "Decline to state",
            "=1+1",
            "Pediatrics",
        ]
    ),
    st.text(max_size=12),
)
tables = st.lists(st.lists(cells, min_size=len(HEADERS), max_size=len(HEADERS)), max_size=12)


def to_csv(rows: list[list[str]], headers: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8", errors="replace")


class ImportProperties(TestCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows=tables, drop=st.sets(st.sampled_from(HEADERS), max_size=3))
    def test_every_row_gets_exactly_one_fate(self, rows: list[list[str]], drop: set[str]) -> None:
        keep = [i for i, h in enumerate(HEADERS) if h not in drop]
        headers = [HEADERS[i] for i in keep]
        content = to_csv([[r[i] for i in keep] for r in rows], headers)
        batch = services.batch_upload(
            user=None, kind="faculty", filename="f.csv", stream=io.BytesIO(content)
        )
        batch = services.batch_commit(batch=batch, user=None, checked=False)
        if batch.status == BatchStatus.UNUSABLE:
            assert batch.error
            assert not Person.objects.exists()
            assert not ImportRow.objects.filter(batch=batch).exists()
            return
        assert batch.status == BatchStatus.COMMITTED
        fates = list(ImportRow.objects.filter(batch=batch).values_list("fate", flat=True))
        assert len(fates) == batch.rows_total
        assert batch.rows_total == (
            batch.rows_inserted + batch.rows_updated + batch.rows_unchanged + batch.rows_rejected
        )
        assert Person.objects.count() == batch.rows_inserted
        assert all(r.reason for r in ImportRow.objects.filter(batch=batch, fate="rejected"))

    @settings(max_examples=30, deadline=None)
    @given(data=st.binary(max_size=300))
    def test_random_bytes_never_write_anything_partial(self, data: bytes) -> None:
        batch = services.batch_upload(
            user=None, kind="faculty", filename="f.csv", stream=io.BytesIO(data)
        )
        batch = services.batch_commit(batch=batch, user=None, checked=False)
        assert batch.status in {BatchStatus.UNUSABLE, BatchStatus.COMMITTED}
        if batch.status == BatchStatus.UNUSABLE:
            assert batch.error and "Traceback" not in batch.error
            assert not Stage.objects.exists()

    @settings(max_examples=15, deadline=None)
    @given(rows=tables)
    def test_a_second_import_of_the_same_file_changes_nothing(self, rows: list[list[str]]) -> None:
        content = to_csv(rows, HEADERS)
        first = services.batch_commit(
            batch=services.batch_upload(
                user=None, kind="faculty", filename="f.csv", stream=io.BytesIO(content)
            ),
            user=None,
            checked=False,
        )
        if first.status != BatchStatus.COMMITTED:
            return
        snapshot = (Person.objects.count(), Stage.objects.count())
        second = services.batch_commit(
            batch=services.batch_upload(
                user=None, kind="faculty", filename="f.csv", stream=io.BytesIO(content)
            ),
            user=None,
            checked=False,
        )
        assert second.rows_inserted == 0 and second.rows_updated == 0
        assert second.rows_unchanged == first.rows_inserted
        assert snapshot == (Person.objects.count(), Stage.objects.count())
