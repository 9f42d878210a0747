"""The demo mentoring program: "GME Mentorship 2027" in the fictional demo school.

:func:`seed_mentoring` runs after ``build_demo_school``. It creates the program under the
demo program scope, its enrolment form, a published 2027 cycle (about 60 residents,
fellows and faculty, linked to their person records, matched by the stable policy and
published) and a spring cycle open for enrolment with its own enrolments, so a manager
can run, compare, pin and publish in the browser. The demo account ``viewer`` is a mentee
of the demo account ``mentor`` (a faculty member); ``manager`` manages the program.
Deterministic for a seed; does nothing if the program already exists.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from ristra.mentoring.models import (
    Cycle,
    CycleStatus,
    Enrolment,
    Mode,
    Program,
)

DEMO_PROGRAM_SLUG = "gme-mentorship-2027"
DEMO_PROGRAM_NAME = "GME Mentorship 2027"
#: the demo accounts of a faculty mentor and a resident mentee: participants, no office role
MENTOR_USERNAME = "mentor"
MENTEE_USERNAME = "mentee"

CAREER_GOALS = [
    "academic medicine",
    "clinical practice",
    "research career",
    "medical education",
    "leadership",
    "community practice",
]
INTERESTS = [
    "health-equity research",
    "global health",
    "quality improvement",
    "wellness",
    "advocacy",
    "rural health",
    "teaching",
    "bilingual care",
]
MEETING = ["In person", "Video", "Either"]
URIM = ["Yes", "No", "Prefer not to say"]


@dataclass
class MentoringSummary:
    program: str
    enrolments: int
    pairs: int
    open_cycle_enrolments: int


def _questions(program: Program, departments: list[str]) -> None:
    from ristra.mentoring.services import question_add

    question_add(
        program=program,
        key="specialty",
        label="Department or specialty",
        kind="single",
        options=departments,
        required=True,
        weight="high",
        reason_label="both in {value}",
    )
    question_add(
        program=program,
        key="career_goals",
        label="Career goals",
        kind="multi",
        options=CAREER_GOALS,
        weight="medium",
        reason_label="career goal",
    )
    question_add(
        program=program,
        key="interests",
        label="Professional and research interests",
        kind="multi",
        options=INTERESTS,
        weight="medium",
        reason_label="interest",
    )
    question_add(
        program=program,
        key="meeting",
        label="How do you prefer to meet?",
        kind="single",
        options=MEETING,
        weight="low",
        reason_label="meeting preference",
    )
    question_add(
        program=program,
        key="urim",
        label="Do you identify as a member of a group underrepresented in medicine?",
        help_text="Optional. Used only if you ask for it as a preference below.",
        kind="single",
        options=URIM,
        weight="low",
        is_private=True,
        is_preference=True,
    )
    question_add(
        program=program,
        key="hopes",
        label="What do you hope to get from a mentor?",
        kind="text",
        audience="mentee",
    )
    question_add(
        program=program,
        key="availability",
        label="Hours a month you can give",
        kind="number",
        audience="mentor",
    )


def _answers(rng: random.Random, specialty: str, *, mentor: bool) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "specialty": specialty,
        "career_goals": sorted(rng.sample(CAREER_GOALS, rng.randint(1, 2))),
        "interests": sorted(rng.sample(INTERESTS, rng.randint(1, 3))),
        "meeting": rng.choice(MEETING),
    }
    if rng.random() < 0.8:
        answers["urim"] = rng.choices(URIM, weights=[3, 6, 1])[0]
    if mentor:
        answers["availability"] = rng.choice([2, 3, 4])
    else:
        answers["hopes"] = rng.choice(
            [
                "Advice on fellowship applications.",
                "Help starting a research project.",
                "Someone to talk to about balancing work and family.",
                "Guidance on an academic career.",
            ]
        )
    return answers


def _account(person: Any, email: str, username: str | None = None, password: str = "") -> Any:
    from ristra.accounts.models import Role, User

    username = username or email.split("@")[0][:150]
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            first_name=person.given_name,
            last_name=person.family_name,
            email=email,
            role=Role.PARTICIPANT,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    return user


def _people(on: dt.date) -> tuple[list[tuple[Any, str, str]], list[tuple[Any, str, str]]]:
    """(residents and fellows, faculty) active on ``on``: (person, e-mail, department)."""
    from ristra.people.models import Identifier, IdSystem, OrgUnitKind, Stage, StageKind

    def rows(kind: str) -> list[tuple[Any, str, str]]:
        out = []
        seen: set[int] = set()
        for stage in (
            Stage.objects.active_on(on)
            .filter(kind=kind, org_unit__isnull=False)
            .select_related("person", "org_unit__parent")
            .order_by("person_id")
        ):
            unit = stage.org_unit
            assert unit is not None
            dept = unit.parent if unit.kind == OrgUnitKind.GME_PROGRAM else unit
            if dept is None or dept.kind != OrgUnitKind.DEPARTMENT or stage.person_id in seen:
                continue
            seen.add(stage.person_id)
            out.append((stage.person, dept.name))
        emails = dict(
            Identifier.objects.filter(
                system=IdSystem.EMAIL, person_id__in=[p.pk for p, _ in out]
            ).values_list("person_id", "value")
        )
        return [(p, emails[p.pk], d) for p, d in out if p.pk in emails]

    return rows(StageKind.GME_APPOINTMENT), rows(StageKind.FACULTY_APPOINTMENT)


@transaction.atomic
def seed_mentoring(
    *, seed: int = 2026, stdout: Any = None, replace: bool = False
) -> MentoringSummary | None:
    """Create the demo mentoring program (see the module docstring). Returns None when
    it already exists (unless ``replace``, which deletes it first) or the demo school is
    not loaded."""
    from ristra.accounts.models import ProgramScope, User
    from ristra.mentoring import services
    from ristra.people.demo import DEMO_PASSWORD, DEMO_TODAY

    def say(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg + "\n")

    if replace:
        Program.objects.filter(slug=DEMO_PROGRAM_SLUG).delete()
    if Program.objects.filter(slug=DEMO_PROGRAM_SLUG).exists():
        say("The demo mentoring program already exists; left as it is.")
        return None
    residents, faculty = _people(DEMO_TODAY)
    if len(residents) < 40 or len(faculty) < 20:
        say("The demo school is not loaded: no demo mentoring program.")
        return None
    rng = random.Random(seed)  # noqa: S311 - fictional demo data
    scope, _ = ProgramScope.objects.get_or_create(
        slug=DEMO_PROGRAM_SLUG, defaults={"name": DEMO_PROGRAM_NAME}
    )
    manager = User.objects.filter(username="manager").first()
    if manager is not None:
        manager.programs.add(scope)
    program = Program.objects.create(
        name=DEMO_PROGRAM_NAME,
        slug=DEMO_PROGRAM_SLUG,
        scope=scope,
        mode=Mode.ASSIGNED,
        description=(
            "A year of mentoring for residents and fellows by faculty outside their "
            "reporting line. Meet monthly; log your check-ins."
        ),
        load_cap=4,
        created_by=manager,
    )
    # Departments where both sides are present, so the specialty criterion can match.
    common = sorted({d for _p, _e, d in residents} & {d for _p, _e, d in faculty})
    _questions(program, common)
    residents = [r for r in residents if r[2] in common]
    faculty = [f for f in faculty if f[2] in common]
    rng.shuffle(residents)
    rng.shuffle(faculty)

    published = Cycle.objects.create(
        program=program,
        name="2027",
        enrolment_opens=dt.date(2026, 9, 1),
        enrolment_closes=dt.date(2026, 10, 15),
        matching_on=dt.date(2026, 10, 20),
        starts_on=dt.date(2026, 11, 1),
        ends_on=dt.date(2027, 10, 31),
        status=CycleStatus.ENROLLING,
    )
    spring = Cycle.objects.create(
        program=program,
        name="Spring 2027 entry",
        enrolment_opens=dt.date(2026, 11, 1),
        enrolment_closes=dt.date(2026, 12, 15),
        matching_on=dt.date(2027, 1, 5),
        starts_on=dt.date(2027, 1, 15),
        ends_on=dt.date(2027, 12, 31),
        status=CycleStatus.ENROLLING,
    )

    def enrol(cycle: Cycle, row: tuple[Any, str, str], role: str, user: Any = None) -> Enrolment:
        person, email, dept = row
        user = user or _account(person, email)
        mentor = role == "mentor"
        return services.enrolment_submit(
            cycle=cycle,
            user=user,
            role=role,
            capacity=rng.choice([1, 2, 2, 3, 4]) if mentor else 1,
            answers=_answers(rng, dept, mentor=mentor),
            preferences_used=["urim"] if not mentor and rng.random() < 0.25 else [],
            person=person,
        )

    # The published cycle: 43 mentees, 18 mentors. The demo 'mentor' account is one mentor
    # and the demo 'mentee' account (a resident in the same department) is their mentee.
    mentor_row = faculty[0]
    mentor_user = User.objects.filter(username=MENTOR_USERNAME).first() or _account(
        mentor_row[0], mentor_row[1], username=MENTOR_USERNAME, password=DEMO_PASSWORD
    )
    mentor_enrolment = enrol(published, mentor_row, "mentor", user=mentor_user)
    mentor_enrolment.capacity = max(mentor_enrolment.capacity, 2)  # the two demo mentees
    mentor_enrolment.save(update_fields=["capacity"])
    mentee_row = next((r for r in residents if r[2] == mentor_row[2]), residents[-1])
    residents = [r for r in residents if r is not mentee_row]
    mentee_user = User.objects.filter(username=MENTEE_USERNAME).first() or _account(
        mentee_row[0], mentee_row[1], username=MENTEE_USERNAME, password=DEMO_PASSWORD
    )
    mentee_enrolment = services.enrolment_submit(
        cycle=published,
        user=mentee_user,
        role="mentee",
        capacity=1,
        answers={
            **_answers(rng, mentee_row[2], mentor=False),
            "interests": ["health-equity research", "medical education"],
        },
        person=mentee_row[0],
    )
    for row in faculty[1:18]:
        enrol(published, row, "mentor")
    for row in residents[:42]:
        enrol(published, row, "mentee")
    viewer = User.objects.filter(username="viewer").first()
    if viewer is not None:
        vera = services.enrolment_submit(
            cycle=published,
            user=viewer,
            role="mentee",
            capacity=1,
            answers={
                **_answers(rng, mentor_row[2], mentor=False),
                "interests": ["health-equity research"],
            },
        )
        mentor_enrolment.answers = {
            **mentor_enrolment.answers,
            "interests": sorted({*mentor_enrolment.answers["interests"], "health-equity research"}),
        }
        mentor_enrolment.save(update_fields=["answers"])
        services.constraint_set(
            cycle=published,
            kind="pin",
            mentee=vera,
            mentor=mentor_enrolment,
            user=manager,
            note="Demo: the viewer account's mentor",
        )
    mentor_enrolment.answers = {
        **mentor_enrolment.answers,
        "interests": sorted({*mentor_enrolment.answers["interests"], "health-equity research"}),
    }
    mentor_enrolment.save(update_fields=["answers"])
    services.constraint_set(
        cycle=published,
        kind="pin",
        mentee=mentee_enrolment,
        mentor=mentor_enrolment,
        user=manager,
        note="Demo: the mentee account's mentor",
    )
    runs = services.match_runs_create(cycle=published, user=manager)
    stable = next(r for r in runs if r.policy == "stable")
    # No e-mail: the demo's people are fictional.
    pairs = services.match_run_publish(run=stable, user=manager, notify=False)
    say(f"Published {len(pairs)} mentoring pairs in '{published}'.")
    # A few check-ins, so relationship health has something to show.
    for pair in pairs[::3]:
        services.checkin_log(
            pair=pair,
            user=pair.mentor.user,
            met_on=dt.date(2026, 11, rng.randint(3, 14)),
            minutes=rng.choice([30, 45, 60]),
            note="",
        )

    # The spring cycle, open: other people, not yet matched.
    for row in faculty[18:26]:
        enrol(spring, row, "mentor")
    for row in faculty[26:28]:
        enrol(spring, row, "either")
    for row in residents[42:62]:
        enrol(spring, row, "mentee")
    return MentoringSummary(
        program=program.name,
        enrolments=published.enrolments.count(),
        pairs=len(pairs),
        open_cycle_enrolments=spring.enrolments.count(),
    )
