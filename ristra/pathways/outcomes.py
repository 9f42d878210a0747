"""The pathway-outcomes report: cohort yield, applicant-level acceptance, time to each
outcome, dose against outcome and comparison groups, every number suppressed.

Outcomes are read from the person record of each participant's *linked* person (links
made automatically or confirmed by a reviewer; pairs waiting for review do not count), and
only stages that began on or after the cohort's first day count as "later".

Decisions
---------
* **Followed participants.** A cohort's yield is over its participants who consented to
  follow-up (only they are linked); the report says how many did not consent.
* **Steps.** Pathway programs: applied, admitted (offer), matriculated, graduated, matched
  to residency (a GME appointment). Support programs: retained (enrolled, or graduated, a
  year after the cohort began) and graduated.
* **Cohort yield vs applicant-level acceptance.** Yield divides by every followed
  participant; acceptance divides by the participants who applied.
* **Comparison groups.** (1) The program's waitlist, when recorded (same steps, same
  rules). (2) For pathway programs, every other applicant in the admissions cycles the
  participants applied in (the person record holds no feeder institution, so "same
  feeder institutions" is not available); admitted means an offer in one of those cycles.
* **Suppression.** For each step, the groups x (reached, did not reach) tables are
  suppressed together (linked by their row totals: the same people), so no hidden count
  can be recovered from a total, another step or a percentage. Medians of time to an
  outcome are shown only over at least ``min_denominator`` people.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.translation import gettext as _

from ristra.analytics import suppression as sup
from ristra.pathways.models import (
    LINKED_STATUSES,
    Attendance,
    Link,
    Participant,
    ParticipantStatus,
    Partner,
    PathwayProgram,
)
from ristra.reports import published as pub
from ristra.reports.published import Cell, Column, PublishedTable, Report


def pathway_steps() -> list[tuple[str, str]]:
    return [
        ("applied", _("Applied")),
        ("admitted", _("Admitted")),
        ("matriculated", _("Matriculated")),
        ("graduated", _("Graduated")),
        ("residency", _("Matched to residency")),
    ]


def support_steps() -> list[tuple[str, str]]:
    return [("retained", _("Retained a year later")), ("graduated", _("Graduated"))]


STEP_KINDS = {
    "applied": "application",
    "admitted": "offer",
    "matriculated": "matriculation",
    "graduated": "graduation",
    "residency": "gme_appointment",
}
DOSE_BANDS = ((0, 0, "0"), (1, 3, "1–3"), (4, 6, "4–6"), (7, 10_000, "7+"))


@dataclass
class Followed:
    """One followed participant (or waitlisted applicant) and what they reached when."""

    participant_id: int
    cohort_id: int
    sessions: int
    reached: dict[str, dt.date] = field(default_factory=dict)
    application_years: set[int] = field(default_factory=set)
    person_ids: set[int] = field(default_factory=set)

    def years_to(self, step: str, since: dt.date) -> float | None:
        day = self.reached.get(step)
        return None if day is None else max(0.0, (day - since).days / 365.25)


def _linked_persons(participant_ids: Sequence[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for pid, person in Link.objects.filter(
        participant_id__in=list(participant_ids), status__in=LINKED_STATUSES
    ).values_list("participant_id", "person_id"):
        out.setdefault(pid, set()).add(person)
    return out


def followed(participants: Iterable[Participant], *, support: bool) -> list[Followed]:
    """What each participant reached, from the stages of their linked person."""
    from ristra.people.models import Stage

    people = list(participants)
    links = _linked_persons([p.pk for p in people])
    sessions: dict[int, int] = {}
    for pid in Attendance.objects.filter(participant__in=people).values_list(
        "participant_id", flat=True
    ):
        sessions[pid] = sessions.get(pid, 0) + 1
    person_ids = {x for s in links.values() for x in s}
    stages: dict[int, list[tuple[str, dt.date, dt.date | None, int | None]]] = {}
    for person, kind, start, end, year in Stage.objects.filter(
        person_id__in=person_ids
    ).values_list("person_id", "kind", "start_date", "end_date", "academic_year"):
        stages.setdefault(person, []).append((kind, start, end, year))
    out = []
    for p in people:
        f = Followed(p.pk, p.cohort_id, sessions.get(p.pk, 0), person_ids=links.get(p.pk, set()))
        begin = p.cohort.starts_on
        rows = sorted(
            (s for person in f.person_ids for s in stages.get(person, [])),
            key=lambda s: s[1],
        )
        for kind, start, _end, year in rows:
            if start < begin and kind != "enrollment":
                continue
            for step, step_kind in STEP_KINDS.items():
                if kind == step_kind and start >= begin:
                    f.reached.setdefault(step, start)
            if kind == "application" and start >= begin and year is not None:
                f.application_years.add(year)
        if support:
            later = dt.date(begin.year + 1, begin.month, min(begin.day, 28))
            retained = any(
                kind == "enrollment" and start <= later and (end is None or end > later)
                for kind, start, end, _y in rows
            ) or ("graduated" in f.reached and f.reached["graduated"] <= later)
            if retained:
                f.reached["retained"] = later
        out.append(f)
    return out


# ------------------------------------------------------------------------ tables


def furthest(f: Followed, steps: Sequence[tuple[str, str]]) -> int:
    """Index of the furthest step reached (-1: none). Steps are nested: an admitted person
    applied, a matriculant was admitted, and so on."""
    reached = [i for i, (s, _label) in enumerate(steps) if s in f.reached]
    return max(reached, default=-1)


def _cumulative(
    cells: Sequence[int | None], total: int | None, step: int, policy: sup.SuppressionPolicy
) -> int | None:
    """People at ``step`` or beyond (cells: none, step 0, step 1, ...), from published
    numbers only; None when it cannot be worked out from them (or would be small)."""
    beyond = cells[step + 1 :]
    before = cells[: step + 1]
    value: int | None = None
    if all(c is not None for c in beyond):
        value = sum(c for c in beyond if c is not None)
    elif total is not None and all(c is not None for c in before):
        value = total - sum(c for c in before if c is not None)
    if value is None or policy.is_sensitive(value):
        return None
    return value


def _rate_of(count: int | None, base: int | None, policy: sup.SuppressionPolicy) -> Cell:
    if count is None or base is None:
        return pub.HIDDEN
    if base == 0:
        return pub.NOT_APPLICABLE
    return sup.suppress_rate(count, base, policy=policy, protect_complement=False)


def _yield_table(
    groups: Sequence[tuple[str, Sequence[Followed]]],
    steps: Sequence[tuple[str, str]],
    *,
    policy: sup.SuppressionPolicy,
    key: str,
    title: str,
    header: str,
    total: bool,
    summary_of: str,
) -> PublishedTable:
    """Groups x steps: how many reached each step or beyond, and the share.

    The people of each group are partitioned by the furthest step they reached; that
    partition is what is suppressed (with its totals), and each published step count is
    worked out from published cells only, so it reveals nothing the partition hides.
    """
    matrix = [
        [sum(furthest(f, steps) == j for f in members) for j in range(-1, len(steps))]
        for _label, members in groups
    ]
    table = sup.suppress_table(matrix, policy=policy, row_totals=True, column_totals=total)
    columns = [Column("label", header, "label"), Column("n", _("Followed"), "count")]
    for s, label in steps:
        columns += [
            Column(s, label, "count"),
            Column(f"{s}_pct", _("%% %(step)s") % {"step": label}, "percent"),
        ]
    published: list[tuple[str, list[int | None], int | None]] = [
        (label, table.values[i], table.row_totals[i] if table.row_totals else None)
        for i, (label, _members) in enumerate(groups)
    ]
    total_rows: set[int] = set()
    if total and table.column_totals is not None:
        total_rows.add(len(published))
        published.append((_("All"), table.column_totals, table.grand_total))
    rows: list[list[Cell]] = []
    for label, cells, n in published:
        row: list[Cell] = [label, n]
        for j in range(len(steps)):
            count = _cumulative(cells, n, j, policy)
            row += [count, _rate_of(count, n, policy)]
        rows.append(row)
    summary = _("%(what)s: %(n)s followed people; each step's count and share of them.") % {
        "what": summary_of,
        "n": sup.format_cell(table.grand_total) if total else str(len(groups)),
    }
    result = pub.measured_table(
        key=key,
        title=title,
        columns=columns,
        rows=rows,
        summary=summary,
        policy=policy,
        notes=tuple(table.notes[:1]),
    )
    return replace(result, total_rows=frozenset(total_rows))


def published_totals(table: PublishedTable, steps: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The total row of a yield table: "n" and each step's count as published."""
    if not table.total_rows:
        return {}
    row = table.rows[max(table.total_rows)]
    out: dict[str, Any] = {"n": row[table.column_index("n")]}
    for s, _label in steps:
        out[s] = row[table.column_index(s)]
    return out


