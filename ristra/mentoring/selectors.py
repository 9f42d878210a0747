"""Reads: the matching inputs of a cycle, suggestions, health, feedback and the audit."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ristra.analytics import matching as core
from ristra.mentoring.models import (
    Cycle,
    Enrolment,
    EnrolmentStatus,
    FormQuestion,
    Pair,
    PairConstraint,
    PairStatus,
    QuestionKind,
    RequestStatus,
    Role,
)
from ristra.people.models import OrgUnit, OrgUnitKind, Stage, StageKind

# --- people record: department and reporting line -------------------------------------


def _units_up_to_department(unit: OrgUnit | None, parents: dict[int, OrgUnit]) -> list[int]:
    """The unit and its ancestors up to (and including) its department."""
    chain: list[int] = []
    while unit is not None:
        chain.append(unit.pk)
        if unit.kind == OrgUnitKind.DEPARTMENT:
            break
        unit = parents.get(unit.parent_id) if unit.parent_id else None
    return chain


def people_context(person_ids: Iterable[int], on: dt.date) -> dict[int, dict[str, Any]]:
    """For each person: their department (id) and the people above them on ``on``.

    The unit comes from the running GME or faculty appointment; "above" is whoever holds a
    leadership appointment (program director, chair) in that unit or a unit above it up to
    the department.
    """
    ids = list(set(person_ids))
    if not ids:
        return {}
    units = {u.pk: u for u in OrgUnit.objects.all()}
    spells = (
        Stage.objects.active_on(on)
        .filter(
            person_id__in=ids,
            kind__in=[StageKind.GME_APPOINTMENT, StageKind.FACULTY_APPOINTMENT],
            org_unit__isnull=False,
        )
        .order_by("start_date")
        .values_list("person_id", "org_unit_id")
    )
    home: dict[int, int] = {}
    for pid, uid in spells:
        if uid is not None:
            home[pid] = uid
    leaders: dict[int, set[int]] = defaultdict(set)
    for pid, lid in (
        Stage.objects.active_on(on)
        .filter(kind=StageKind.LEADERSHIP_APPOINTMENT, org_unit__isnull=False)
        .values_list("person_id", "org_unit_id")
    ):
        if lid is not None:
            leaders[lid].add(pid)
    out: dict[int, dict[str, Any]] = {}
    for pid in ids:
        unit_id = home.get(pid)
        chain = _units_up_to_department(units.get(unit_id) if unit_id else None, units)
        department = next((u for u in chain if units[u].kind == OrgUnitKind.DEPARTMENT), None)
        above: set[int] = set()
        for u in chain:
            above |= leaders.get(u, set())
        above.discard(pid)
        out[pid] = {"department": department, "above": above}
    return out


# --- matching inputs ------------------------------------------------------------------


def active_enrolments(cycle: Cycle) -> list[Enrolment]:
    return list(
        cycle.enrolments.filter(status=EnrolmentStatus.ACTIVE)
        .select_related("user", "department")
        .order_by("id")
    )


def split_roles(enrolments: Sequence[Enrolment]) -> tuple[list[Enrolment], list[Enrolment]]:
    """(mentees, mentors). People enrolled as "either" mentor while the mentors' seats are
    fewer than the mentees, and are mentees otherwise (earliest enrolments first)."""
    mentees = [e for e in enrolments if e.role == Role.MENTEE]
    mentors = [e for e in enrolments if e.role == Role.MENTOR]
    seats = sum(e.capacity for e in mentors)
    for e in (e for e in enrolments if e.role == Role.EITHER):
        if seats < len(mentees) + 1:
            mentors.append(e)
            seats += e.capacity
        else:
            mentees.append(e)
    return mentees, mentors


def criteria_questions(cycle: Cycle) -> list[FormQuestion]:
    return [q for q in cycle.program.questions.all() if q.is_criterion]


def _value(question: FormQuestion, answer: Any) -> core.Value | None:
    if answer in (None, "", []):
        return None
    if question.kind == QuestionKind.MULTI:
        items = answer if isinstance(answer, list) else [answer]
        return frozenset(str(a) for a in items)
    return str(answer)


def criterion_for(question: FormQuestion) -> core.Criterion:
    label = question.reason_label or question.label
    template = label if "{value}" in label else None
    return core.Criterion(
        key=question.key,
        weight=question.weight,  # type: ignore[arg-type]
        kind="overlap" if question.kind == QuestionKind.MULTI else "same",
        label=None if template else label,
        template=template,
        private=question.is_private,
    )


def attributes(
    enrolment: Enrolment, questions: Sequence[FormQuestion], *, as_mentee: bool, prefs_on: bool
) -> dict[str, core.Value]:
    out: dict[str, core.Value] = {}
    for q in questions:
        used = prefs_on and q.key in (enrolment.preferences_used or [])
        if q.is_preference and as_mentee and not used:
            continue
        value = _value(q, (enrolment.answers or {}).get(q.key))
        if value is not None:
            out[q.key] = value
    return out


@dataclass
class Inputs:
    mentees: list[core.Mentee]
    mentors: list[core.Mentor]
    criteria: list[core.Criterion]
    rules: core.Rules
    enrolments: dict[str, Enrolment]

    def instance(self) -> core.Instance:
        return core.build(self.mentees, self.mentors, self.criteria, self.rules)

    def snapshot(self) -> dict[str, Any]:
        """JSON of everything the run saw, so it can be reproduced with :func:`from_snapshot`."""

        def attrs(a: Any) -> dict[str, Any]:
            return {k: (sorted(v) if isinstance(v, frozenset) else v) for k, v in dict(a).items()}

        return {
            "mentees": [
                {
                    "id": p.id,
                    "attributes": attrs(p.attributes),
                    "department": p.department,
                    "reporting_line": sorted(p.reporting_line),
                    "previous_mentors": sorted(p.previous_mentors),
                    "preferences": list(p.preferences) if p.preferences is not None else None,
                }
                for p in self.mentees
            ],
            "mentors": [
                {
                    "id": p.id,
                    "capacity": p.capacity,
                    "attributes": attrs(p.attributes),
                    "department": p.department,
                    "reporting_line": sorted(p.reporting_line),
                    "current_load": p.current_load,
                }
                for p in self.mentors
            ],
            "criteria": [
                {
                    "key": c.key,
                    "weight": c.weight,
                    "kind": c.kind,
                    "label": c.label,
                    "template": c.template,
                    "private": c.private,
                }
                for c in self.criteria
            ],
            "rules": {
                "exclude_reporting_line": self.rules.exclude_reporting_line,
                "exclude_same_department": self.rules.exclude_same_department,
                "exclude_previous_mentors": self.rules.exclude_previous_mentors,
                "load_cap": self.rules.load_cap,
                "pins": [list(p) for p in self.rules.pins],
                "forbids": [list(p) for p in self.rules.forbids],
            },
        }


def from_snapshot(
    snap: dict[str, Any],
) -> tuple[list[core.Mentee], list[core.Mentor], list[core.Criterion], core.Rules]:
    def attrs(a: dict[str, Any]) -> dict[str, core.Value]:
        return {k: (frozenset(v) if isinstance(v, list) else v) for k, v in a.items()}

    mentees = [
        core.Mentee(
            id=p["id"],
            attributes=attrs(p["attributes"]),
            department=p["department"],
            reporting_line=frozenset(p["reporting_line"]),
            previous_mentors=frozenset(p["previous_mentors"]),
            preferences=tuple(p["preferences"]) if p["preferences"] is not None else None,
        )
        for p in snap["mentees"]
    ]
    mentors = [
        core.Mentor(
            id=p["id"],
            capacity=p["capacity"],
            attributes=attrs(p["attributes"]),
            department=p["department"],
            reporting_line=frozenset(p["reporting_line"]),
            current_load=p["current_load"],
        )
        for p in snap["mentors"]
    ]
    criteria = [core.Criterion(**c) for c in snap["criteria"]]
    r = snap["rules"]
    rules = core.Rules(
        exclude_reporting_line=r["exclude_reporting_line"],
        exclude_same_department=r["exclude_same_department"],
        exclude_previous_mentors=r["exclude_previous_mentors"],
        load_cap=r["load_cap"],
        pins=[tuple(p) for p in r["pins"]],  # type: ignore[misc]
        forbids=[tuple(p) for p in r["forbids"]],  # type: ignore[misc]
    )
    return mentees, mentors, criteria, rules


def matching_inputs(cycle: Cycle, *, on: dt.date | None = None) -> Inputs:
    """The cycle's enrolments as the matching core's plain data (ids are enrolment ids)."""
    program = cycle.program
    on = on or cycle.starts_on
    questions = criteria_questions(cycle)
    criteria = [criterion_for(q) for q in questions]
    enrolments = active_enrolments(cycle)
    mentee_rows, mentor_rows = split_roles(enrolments)
    context = people_context([e.person_id for e in enrolments if e.person_id], on)
    enrolment_by_person: dict[int, list[str]] = defaultdict(list)
    for e in enrolments:
        if e.person_id:
            enrolment_by_person[e.person_id].append(str(e.pk))
    enrolment_by_user = {e.user_id: str(e.pk) for e in enrolments}

    def line(e: Enrolment) -> frozenset[str]:
        if not e.person_id:
            return frozenset()
        above = context.get(e.person_id, {}).get("above", set())
        return frozenset(x for pid in above for x in enrolment_by_person.get(pid, []))

    def department(e: Enrolment) -> str | None:
        if e.department_id:
            return str(e.department_id)
        dept = context.get(e.person_id or 0, {}).get("department")
        return str(dept) if dept else None

    # Previous mentors: pairs of earlier cycles (any program) with the same people.
    previous: dict[int, set[int]] = defaultdict(set)
    for mentee_user, mentor_user in (
        Pair.objects.exclude(cycle=cycle)
        .filter(mentee__user_id__in=[e.user_id for e in mentee_rows])
        .values_list("mentee__user_id", "mentor__user_id")
    ):
        previous[mentee_user].add(mentor_user)
    load = dict(
        Pair.objects.exclude(cycle=cycle)
        .filter(status=PairStatus.ACTIVE, mentor__user_id__in=[e.user_id for e in mentor_rows])
        .values_list("mentor__user_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    prefs_on = program.allow_participant_preferences
    mentees = [
        core.Mentee(
            id=str(e.pk),
            attributes=attributes(e, questions, as_mentee=True, prefs_on=prefs_on),
            department=department(e),
            reporting_line=line(e),
            previous_mentors=frozenset(
                enrolment_by_user[u] for u in previous.get(e.user_id, ()) if u in enrolment_by_user
            ),
        )
        for e in mentee_rows
    ]
    mentors = [
        core.Mentor(
            id=str(e.pk),
            capacity=e.capacity,
            attributes=attributes(e, questions, as_mentee=False, prefs_on=prefs_on),
            department=department(e),
            reporting_line=line(e),
            current_load=int(load.get(e.user_id, 0)),
        )
        for e in mentor_rows
    ]
    mentee_ids = {m.id for m in mentees}
    mentor_ids = {m.id for m in mentors}
    pins: list[tuple[str, str]] = []
    forbids: list[tuple[str, str]] = []
    for c in PairConstraint.objects.filter(cycle=cycle):
        pair = (str(c.mentee_id), str(c.mentor_id))
        if pair[0] in mentee_ids and pair[1] in mentor_ids:
            (pins if c.kind == "pin" else forbids).append(pair)
    rules = core.Rules(
        exclude_reporting_line=True,
        exclude_same_department=not program.same_department_allowed,
        exclude_previous_mentors=program.exclude_previous_mentors,
        load_cap=program.load_cap,
        pins=pins,
        forbids=forbids,
    )
    if not program.is_self_match and program.max_ranked:
        mentees = with_stated_lists(mentees, mentors, criteria, rules, mentee_rows)
    return Inputs(mentees, mentors, criteria, rules, {str(e.pk): e for e in enrolments})


def with_stated_lists(
    mentees: list[core.Mentee],
    mentors: list[core.Mentor],
    criteria: list[core.Criterion],
    rules: core.Rules,
    rows: Sequence[Enrolment],
) -> list[core.Mentee]:
    """Mentees who ranked mentors get ``preferences``: their list (mentors still in the
    cycle, in their order), then every other mentor by fit, so a short or popular list
    never leaves them unmatched. The core drops the mentors a rule excludes."""
    ranked = {str(e.pk): [str(x) for x in e.ranked_mentors] for e in rows if e.ranked_mentors}
    if not ranked or not mentors:
        return mentees
    points = core.build(mentees, mentors, criteria, rules).points
    mentor_ids = [p.id for p in mentors]
    known = set(mentor_ids)
    out: list[core.Mentee] = []
    for i, mentee in enumerate(mentees):
        stated = [x for x in dict.fromkeys(ranked.get(mentee.id, [])) if x in known]
        if not stated:
            out.append(mentee)
            continue
        rest = sorted(
            (j for j, mid in enumerate(mentor_ids) if mid not in stated),
            key=lambda j, i=i: (-int(points[i, j]), j),  # type: ignore[misc]
        )
        out.append(
            dataclasses.replace(mentee, preferences=(*stated, *(mentor_ids[j] for j in rest)))
        )
    return out


# --- reasons --------------------------------------------------------------------------


def reason_texts(reasons: Sequence[dict[str, Any]], questions: Iterable[FormQuestion]) -> list[str]:
    """Reasons in the reader's language; a private criterion never shows its values."""
    by_key = {q.key: q for q in questions}
    out: list[str] = []
    for r in reasons:
        q = by_key.get(str(r.get("criterion")))
        values = [str(v) for v in r.get("values") or []]
        if q is None:
            out.append(str(r.get("detail", "")))
        elif q.is_private or not values:
            out.append(_("matches a stated preference"))
        elif "{value}" in q.reason_label:
            out.append(q.reason_label.replace("{value}", ", ".join(values)))
        else:
            label = q.reason_label or q.label
            params = {"label": label, "value": ", ".join(values)}
            if q.kind == QuestionKind.MULTI:
                out.append(_("shared %(label)s: %(value)s") % params)
            else:
                out.append(_("same %(label)s: %(value)s") % params)
    return out


