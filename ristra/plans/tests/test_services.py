"""Plans services: roll-ups that never loop, indicators that survive a removed measure,
completion imports that keep every row, compliance, the committee block and reminders."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from django.core.management import call_command
from django.urls import reverse

from ristra.plans import services
from ristra.plans.forms import IndicatorForm, PlanForm
from ristra.plans.models import (
    Completion,
    IndicatorReading,
    Plan,
    ReadingStatus,
    RowFate,
    SearchMember,
)
from ristra.reports import indicators as registry

from .conftest import TODAY

# ------------------------------------------------------------------------------ roll-ups


def test_it_refuses_a_circular_rollup_in_the_service_and_the_form(world: dict[str, Any]) -> None:
    school, unit = world["plan"], world["unit_plan"]
    school.parent = unit
    with pytest.raises(services.PlanError) as caught:
        services.plan_save(plan=school)
    assert "circle" in caught.value.message
    assert "School plan → Pediatrics plan → School plan" in caught.value.message
    school.refresh_from_db()
    assert school.parent is None  # nothing saved
    form = PlanForm(
        data={
            "title": school.title,
            "unit": school.unit_id,
            "parent": unit.pk,
            "starts_on": "2024-07-01",
            "ends_on": "2029-06-30",
        },
        instance=Plan.objects.get(pk=school.pk),
    )
    assert not form.is_valid()
    assert "circle" in form.errors["parent"][0]


def test_a_plan_cannot_roll_up_into_itself(world: dict[str, Any]) -> None:
    plan = world["plan"]
    assert services.plan_rollup_problem(plan=plan, parent=plan) == (
        "A plan cannot roll up into itself."
    )


def test_a_chain_without_a_loop_is_accepted(world: dict[str, Any]) -> None:
    third = Plan(
        title="Division plan",
        unit=world["dept"],
        parent=world["unit_plan"],
        starts_on=dt.date(2024, 7, 1),
        ends_on=dt.date(2029, 6, 30),
    )
    services.plan_save(plan=third)
    assert [p.title for p in services.plan_subtree(world["plan"])] == [
        "School plan",
        "Pediatrics plan",
        "Division plan",
    ]


# ------------------------------------------------------------------------------ indicators


def test_a_removed_measure_shows_unavailable_and_keeps_its_history(world: dict[str, Any]) -> None:
    indicator = world["demographic"]
    indicator.measure_key = "retired_measure"
    indicator.save()
    reading = services.indicator_compute(indicator=indicator, as_of=TODAY)
    assert reading.status == ReadingStatus.UNAVAILABLE
    assert "retired_measure" in reading.message and "no longer available" in reading.message
    assert IndicatorReading.objects.filter(indicator=indicator).count() == 2  # history kept


def test_a_measure_removed_from_the_registry_is_reported_not_raised(world: dict[str, Any]) -> None:
    measure = registry.IndicatorMeasure(
        key="temporary_measure",
        label="Temporary",
        description="",
        unit="count",
        compute=lambda params, as_of: registry.IndicatorValue(
            value=42.0,
            numerator=None,
            denominator=None,
            suppressed=False,
            definition="d",
            as_of=as_of,
        ),
    )
    registry.register(measure)
    try:
        indicator = world["plain"]
        indicator.measure_key = "temporary_measure"
        indicator.save()
        assert services.indicator_compute(indicator=indicator).value == 42.0
    finally:
        registry.unregister("temporary_measure")
    assert services.indicator_compute(indicator=indicator).status == ReadingStatus.UNAVAILABLE
    with pytest.raises(ValueError, match="already registered"):
        registry.register(registry.get("population_share"))


def test_the_indicator_form_explains_bad_parameters(world: dict[str, Any]) -> None:
    form = IndicatorForm(
        data={
            "label": "x",
            "measure_key": "population_share",
            "params_text": "population: martians\ngroup: yes\ncolour: blue",
            "target": "0.2",
            "target_on": "2029-06-30",
        },
        instance=world["plain"].__class__(goal=world["goal"]),
    )
    assert not form.is_valid()
    message = form.errors["params_text"][0]
    assert "'martians' is not a choice for Population" in message
    assert "Counted by is required." in message
    assert "no parameter colour" in message


def test_the_match_rate_is_computed_from_mentoring(world: dict[str, Any], cast: Any) -> None:
    reading = services.indicator_compute(indicator=world["plain"], as_of=TODAY)
    assert reading.status == ReadingStatus.OK
    assert reading.denominator == 0 and reading.value is None and not reading.suppressed


def test_readings_are_recomputed_after_a_snapshot_refresh(world: dict[str, Any]) -> None:
    from django.test import TestCase

    from ristra.reports.services import snapshot_refresh

    before = IndicatorReading.objects.count()
    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        snapshot_refresh(reason="test")
    assert callbacks  # the recompute task was enqueued once the refresh committed
    assert IndicatorReading.objects.count() == before + 2


def test_the_plan_progress_report_is_written_by_the_report_command(
    world: dict[str, Any], tmp_path: Path
) -> None:
    from ristra.reports.services import snapshot_refresh

    snapshot_refresh(reason="test")
    out = tmp_path / "plan.xlsx"
    call_command("report", "plan-progress", "--format", "xlsx", "--out", str(out))
    import zipfile

    with zipfile.ZipFile(out) as book:
        text = " ".join(book.read(n).decode("utf-8", "ignore") for n in book.namelist())
    assert "Adopt the checklist" in text
    assert "population_share" in text  # the definitions sheet traces the figure


def test_the_evidence_pack_is_a_dated_zip_with_a_workbook_and_a_pdf(
    world: dict[str, Any], client_for: Any
) -> None:
    import zipfile

    response = client_for("admin").get(reverse("plans:evidence_pack", args=[world["plan"].pk]))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = sorted(archive.namelist())
    assert names[0] == "README.txt"
    assert any(n.endswith(".xlsx") for n in names) and any(n.endswith(".pdf") for n in names)
    assert archive.read([n for n in names if n.endswith(".pdf")][0]).startswith(b"%PDF")


# ------------------------------------------------------------------------------ completions


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(r) for r in rows).encode()


def test_a_completion_file_keeps_every_row_with_its_fate(world: dict[str, Any], cast: Any) -> None:
    content = _csv(
        [
            ["Learner ID", "Course", "Date completed"],
            ["S000", "ARCB-101", "2024-03-01"],
            ["S999", "ARCB-101", "2024-03-01"],
            ["S001", "ARCB-101", "yesterday"],
            ["S001", "OTHER-1", "2024-03-01"],
            ["", "ARCB-101", "2024-03-01"],
            ["stu1@EXAMPLE.org", "ARCB-101", "03/05/2024"],
        ]
    )
    batch = services.completion_import(
        training=world["training"],
        content=content,
        filename="lms.csv",
        user=cast["admin"],
        today=TODAY,
    )
    rows = list(batch.rows.order_by("row_number"))
    assert [r.row_number for r in rows] == [2, 3, 4, 5, 6, 7]
    assert [r.fate for r in rows] == [
        "accepted",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "accepted",
    ]
    assert "No person has the identifier 'S999'" in rows[1].message
    assert "'yesterday' is not a date" in rows[2].message
    assert "another course" in rows[3].message
    assert rows[4].message == "The person identifier is empty."
    assert rows[0].raw == {
        "Learner ID": "S000",
        "Course": "ARCB-101",
        "Date completed": "2024-03-01",
    }
    assert (batch.rows_total, batch.rows_accepted, batch.rows_rejected) == (6, 2, 4)
    # Importing the same file again records nothing twice.
    again = services.completion_import(
        training=world["training"],
        content=content,
        filename="lms.csv",
        user=cast["admin"],
        today=TODAY,
    )
    assert again.rows_accepted == 0
    assert again.rows.filter(fate=RowFate.DUPLICATE).count() == 2
    assert Completion.objects.count() == 2


def test_an_xlsx_export_is_read_too(world: dict[str, Any], cast: Any) -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Employee ID", "Completion date"])
    sheet.write_row(1, 0, ["E100", "2026-01-15"])
    book.close()
    batch = services.completion_import(
        training=world["committee_training"],
        content=buffer.getvalue(),
        filename="lms.xlsx",
        user=cast["admin"],
        id_system="employee_id",
    )
    assert batch.rows_accepted == 1, list(batch.rows.values_list("message", flat=True))


def test_an_unusable_file_is_explained_and_nothing_written(
    world: dict[str, Any], cast: Any
) -> None:
    batch = services.completion_import(
        training=world["training"], content=b"", filename="empty.csv", user=cast["admin"]
    )
    assert batch.error
    assert Completion.objects.count() == 0


def test_a_file_without_the_columns_says_which_are_missing(
    world: dict[str, Any], cast: Any
) -> None:
    batch = services.completion_import(
        training=world["training"],
        content=_csv([["name", "when"], ["x", "y"]]),
        filename="x.csv",
        user=cast["admin"],
    )
    row = batch.rows.get()
    assert row.fate == RowFate.REJECTED
    assert "no column for a person identifier and a completion date" in row.message


def test_the_upload_screen_imports_and_shows_the_rows(
    world: dict[str, Any], client_for: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for("analyst")
    upload = SimpleUploadedFile("lms.csv", _csv([["id", "completed_on"], ["S404", "2024-01-01"]]))
    response = client.post(reverse("plans:upload", args=[world["training"].pk]), {"file": upload})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "No person has the identifier" in page and "S404" in page


# ------------------------------------------------------------------------------ compliance


def test_compliance_follows_due_dates_completions_and_expiry(
    world: dict[str, Any], cast: Any
) -> None:
    requirement = world["requirement"]
    status = {
        s.person_id: s.status
        for s in services.requirement_status(requirement=requirement, on=TODAY)
    }
    s0, s1, s2 = world["students"]
    assert status == {s0.pk: "overdue", s1.pk: "overdue", s2.pk: "due"}
    Completion.objects.create(
        training=world["training"], person=s0, completed_on=dt.date(2024, 1, 5)
    )
    status = {
        s.person_id: s.status
        for s in services.requirement_status(requirement=requirement, on=TODAY)
    }
    assert status[s0.pk] == "current"
    world["training"].valid_for_days = 365
    world["training"].save()
    status = {
        s.person_id: s.status
        for s in services.requirement_status(requirement=requirement, on=TODAY)
    }
    assert status[s0.pk] == "overdue"  # expired in 2025


def test_compliance_by_unit_is_suppressed(world: dict[str, Any]) -> None:
    from ristra.plans.selectors import compliance_table

    table = compliance_table(world["requirement"], on=TODAY)
    counts = [
        cell
        for row in table.rows
        for cell, col in zip(row, table.columns, strict=True)
        if col.kind == "count"
    ]
    assert counts and all(c is None or (isinstance(c, int) and (c == 0 or c >= 11)) for c in counts)


def test_a_member_without_current_training_cannot_join_a_committee(
    world: dict[str, Any], cast: Any
) -> None:
    search, faculty = world["search"], world["faculty"]
    with pytest.raises(services.PlanError) as caught:
        services.search_member_add(search=search, person=faculty, role="member", user=cast["admin"])
    assert "Fay Culty cannot join the committee" in caught.value.message
    assert "Committee training has not been completed." in caught.value.message
    Completion.objects.create(
        training=world["committee_training"], person=faculty, completed_on=dt.date(2023, 1, 1)
    )
    with pytest.raises(services.PlanError, match="expired on 2024-12-31"):
        services.search_member_add(search=search, person=faculty, role="member", user=cast["admin"])
    Completion.objects.create(
        training=world["committee_training"], person=faculty, completed_on=dt.date(2026, 1, 1)
    )
    services.search_member_add(search=search, person=faculty, role="member", user=cast["admin"])
    assert SearchMember.objects.filter(search=search, person=faculty).exists()


def test_the_committee_screen_shows_the_refusal(world: dict[str, Any], client_for: Any) -> None:
    url = reverse("plans:search", args=[world["search"].pk])
    response = client_for("admin").post(url, {"person": world["faculty"].pk, "role": "chair"})
    assert response.status_code == 400
    assert "cannot join the committee" in response.content.decode()
    assert not SearchMember.objects.exists()


def test_reminders_go_to_overdue_people_once_a_week(world: dict[str, Any], mailoutbox: Any) -> None:
    result = services.training_reminders_send(on=TODAY)
    assert result.sent == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["stu0@example.org", "stu1@example.org"]
    assert "Anti-racism program" in mailoutbox[0].subject
    assert "the first clinical rotation" in mailoutbox[0].body
    again = services.training_reminders_send(on=TODAY)
    assert again.sent == 0 and again.recently_reminded == 2
    out = io.StringIO()
    call_command("training_reminders", "--dry-run", stdout=out)
    assert "Would send 0 reminders" in out.getvalue()


def test_the_checklist_is_tracked(world: dict[str, Any], client_for: Any) -> None:
    item = world["search"].checklist.first()
    client_for("analyst").post(reverse("plans:checklist_toggle", args=[item.pk]), {"done": "1"})
    item.refresh_from_db()
    assert item.done_on is not None and item.done_by is not None