def _two_way(
    groups: Sequence[tuple[str, int, int]],
    *,
    policy: sup.SuppressionPolicy,
    key: str,
    title: str,
    header: str,
    yes: str,
    no: str,
    base: str,
    summary: str,
    total: bool = False,
    hide: Sequence[tuple[int, int]] = (),
    fixed: dict[int, list[int | None]] | None = None,
    elsewhere: Sequence[bool] = (),
) -> PublishedTable:
    """Groups x (yes, no) with row totals (and column totals with ``total``).

    ``hide`` lists (row, column) cells to hide because another section hid the same
    number (column 0 is the row total, 1 yes, 2 no; row ``len(groups)`` the total row):
    hiding more never narrows what can be worked out about a hidden count.
    """
    table = sup.suppress_table(
        [[a, b] for _l, a, b in groups], policy=policy, row_totals=True, column_totals=total
    )
    columns = (
        Column("label", header, "label"),
        Column("base", base, "count"),
        Column("yes", yes, "count"),
        Column("no", no, "count"),
        Column("rate", _("%% %(what)s") % {"what": yes}, "percent"),
    )
    counts: list[list[int | None]] = [
        [table.row_totals[i] if table.row_totals else None, *table.values[i]]
        for i in range(len(groups))
    ]
    labels = [label for label, _a, _b in groups]
    if total and table.column_totals is not None:
        counts.append([table.grand_total, *table.column_totals])
        labels.append(_("All"))
    for i, j in hide:
        if i < len(counts):
            counts[i][j] = None
    for i, values in (fixed or {}).items():
        counts[i] = list(values)
    if total and table.column_totals is not None and elsewhere:
        # A total this table hid but another section publishes would undo its protection:
        # then hide every band's cells (always safe), keeping the totals.
        suppressed = [table.grand_total, *table.column_totals]
        if any(v is None and e for v, e in zip(suppressed, elsewhere, strict=True)):
            for i in range(len(groups)):
                counts[i] = [None if v else v for v in counts[i]]
    rows: list[list[Cell]] = []
    for label, (n, yes_n, no_n) in zip(labels, counts, strict=True):
        rate: Cell = pub.HIDDEN
        if n is not None and yes_n is not None and no_n is not None:
            rate = pub.NOT_APPLICABLE if n == 0 else sup.suppress_rate(yes_n, n, policy=policy)
        rows.append([label, n, yes_n, no_n, rate])
    published = pub.measured_table(
        key=key,
        title=title,
        columns=columns,
        rows=rows,
        summary=summary,
        policy=policy,
        notes=tuple(table.notes[:1]),
    )
    if total:
        published = replace(published, total_rows=frozenset({len(groups)}))
    return published