def public_answers(
    enrolment: Enrolment, questions: Iterable[FormQuestion]
) -> list[tuple[str, str]]:
    """What the other party of a pair may read: answers to questions that are not private."""
    rows: list[tuple[str, str]] = []
    for q in questions:
        if q.is_private:
            continue
        value = (enrolment.answers or {}).get(q.key)
        if value in (None, "", []):
            continue
        rows.append(
            (q.label, ", ".join(map(str, value)) if isinstance(value, list) else str(value))
        )
    return rows


# --- self-match -----------------------------------------------------------------------


def mentor_load(cycle: Cycle) -> dict[int, int]:
    """Seats taken per mentor enrolment: pairs plus requests waiting for an answer."""
    taken: dict[int, int] = defaultdict(int)
    for mentor_id in cycle.pairs.filter(status=PairStatus.ACTIVE).values_list(
        "mentor_id", flat=True
    ):
        taken[mentor_id] += 1
    for mentor_id in cycle.requests.filter(status=RequestStatus.PENDING).values_list(
        "mentor_id", flat=True
    ):
        taken[mentor_id] += 1
    return taken


@dataclass
class Suggestion:
    mentor: Enrolment
    score: float
    reasons: list[dict[str, Any]]


def suggestions(cycle: Cycle, mentee: Enrolment, *, limit: int = 10) -> list[Suggestion]:
    """Mentors for a self-matching mentee, best first, with reasons.

    Mentors whose seats are all taken (pairs and pending requests) are not shown, so a
    popular mentor is not offered beyond capacity; nor are excluded or forbidden ones.
    """
    inputs = matching_inputs(cycle)
    me = next((m for m in inputs.mentees if m.id == str(mentee.pk)), None)
    if me is None:
        return []
    # Only this mentee: their exclusions, scored against every mentor.
    instance = core.build([me], inputs.mentors, inputs.criteria, inputs.rules)
    taken = mentor_load(cycle)
    asked = set(mentee.requests_made.values_list("mentor_id", flat=True))
    out: list[Suggestion] = []
    for j, mentor in enumerate(inputs.mentors):
        e = inputs.enrolments[mentor.id]
        if not instance.allowed[0, j] or e.pk in asked or e.user_id == mentee.user_id:
            continue
        if taken.get(e.pk, 0) >= int(instance.capacity[j]):
            continue
        ex = core.explain(inputs.criteria, me, mentor)
        out.append(Suggestion(e, ex.score, _reasons_json(ex)))
    out.sort(key=lambda s: (-s.score, s.mentor.pk))
    return out[:limit]


