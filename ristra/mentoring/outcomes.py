"""Outcomes of a program's mentees against comparable non-participants (person record).

For each population (faculty, residents and fellows) the program's **participants** are
the people who had a mentor in one of its cycles (a pair, as mentee), counted from the
start of their first such cycle. The **comparison group** is everyone else in the same
population (a running appointment of the same kind) on the start date of one of the
program's cycles with pairs, whose first appointment began within a year of a
participant's (similar start years), counted from the first such cycle start. Counting
both groups from a cycle start (a landmark), not from hire, keeps the time before
mentoring out of the comparison: a participant had to still be here to enrol.

The curves are :func:`ristra.analytics.measures.kaplan_meier_by` over a small stages
table built here; an estimate is shown only when at least ``RISTRA_MIN_CELL`` people were
still followed at that time (like the dashboards).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import ibis
import polars as pl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ristra.analytics import measures as m
from ristra.analytics import suppression as sup
from ristra.mentoring.models import Pair, Program
from ristra.people.models import Rank, Stage, StageKind
from ristra.reports import published as pub
from ristra.reports.dashboards import curve_at
from ristra.reports.published import Column, PublishedTable

PARTICIPANTS = "participants"
COMPARISON = "comparison"
DIMENSION = "mentoring"
CHECKPOINTS: tuple[int, ...] = (1, 2, 3, 5)
HORIZON_YEARS = 5


@dataclass(frozen=True)
class OutcomeCurve:
    key: str
    title: Any
    spell: str
    event: str
    #: True: the share without the event (retention); False: with it (promotion)
    remaining: bool


CURVES: tuple[OutcomeCurve, ...] = (
    OutcomeCurve(
        "faculty_retention",
        gettext_lazy("Faculty retention"),
        StageKind.FACULTY_APPOINTMENT,
        StageKind.SEPARATION,
        remaining=True,
    ),
    OutcomeCurve(
        "faculty_promotion",
        gettext_lazy("Faculty promotion"),
        StageKind.FACULTY_APPOINTMENT,
        StageKind.PROMOTION,
        remaining=False,
    ),
    OutcomeCurve(
        "resident_retention",
        gettext_lazy("Residents and fellows staying in training"),
        StageKind.GME_APPOINTMENT,
        StageKind.SEPARATION,
        remaining=True,
    ),
)


def participant_landmarks(program: Program) -> dict[int, dt.date]:
    """Person id -> start of the first cycle of the program in which they had a mentor."""
    out: dict[int, dt.date] = {}
    for person_id, start in Pair.objects.filter(
        cycle__program=program, mentee__person__isnull=False
    ).values_list("mentee__person_id", "cycle__starts_on"):
        if person_id is not None and (person_id not in out or start < out[person_id]):
            out[person_id] = start
    return out


def _active(spells: list[tuple[dt.date, dt.date | None, str]], on: dt.date) -> str | None:
    """The rank of the spell running on ``on`` ('' when no rank), or None when none is."""
    for start, end, rank in spells:
        if start <= on and (end is None or end > on):
            return rank
    return None


def cohort(
    program: Program, curve: OutcomeCurve, today: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(stages, groups) frames in the measures' schemas for one curve: one synthetic spell
    per person from their landmark to the end of their last appointment, plus their
    events after it; groups say participant or comparison."""
    participants = participant_landmarks(program)
    landmarks = sorted(
        set(
            Pair.objects.filter(cycle__program=program)
            .filter(cycle__starts_on__lte=today)
            .values_list("cycle__starts_on", flat=True)
        )
    )
    spells: dict[int, list[tuple[dt.date, dt.date | None, str]]] = defaultdict(list)
    for pid, start, end, rank in Stage.objects.filter(kind=curve.spell).values_list(
        "person_id", "start_date", "end_date", "rank"
    ):
        spells[pid].append((start, end, rank or ""))
    chosen: dict[int, tuple[dt.date, str]] = {}
    for pid, landmark in participants.items():
        if landmark <= today and _active(spells.get(pid, []), landmark) is not None:
            chosen[pid] = (landmark, PARTICIPANTS)
    first_year = {pid: min(s[0] for s in rows).year for pid, rows in spells.items()}
    years = {first_year[pid] + d for pid in chosen for d in (-1, 0, 1)}
    for pid, rows in spells.items():
        if pid in participants or first_year[pid] not in years:
            continue
        for landmark in landmarks:
            if _active(rows, landmark) is not None:
                chosen[pid] = (landmark, COMPARISON)
                break
    if curve.event == StageKind.PROMOTION:  # full professors cannot be promoted
        chosen = {
            pid: v for pid, v in chosen.items() if _active(spells[pid], v[0]) != Rank.PROFESSOR
        }
    events: dict[int, list[dt.date]] = defaultdict(list)
    for pid, day in Stage.objects.filter(kind=curve.event, person_id__in=list(chosen)).values_list(
        "person_id", "start_date"
    ):
        events[pid].append(day)
    rows_out: list[dict[str, Any]] = []
    for pid, (landmark, _group) in chosen.items():
        ends = [e for _s, e, _r in spells[pid]]
        end = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
        rows_out.append(_stage(pid, curve.spell, landmark, end))
        rows_out += [_stage(pid, curve.event, d, None) for d in events[pid] if d >= landmark]
    stages = pl.DataFrame(rows_out, schema=_STAGES_POLARS)
    groups = pl.DataFrame(
        [
            {"person_id": pid, "dimension": DIMENSION, "group": group}
            for pid, (_l, group) in chosen.items()
        ],
        schema={"person_id": pl.Int64, "dimension": pl.Utf8, "group": pl.Utf8},
    )
    return stages, groups