def _time_table(
    people: Sequence[Followed],
    steps: Sequence[tuple[str, str]],
    ends: dict[int, dt.date],
    *,
    policy: sup.SuppressionPolicy,
    key: str,
    title: str,
    known: dict[str, int | None],
) -> PublishedTable:
    rows: list[list[Cell]] = []
    for s, label in steps:
        years = [y for f in people if (y := f.years_to(s, ends[f.cohort_id])) is not None]
        n = len(years)
        median = statistics.median(years) if years else None
        rows.append(
            [
                label,
                known.get(s),  # the number the yield table published (or hid)
                pub.estimate(round(median, 1) if median is not None else None, n, policy),
            ]
        )
    return pub.measured_table(
        key=key,
        title=title,
        columns=[
            Column("label", _("Outcome"), "label"),
            Column("n", _("People who reached it"), "count"),
            Column("median", _("Median years after the program"), "number"),
        ],
        rows=rows,
        summary=_(
            "Median years from the end of the participant's cohort to each outcome, among "
            "those who reached it; hidden when fewer than %(n)d people reached it."
        )
        % {"n": policy.min_denominator},
        policy=policy,
    )


def _dose_table(
    people: Sequence[Followed],
    step: tuple[str, str],
    *,
    policy: sup.SuppressionPolicy,
    key: str,
    known: dict[str, int | None],
    steps: Sequence[tuple[str, str]],
) -> PublishedTable:
    s, label = step
    index = [k for k, _label in steps].index(s)
    groups = []
    for low, high, band in DOSE_BANDS:
        members = [f for f in people if low <= f.sessions <= high]
        # "Reached" as in the yield table: this step or further (the totals are shared).
        yes = sum(furthest(f, steps) >= index for f in members)
        groups.append((_("%(band)s sessions") % {"band": band}, yes, len(members) - yes))
    return _two_way(
        groups,
        policy=policy,
        key=key,
        title=_("Sessions attended and %(step)s") % {"step": label.lower()},
        header=_("Sessions attended"),
        yes=label,
        no=_("Did not"),
        base=_("Followed"),
        summary=_("Share of followed participants who %(step)s, by sessions attended.")
        % {"step": label.lower()},
        total=True,
        hide=[(len(DOSE_BANDS), j) for j, k in ((0, "n"), (1, s)) if known.get(k) is None],
        elsewhere=[
            known.get("n") is not None,
            known.get(s) is not None,
            known.get("n") is not None and known.get(s) is not None,
        ],
    )