def _reasons_json(ex: core.Explanation) -> list[dict[str, Any]]:
    return [
        {"criterion": r.criterion, "detail": r.detail, "values": list(r.values), "points": r.points}
        for r in ex.reasons
    ]


# --- relationship health and feedback -------------------------------------------------


HEALTH_ON_TRACK = "on_track"
HEALTH_NEEDS_CHECKIN = "needs_checkin"
HEALTH_INACTIVE = "inactive"


def health_label(code: str) -> str:
    return {
        HEALTH_ON_TRACK: _("On track"),
        HEALTH_NEEDS_CHECKIN: _("Needs a check-in"),
        HEALTH_INACTIVE: _("Inactive"),
    }[code]


def pair_health(pair: Pair, last: dt.date | None, today: dt.date) -> str:
    """On track: met within the cadence. Needs a check-in: beyond it. Inactive: beyond
    twice the cadence (counted from the start when they have never met)."""
    every = pair.cycle.program.checkin_every_days
    since = last or max(pair.cycle.starts_on, pair.created_at.date())
    days = (today - since).days
    if days <= every:
        return HEALTH_ON_TRACK
    if days <= 2 * every:
        return HEALTH_NEEDS_CHECKIN
    return HEALTH_INACTIVE


def cycle_health(cycle: Cycle, today: dt.date | None = None) -> list[tuple[Pair, str, int, int]]:
    """(pair, health, check-ins, minutes) for each active pair of the cycle."""
    today = today or timezone.localdate()
    rows: list[tuple[Pair, str, int, int]] = []
    for pair in (
        cycle.pairs.filter(status=PairStatus.ACTIVE)
        .select_related("mentor__user", "mentee__user", "cycle__program")
        .annotate(last=Max("checkins__met_on"), n=Count("checkins"), mins=Sum("checkins__minutes"))
    ):
        rows.append((pair, pair_health(pair, pair.last, today), pair.n, pair.mins or 0))  # type: ignore[attr-defined]
    return rows


