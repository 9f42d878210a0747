"""The outcome report: numbers from linked people's stages, suppressed throughout."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from ristra.analytics import suppression as sup
from ristra.pathways import outcomes as oc
from ristra.pathways.access import partner_token
from ristra.pathways.models import (
    Attendance,
    Cohort,
    Link,
    LinkStatus,
    Participant,
    ParticipantStatus,
    Partner,
    PartnerKind,
    Session,
)
from ristra.pathways.tests.conftest import make_person
from ristra.reports.published import HIDDEN, PublishedTable

POLICY = sup.SuppressionPolicy(min_count=11, min_denominator=11)


def _count_cells(table: PublishedTable) -> list[Any]:
    return [
        cell
        for row in table.rows
        for column, cell in zip(table.columns, row, strict=True)
        if column.kind == "count"
    ]


def _enrol(
    cohort: Any,
    n: int,
    *,
    applied: int = 0,
    admitted: int = 0,
    matriculated: int = 0,
    status: str = ParticipantStatus.PARTICIPANT,
    partner: Any = None,
    prefix: str = "p",
) -> list[Participant]:
    """``n`` participants, the first ``applied`` linked to applicants (and so on)."""
    out = []
    year = cohort.year + 2
    for i in range(n):
        p = Participant.objects.create(
            cohort=cohort,
            given_name=f"{prefix}{i}",
            family_name=f"F{cohort.year}",
            status=status,
            consent_follow_up=True,
            partner=partner,
        )
        out.append(p)
        if i >= applied:
            continue
        stages = [("application", dt.date(year - 1, 8, 1), year)]
        if i < admitted:
            stages.append(("offer", dt.date(year, 3, 1), year))
        if i < matriculated:
            stages.append(("matriculation", dt.date(year, 8, 1), year))
        person = make_person(f"{prefix}{i}", f"F{cohort.year}", None, stages=tuple(stages))
        Link.objects.create(
            participant=p,
            person=person,
            method="identifier:aamc_id",
            match_probability=1.0,
            match_weight=20.0,
            status=LinkStatus.LINKED,
        )
    return out


def _section(report: Any, prefix: str) -> PublishedTable:
    return next(s for s in report.sections if s.key.startswith(prefix))


def _row(table: PublishedTable, label: str) -> dict[str, Any]:
    row = next(r for r in table.rows if r[0] == label)
    return {c.key: v for c, v in zip(table.columns, row, strict=True)}


def test_cohort_yield_and_acceptance_from_linked_people(program: Any, cohort: Any) -> None:
    later = Cohort.objects.create(
        program=program, year=2020, starts_on=dt.date(2020, 6, 1), ends_on=dt.date(2020, 7, 1)
    )
    _enrol(cohort, 60, applied=45, admitted=32, matriculated=20)
    _enrol(later, 50, applied=30, admitted=12, matriculated=12, prefix="q")
    # A link waiting for review does not count.
    waiting = Participant.objects.create(
        cohort=cohort, given_name="W", family_name="W", consent_follow_up=True
    )
    Link.objects.create(
        participant=waiting,
        person=make_person("W", "W", None, stages=(("application", dt.date(2021, 8, 1), 2022),)),
        method="probabilistic",
        match_probability=0.7,
        match_weight=1.0,
        status=LinkStatus.REVIEW,
    )
    report = oc.outcomes_report([program], policy=POLICY)
    yield_table = _section(report, "yield_")
    row = _row(yield_table, "2019")
    # Partitioned by the furthest step: 16 none, 13 applied, 12 admitted, 20 matriculated.
    assert row["n"] == 61 and row["applied"] == 45 and row["admitted"] == 32
    assert row["matriculated"] == 20 and row["graduated"] == 0
    assert row["applied_pct"] == pytest.approx(45 / 61)
    later_row = _row(yield_table, "2020")
    assert (later_row["applied"], later_row["admitted"]) == (30, 12)
    total = _row(yield_table, "All")
    assert total["n"] == 111 and total["applied"] == 75 and total["matriculated"] == 32
    acceptance = _section(report, "acceptance_")
    ours = _row(acceptance, "Participants who applied")
    assert (ours["base"], ours["yes"], ours["no"]) == (75, 44, 31)
    assert ours["rate"] == pytest.approx(44 / 75)
    time = _row(_section(report, "time_"), "Applied")
    assert time["n"] == 75 and time["median"] == pytest.approx(1.1, abs=0.05)
    assert "Pairs waiting for review (not counted)" in dict(report.quality)


def test_small_cohorts_are_hidden_and_no_small_count_is_published(
    program: Any, cohort: Any
) -> None:
    _enrol(cohort, 8, applied=3, admitted=1)
    later = Cohort.objects.create(
        program=program, year=2020, starts_on=dt.date(2020, 6, 1), ends_on=dt.date(2020, 7, 1)
    )
    _enrol(later, 40, applied=25, admitted=15, matriculated=11, prefix="q")
    _enrol(later, 6, applied=4, status=ParticipantStatus.WAITLIST, prefix="w")
    report = oc.outcomes_report([program], policy=POLICY)
    for table in report.sections:
        for cell in _count_cells(table):
            assert cell is HIDDEN or cell == 0 or cell >= 11, (table.key, cell)
    small = _row(_section(report, "yield_"), "2019")
    assert small["n"] is HIDDEN and small["applied"] is HIDDEN
    # With the small cohort hidden, the total must not give it away either.
    total = _row(_section(report, "yield_"), "All")
    later_row = _row(_section(report, "yield_"), "2020")
    assert total["n"] is HIDDEN or later_row["n"] is HIDDEN
    assert "years to each outcome" in _section(report, "time_").title


def test_dose_bands_count_sessions_attended(program: Any, cohort: Any) -> None:
    people = _enrol(cohort, 44, applied=44, admitted=30, matriculated=22)
    sessions = [
        Session.objects.create(cohort=cohort, held_on=dt.date(2019, 6, 4 + i), title=f"S{i}")
        for i in range(8)
    ]
    for i, p in enumerate(people):
        attended = 8 if i < 22 else 0
        Attendance.objects.bulk_create(
            [Attendance(session=s, participant=p) for s in sessions[:attended]]
        )
    dose = _section(oc.outcomes_report([program], policy=POLICY), "dose_")
    assert _row(dose, "7+ sessions")["yes"] == 22
    assert _row(dose, "0 sessions")["yes"] == 0 and _row(dose, "0 sessions")["base"] == 22


@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)),
        min_size=1,
        max_size=6,
    )
)
@settings(max_examples=80, deadline=None)
def test_the_yield_table_never_publishes_a_small_count(groups: list[tuple[int, int, int]]) -> None:
    members = []
    for g, (a, b, c) in enumerate(groups):
        people = []
        for i in range(a + b + c):
            f = oc.Followed(participant_id=i, cohort_id=g, sessions=0)
            if i < a + b:
                f.reached["applied"] = dt.date(2020, 1, 1)
            if i < a:
                f.reached["admitted"] = dt.date(2020, 3, 1)
            people.append(f)
        members.append((str(g), people))
    steps = [("applied", "Applied"), ("admitted", "Admitted")]
    table = oc._yield_table(  # noqa: SLF001
        members,
        steps,
        policy=POLICY,
        key="y",
        title="t",
        header="h",
        total=True,
        summary_of="s",
    )
    for cell in _count_cells(table):
        assert cell is HIDDEN or cell == 0 or cell >= 11
    totals = oc.published_totals(table, steps)
    assert totals["n"] in (HIDDEN, sum(a + b + c for a, b, c in groups))
    assert totals["applied"] in (HIDDEN, sum(a + b for a, b, _c in groups))
    for g, (a, b, c) in enumerate(groups):
        row = _row(table, str(g))
        assert row["n"] in (HIDDEN, a + b + c)
        assert row["applied"] in (HIDDEN, a + b) and row["admitted"] in (HIDDEN, a)


def test_the_partner_page_counts_only_that_partner_s_students(
    client: Any, program: Any, cohort: Any
) -> None:
    rio = Partner.objects.create(name="Rio College", kind=PartnerKind.COLLEGE)
    rio.programs.add(program)
    _enrol(cohort, 30, applied=20, admitted=12, partner=rio)
    # a name no signed token or markup can contain by chance (the page's own link carries a
    # random signature, so a short prefix like "x0" could appear in it)
    _enrol(cohort, 40, applied=40, admitted=40, prefix="Otherpartnerstudent")
    report = oc.outcomes_report([program], policy=POLICY, partner=rio)
    assert _row(_section(report, "yield_"), "All")["n"] == 30
    page = client.get(reverse("pathways:partner_page", args=[partner_token(rio, program)]))
    text = page.content.decode()
    assert page.status_code == 200 and "Rio College" in text
    assert "Otherpartnerstudent" not in text
    csv = client.get(
        reverse("pathways:partner_page", args=[partner_token(rio, program)]) + "?format=csv"
    )
    assert csv.status_code == 200 and b"30" in csv.content


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_the_outcomes_screen_downloads_every_format(
    client_for: Any, program: Any, cohort: Any, fmt: str
) -> None:
    _enrol(cohort, 30, applied=20, admitted=12)
    r = client_for("manager").get(
        reverse("pathways:outcomes", args=[program.slug]) + f"?format={fmt}"
    )
    assert r.status_code == 200 and len(r.content) > 100
    assert f".{fmt}" in r["Content-Disposition"]


def test_the_report_command_writes_pathway_outcomes(
    program: Any, cohort: Any, settings: Any, tmp_path: Path
) -> None:
    from ristra.people.snapshot import snapshot_frames, snapshot_write

    _enrol(cohort, 30, applied=20, admitted=12)
    make_person("Some", "One", None, stages=(("application", dt.date(2020, 8, 1), 2021),))
    snapshot_write(settings.RISTRA_SNAPSHOT_PATH, snapshot_frames())
    out = io.StringIO()
    call_command("report", "--list", stdout=out)
    assert "pathway-outcomes" in out.getvalue()
    target = tmp_path / "pathways.csv"
    call_command("report", "pathway-outcomes", "--format", "csv", "--out", str(target), stdout=out)
    text = target.read_text()
    assert "Summer Scholars: cohort yield" in text and "2019" in text