def _comparison_applicants(program_person_ids: set[int], years: set[int]) -> tuple[int, int]:
    """(admitted, not admitted) among applicants of ``years`` not linked to the program."""
    from ristra.people.models import Stage

    applicants = (
        set(
            Stage.objects.filter(kind="application", academic_year__in=years).values_list(
                "person_id", flat=True
            )
        )
        - program_person_ids
    )
    admitted = set(
        Stage.objects.filter(
            kind="offer", academic_year__in=years, person_id__in=applicants
        ).values_list("person_id", flat=True)
    )
    return len(admitted), len(applicants) - len(admitted)


def program_sections(
    program: PathwayProgram,
    *,
    policy: sup.SuppressionPolicy,
    partner: Partner | None = None,
) -> tuple[list[PublishedTable], list[str]]:
    """The report's sections for one program (only ``partner``'s participants if given)."""
    steps = support_steps() if program.is_support else pathway_steps()
    cohorts = list(program.cohorts.order_by("year"))
    base = Participant.objects.filter(cohort__program=program).select_related("cohort")
    if partner is not None:
        base = base.filter(partner=partner)
    everyone = list(base)
    not_consenting = sum(
        1 for p in everyone if not p.consent_follow_up and p.status == ParticipantStatus.PARTICIPANT
    )
    took_part = [
        p for p in everyone if p.consent_follow_up and p.status == ParticipantStatus.PARTICIPANT
    ]
    waitlist = [
        p for p in everyone if p.consent_follow_up and p.status == ParticipantStatus.WAITLIST
    ]
    people = followed(took_part, support=program.is_support)
    waiting = followed(waitlist, support=program.is_support)
    slug = program.slug
    sections: list[PublishedTable] = []
    notes: list[str] = []
    groups = [(str(c.year), [f for f in people if f.cohort_id == c.pk]) for c in cohorts]
    groups = [(label, members) for label, members in groups if members]
    if not groups:
        return sections, [
            _("%(program)s has no followed participants yet.") % {"program": program.name}
        ]
    yield_table = _yield_table(
        groups,
        steps,
        policy=policy,
        key=f"yield_{slug}",
        title=_("%(program)s: cohort yield") % {"program": program.name},
        header=_("Cohort"),
        total=True,
        summary_of=program.name,
    )
    sections.append(yield_table)
    known = published_totals(yield_table, steps)
    if waiting:
        sections.append(
            _yield_table(
                [
                    (label, members)
                    for label, members in (
                        (str(c.year), [f for f in waiting if f.cohort_id == c.pk]) for c in cohorts
                    )
                    if members
                ],
                steps,
                policy=policy,
                key=f"waitlist_{slug}",
                title=_("%(program)s: the waitlist (comparison group)") % {"program": program.name},
                header=_("Cohort"),
                total=True,
                summary_of=_("Waitlisted applicants who did not take part"),
            )
        )
    if not program.is_support:
        applied = [f for f in people if "applied" in f.reached]
        acc_groups = [
            (
                _("Participants who applied"),
                sum("admitted" in f.reached for f in applied),
                sum("admitted" not in f.reached for f in applied),
            )
        ]
        years = {y for f in applied for y in f.application_years}
        # The participants' row repeats the yield table's totals: publish exactly what the
        # yield table published (the difference only when it is not a small count).
        n_applied, n_admitted = known.get("applied"), known.get("admitted")
        participants_row: list[int | None] = [None, None, None]
        if isinstance(n_applied, int) and isinstance(n_admitted, int):
            rest = n_applied - n_admitted
            participants_row = [n_applied, n_admitted, None if policy.is_sensitive(rest) else rest]
        if years and partner is None:
            program_persons = {
                x
                for f in followed(
                    Participant.objects.filter(cohort__program=program).select_related("cohort"),
                    support=False,
                )
                for x in f.person_ids
            }
            yes, no = _comparison_applicants(program_persons, years)
            acc_groups.append((_("Other applicants in the same cycles"), yes, no))
        sections.append(
            _two_way(
                acc_groups,
                policy=policy,
                key=f"acceptance_{slug}",
                title=_("%(program)s: applicant-level acceptance") % {"program": program.name},
                header=_("Group"),
                yes=_("Admitted"),
                no=_("Not admitted"),
                base=_("Applicants"),
                summary=_("Share of applicants admitted, participants against other applicants."),
                fixed={0: participants_row},
            )
        )
    ends = {c.pk: c.ends_on for c in cohorts}
    sections.append(
        _time_table(
            people,
            steps,
            ends,
            policy=policy,
            key=f"time_{slug}",
            title=_("%(program)s: years to each outcome") % {"program": program.name},
            known=known,
        )
    )
    headline = steps[2] if not program.is_support else steps[-1]
    sections.append(
        _dose_table(people, headline, policy=policy, key=f"dose_{slug}", known=known, steps=steps)
    )
    if not_consenting:
        notes.append(
            _(
                "%(program)s: participants who did not consent to follow-up are not linked "
                "or counted (%(n)s)."
            )
            % {
                "program": program.name,
                "n": sup.format_cell(pub.base_count(not_consenting, policy)),
            }
        )
    return sections, notes