def feedback_summary(cycle: Cycle, min_cell: int) -> list[dict[str, Any]]:
    """Per stage and side: responses and mean satisfaction, only from ``min_cell`` answers."""
    from ristra.mentoring.models import Feedback, FeedbackStage

    out = []
    for stage, label in FeedbackStage.choices:
        for side, side_label in (("mentee", _("Mentees")), ("mentor", _("Mentors"))):
            field = "pair__mentee__user" if side == "mentee" else "pair__mentor__user"
            qs = Feedback.objects.filter(pair__cycle=cycle, stage=stage, user=F(field))
            agg = qs.aggregate(n=Count("id"), mean=Avg("satisfaction"))
            n = int(agg["n"] or 0)
            shown = n >= min_cell
            out.append(
                {
                    "stage": label,
                    "side": side_label,
                    "responses": n if shown or n == 0 else None,
                    "mean": round(float(agg["mean"]), 1) if shown and agg["mean"] else None,
                }
            )
    return out


# --- equity audit ---------------------------------------------------------------------


@dataclass
class AuditRow:
    group: str
    enrolled: int | None
    matched: int | None
    rate: float | None
    mean_rank: float | None
    mean_days: float | None


@dataclass
class AuditTable:
    question: str
    rows: list[AuditRow]
    total: AuditRow
    notes: list[str]