_STAGES_POLARS: dict[str, Any] = {
    "person_id": pl.Int64,
    "kind": pl.Utf8,
    "start_date": pl.Date,
    "end_date": pl.Date,
    "academic_year": pl.Int64,
    "unit": pl.Utf8,
    "rank": pl.Utf8,
    "outcome": pl.Utf8,
    "senior_administrative": pl.Boolean,
}


def _stage(pid: int, kind: str, start: dt.date, end: dt.date | None) -> dict[str, Any]:
    return {
        "person_id": pid,
        "kind": kind,
        "start_date": start,
        "end_date": end,
        "academic_year": None,
        "unit": None,
        "rank": "",
        "outcome": "",
        "senior_administrative": False,
    }


def curve_frame(
    stages: pl.DataFrame, groups: pl.DataFrame, curve: OutcomeCurve, today: dt.date
) -> pl.DataFrame:
    if stages.is_empty():
        return pl.DataFrame()
    expr = m.kaplan_meier_by(
        ibis.memtable(stages.to_arrow(), schema=m.STAGES_SCHEMA),
        ibis.memtable(groups.to_arrow(), schema=m.GROUPS_SCHEMA),
        start_kind=curve.spell,
        event_kind=curve.event,
        dimension=DIMENSION,
        horizon_years=HORIZON_YEARS,
        as_of=today,
    )
    frame = m.run(expr, m.duckdb_backend())
    return m.km_confidence_band(frame) if frame.height else frame


def _pct(value: float) -> str:
    return "–" if math.isnan(value) else f"{value * 100:.0f}%"


def outcome_table(
    frame: pl.DataFrame, curve: OutcomeCurve, policy: sup.SuppressionPolicy
) -> PublishedTable:
    labels = {
        PARTICIPANTS: _("Participants (mentees)"),
        COMPARISON: _("Comparable non-participants"),
    }
    rows: list[list[pub.Cell]] = []
    for group in (PARTICIPANTS, COMPARISON):
        part = (
            frame.filter(pl.col("group") == group).sort("time_days")
            if frame.height
            else pl.DataFrame()
        )
        followed = int(part["n_at_risk"][0]) if part.height else 0
        row: list[pub.Cell] = [labels[group], pub.base_count(followed, policy)]
        for years in CHECKPOINTS:
            value, low, high, at_risk = curve_at(part, years)
            if not curve.remaining and value is not None:
                value, low, high = 1 - value, 1 - high, 1 - low
            shown = pub.estimate(value, at_risk, policy)
            row.append(shown)
            row.append(
                pub.NOT_APPLICABLE
                if shown is None and value is None
                else (None if shown is None else f"{_pct(low)}–{_pct(high)}")
            )
        rows.append(row)
    columns = [
        Column("label", _("Group"), "label"),
        Column("followed", _("People followed"), "count"),
    ]
    for years in CHECKPOINTS:
        columns.append(Column(f"y{years}", _("At %(n)d years") % {"n": years}, "percent"))
        columns.append(Column(f"ci{years}", _("95%% interval, %(n)d years") % {"n": years}, "text"))
    what = _("still here") if curve.remaining else _("promoted")
    return pub.measured_table(
        key=curve.key,
        title=str(curve.title),
        columns=columns,
        rows=rows,
        summary=_(
            "Kaplan-Meier estimate of the share %(what)s 1, 2, 3 and 5 years after the start "
            "of the cycle (participants: their first cycle with a mentor; comparison: the "
            "first cycle start on which they were in the same population)."
        )
        % {"what": what},
        policy=policy,
        notes=(
            _(
                "An estimate is hidden when fewer than %(n)d people were still followed at "
                "that time."
            )
            % {"n": policy.min_denominator},
        ),
    )


def outcome_tables(program: Program, min_cell: int, today: dt.date) -> list[PublishedTable]:
    policy = sup.SuppressionPolicy(min_count=min_cell, min_denominator=min_cell)
    tables = []
    for curve in CURVES:
        stages, groups = cohort(program, curve, today)
        if groups.filter(pl.col("group") == PARTICIPANTS).is_empty():
            continue
        tables.append(outcome_table(curve_frame(stages, groups, curve, today), curve, policy))
    return tables