def overview(
    programs: Sequence[PathwayProgram], *, policy: sup.SuppressionPolicy
) -> PublishedTable:
    """The programs in the report and their cohorts (no counts)."""
    rows: list[list[Cell]] = []
    for program in programs:
        years = sorted(program.cohorts.values_list("year", flat=True))
        span = f"{years[0]}–{years[-1]}" if years else "–"
        rows.append([program.name, str(program.get_kind_display()), span])
    if not rows:
        rows.append([_("No pathway or support programs yet"), "–", "–"])
    return pub.measured_table(
        key="overview",
        title=_("Programs in this report"),
        columns=[
            Column("label", _("Program"), "label"),
            Column("kind", _("Kind"), "text"),
            Column("cohorts", _("Cohorts"), "text"),
        ],
        rows=rows,
        summary=(
            _("%(n)d programs, each followed below.") % {"n": len(programs)}
            if programs
            else _("There are no pathway or support programs yet.")
        ),
        policy=policy,
    )


def outcomes_report(
    programs: Iterable[PathwayProgram],
    *,
    policy: sup.SuppressionPolicy,
    partner: Partner | None = None,
    quality: tuple[tuple[str, str], ...] = (),
) -> Report:
    programs = list(programs)
    sections: list[PublishedTable] = [overview(programs, policy=policy)]
    notes: list[str] = []
    for program in programs:
        s, n = program_sections(program, policy=policy, partner=partner)
        sections += s
        notes += n
    pending = Link.objects.filter(status="review").count()
    return Report(
        key="pathway-outcomes",
        title=_("Pathway and support program outcomes"),
        subtitle=(
            _("Outcomes of %(partner)s's students") % {"partner": partner.name}
            if partner is not None
            else _("Cohort yield, acceptance, time to outcome and dose, with comparison groups")
        ),
        sections=tuple(sections),
        parameters=((_("Smallest published count"), str(policy.min_count)),),
        definitions=(
            (
                _("Followed"),
                _(
                    "Participants who consented to follow-up; outcomes come from the person "
                    "record of the person they were linked to (automatically, or confirmed "
                    "by a reviewer)."
                ),
            ),
            (
                _("Cohort yield"),
                _("Of every followed participant, the share who reached each outcome."),
            ),
            (
                _("Applicant-level acceptance"),
                _("Of the participants who applied, the share admitted (offered a place)."),
            ),
            (
                _("Comparison groups"),
                _(
                    "The program's waitlist where recorded, and the other applicants of the "
                    "admissions cycles participants applied in."
                ),
            ),
        ),
        quality=(*quality, (_("Pairs waiting for review (not counted)"), f"{pending:,}")),
        notes=tuple(notes),
    )


def catalog_builder(filters: Any, source: Any) -> Report:
    """The ``pathway-outcomes`` entry of :data:`ristra.reports.catalog.REPORTS`."""
    return outcomes_report(PathwayProgram.objects.order_by("name"), policy=filters.policy)