def equity_audit(cycle: Cycle, min_cell: int) -> list[AuditTable]:
    """Match rate, rank achieved and days to a match for mentees, by each private
    one-choice answer (e.g. a self-described identity), with small-cell suppression.

    Counts are matched / not matched per group with totals (primary and complementary
    suppression); a rate, mean rank or mean days is shown only where its counts are.
    """
    from ristra.analytics import suppression as sup

    policy = sup.SuppressionPolicy(min_count=min_cell, min_denominator=min_cell)
    mentees, _mentors = split_roles(active_enrolments(cycle))
    pairs = {
        p.mentee_id: p
        for p in cycle.pairs.filter(status=PairStatus.ACTIVE).only(
            "mentee_id", "rank", "created_at"
        )
    }
    tables: list[AuditTable] = []
    no_answer = _("No answer")
    for q in cycle.program.questions.filter(is_private=True, kind=QuestionKind.SINGLE):
        groups = [*[str(o) for o in q.options], no_answer]
        members: dict[str, list[Enrolment]] = {g: [] for g in groups}
        for e in mentees:
            answer = (e.answers or {}).get(q.key)
            members[str(answer) if answer in q.options else no_answer].append(e)
        counts = [
            [
                sum(1 for e in members[g] if e.pk in pairs),
                sum(1 for e in members[g] if e.pk not in pairs),
            ]
            for g in groups
        ]
        table = sup.suppress_table(counts, policy=policy)

        def row(
            label: str, people: list[Enrolment], matched: int | None, enrolled: int | None
        ) -> AuditRow:
            n_matched = sum(1 for e in people if e.pk in pairs)
            reason = sup.rate_reason(
                n_matched,
                len(people),
                policy=policy,
                numerator_hidden=matched is None,
                denominator_hidden=enrolled is None,
            )
            shown = reason is None and matched is not None and n_matched >= min_cell
            ranks = [int(pairs[e.pk].rank or 0) for e in people if e.pk in pairs]
            ranks = [r for r in ranks if r]
            days = [
                max((pairs[e.pk].created_at - e.created_at).days, 0)
                for e in people
                if e.pk in pairs
            ]
            return AuditRow(
                group=label,
                enrolled=enrolled,
                matched=matched,
                rate=n_matched / len(people) if reason is None else None,
                mean_rank=round(sum(ranks) / len(ranks), 1)
                if shown and len(ranks) >= min_cell
                else None,  # type: ignore[arg-type]
                mean_days=round(sum(days) / len(days), 1) if shown and days else None,
            )

        rows = [
            row(g, members[g], table.values[i][0], (table.row_totals or [None] * len(groups))[i])
            for i, g in enumerate(groups)
        ]
        total = row(
            _("All mentees"),
            [e for g in groups for e in members[g]],
            (table.column_totals or [None])[0],
            table.grand_total,
        )
        tables.append(AuditTable(q.label, rows, total, table.notes))
    return tables


def overall_rates(cycle: Cycle) -> dict[str, Any]:
    mentees, mentors = split_roles(active_enrolments(cycle))
    matched = cycle.pairs.filter(status=PairStatus.ACTIVE).values("mentee_id").distinct().count()
    return {"mentees": len(mentees), "mentors": len(mentors), "matched": matched}


# --- one-time connections -------------------------------------------------------------


def month_start(now: dt.datetime) -> dt.datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def volunteer_load(program: Any, now: dt.datetime | None = None) -> dict[int, int]:
    """Introductions made this calendar month (UTC), per volunteer of the program."""
    from ristra.mentoring.models import Connection

    now = now or timezone.now()
    return dict(
        Connection.objects.filter(
            program=program, volunteer__isnull=False, introduced_at__gte=month_start(now)
        )
        .values_list("volunteer_id")
        .annotate(n=Count("id"))
        .order_by()
    )


@dataclass
class VolunteerSuggestion:
    volunteer: Any
    shared: list[str]
    this_month: int


def volunteer_suggestions(
    connection: Any, *, now: dt.datetime | None = None, limit: int = 10
) -> list[VolunteerSuggestion]:
    """Willing volunteers for a request, best first: only active volunteers who share at
    least one of the applicant's interests and have room left this month (their own
    limit); more shared topics first, then the fewest introductions this month."""
    from ristra.mentoring.models import Volunteer

    load = volunteer_load(connection.program, now)
    wanted = [str(t) for t in connection.interests or []]
    out: list[VolunteerSuggestion] = []
    for v in Volunteer.objects.filter(
        program=connection.program, active=True, user__is_active=True
    ).select_related("user"):
        taken = int(load.get(v.pk, 0))
        shared = [t for t in wanted if t in (v.topics or [])]
        if not shared or taken >= v.per_month:
            continue
        out.append(VolunteerSuggestion(v, shared, taken))
    out.sort(key=lambda s: (-len(s.shared), s.this_month, s.volunteer.pk))
    return out[:limit]
