"""The demo pathway and support programs (fictional), seeded after the demo school.

:func:`seed_pathways` creates, under the demo scope ``summer-academy`` (managed by the
demo account ``manager``):

* **Summer Health Careers Academy** — a pathway program for college students, with three
  partners, cohorts 2017–2023 (45 participants and 14 on the waitlist each), eight
  sessions per cohort with attendance. 24 of each 2017–2020 cohort are people who later
  applied to the demo school (drawn from the demo person record, so their outcomes are
  real demo outcomes), entered as a program office would have typed them years earlier:
  accents dropped, nicknames, a transposed letter, a second surname added or dropped, a
  missing birth date, a college e-mail instead of the one on the application, the AAMC ID
  for a few (10 of the 24 were later offered a place, more than among
  applicants at large). The rest never applied.
* **Summer Success Seminar Series** — a support program for enrolled first-year students,
  cohorts 2021–2023, drawn from the demo matriculants (exact names, school e-mail).

Then it links both programs (the linkage engine), leaving uncertain pairs in the review
queue. Deterministic for a seed; does nothing when the programs exist (unless
``replace``).
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from ristra.pathways.models import (
    Attendance,
    Cohort,
    Participant,
    ParticipantStatus,
    Partner,
    PartnerKind,
    PathwayProgram,
    ProgramKind,
    Session,
)

SCOPE_SLUG = "summer-academy"
SCOPE_NAME = "Summer Health Careers Academy"
ACADEMY_SLUG = "summer-academy"
SEMINAR_SLUG = "summer-success-seminars"
PARTNERS = (
    ("Rio Grande Community College (fictional)", PartnerKind.COLLEGE, "rgcc.invalid"),
    ("Universidad del Norte Pueblo (fictional)", PartnerKind.COLLEGE, "udnp.invalid"),
    ("Four Corners Youth Health Alliance (fictional)", PartnerKind.COMMUNITY, "fcyha.invalid"),
)
NICKNAMES = {
    "Alejandro": "Alex",
    "Guadalupe": "Lupe",
    "Francisco": "Paco",
    "José": "Pepe",
    "Elizabeth": "Liz",
    "Katherine": "Kate",
    "William": "Bill",
    "Robert": "Bob",
    "Michael": "Mike",
    "Jennifer": "Jen",
    "Christopher": "Chris",
    "Daniel": "Dan",
    "Rebecca": "Becky",
    "Samuel": "Sam",
    "Benjamin": "Ben",
    "Dolores": "Lola",
    "Consuelo": "Chelo",
    "Jonathan": "Jon",
    "Nicholas": "Nick",
    "Anthony": "Tony",
}


@dataclass
class PathwaysSummary:
    programs: int
    cohorts: int
    participants: int
    linked: int
    to_review: int


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _transpose(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _as_typed(
    rng: random.Random, person: Any, email: str, aamc: str, college_domain: str
) -> dict[str, Any]:
    """How a program office would have typed this person years before they applied."""
    given, family, birth = person.given_name, person.family_name, person.birth_date
    roll = rng.random()
    if roll < 0.25:
        given, family = _fold(given), _fold(family)
    elif roll < 0.35 and given in NICKNAMES:
        given = NICKNAMES[given]
    elif roll < 0.45:
        family = _transpose(rng, family)
    elif roll < 0.52:
        if " " in family or "-" in family:
            family = family.replace("-", " ").split()[0]
        else:
            family = f"{family} {rng.choice(['Lopez', 'Chavez', 'Baca', 'Trujillo'])}"
    if rng.random() < 0.08:
        birth = None
    elif birth is not None and rng.random() < 0.04 and birth.day <= 12:
        birth = dt.date(birth.year, birth.day, birth.month)
    stem = "".join(c for c in _fold(given + family).lower() if c.isalnum())[:18]
    typed_email = email if rng.random() < 0.4 else f"{stem}{rng.randint(1, 99)}@{college_domain}"
    return {
        "given_name": given,
        "family_name": family,
        "birth_date": birth,
        "email": typed_email.lower(),
        "aamc_id": aamc if rng.random() < 0.25 else "",
    }


def _fictional(rng: random.Random, year: int, domain: str) -> dict[str, Any]:
    from ristra.people.demo import _NAMES

    group = rng.choice(sorted(_NAMES))
    female, male, families = _NAMES[group]
    given = rng.choice(female if rng.random() < 0.6 else male)
    family = rng.choice(families)
    birth = dt.date(year - rng.randint(19, 22), rng.randint(1, 12), rng.randint(1, 28))
    stem = "".join(c for c in _fold(given + family).lower() if c.isalnum())[:18]
    return {
        "given_name": given,
        "family_name": family,
        "birth_date": birth,
        "email": f"{stem}{rng.randint(100, 999)}@{domain}",
        "aamc_id": "",
    }


def _applicants_by_first_cycle() -> dict[int, list[tuple[Any, str, str]]]:
    """Applicants by their first application cycle: (person, personal e-mail, AAMC ID)."""
    from ristra.people.models import Identifier, IdSystem, Person, Stage

    first: dict[int, int] = {}
    for person_id, year in Stage.objects.filter(
        kind="application", academic_year__isnull=False
    ).values_list("person_id", "academic_year"):
        if year is not None:
            first[person_id] = min(year, first.get(person_id, year))
    idents: dict[int, dict[str, str]] = {}
    for person_id, system, value in Identifier.objects.filter(
        person_id__in=first, system__in=[IdSystem.EMAIL, IdSystem.AAMC_ID]
    ).values_list("person_id", "system", "value"):
        if system == IdSystem.EMAIL and "sdcmed" in value:
            continue
        idents.setdefault(person_id, {}).setdefault(system, value)
    out: dict[int, list[tuple[Any, str, str]]] = {}
    for person in Person.objects.filter(pk__in=first).order_by("pk"):
        extra = idents.get(person.pk, {})
        out.setdefault(first[person.pk], []).append(
            (person, extra.get(IdSystem.EMAIL, ""), extra.get(IdSystem.AAMC_ID, ""))
        )
    return out


def _matriculants(year: int) -> list[tuple[Any, str]]:
    from ristra.people.models import Identifier, IdSystem, Stage

    stages = Stage.objects.filter(kind="matriculation", academic_year=year).select_related("person")
    people = {s.person_id: s.person for s in stages}
    emails = dict(
        Identifier.objects.filter(
            person_id__in=people, system=IdSystem.EMAIL, value__contains="sdcmed"
        ).values_list("person_id", "value")
    )
    return [(people[k], emails.get(k, "")) for k in sorted(people)]


def _sessions(rng: random.Random, cohort: Cohort, count: int, titles: list[str]) -> None:
    sessions = [
        Session.objects.create(
            cohort=cohort,
            held_on=cohort.starts_on + dt.timedelta(days=round(i * 42 / max(count, 1))),
            title=titles[i % len(titles)],
        )
        for i in range(count)
    ]
    rows = []
    for participant in cohort.participants.filter(status=ParticipantStatus.PARTICIPANT):
        propensity = rng.betavariate(4, 1.5)
        rows += [
            Attendance(session=s, participant=participant)
            for s in sessions
            if rng.random() < propensity
        ]
    Attendance.objects.bulk_create(rows)


@transaction.atomic
def _create(seed: int) -> tuple[list[PathwayProgram], int, int]:
    from ristra.accounts.models import ProgramScope, User

    rng = random.Random(seed)  # noqa: S311 - fictional demo data
    scope, _ = ProgramScope.objects.get_or_create(slug=SCOPE_SLUG, defaults={"name": SCOPE_NAME})
    manager = User.objects.filter(username="manager").first()
    if manager is not None:
        manager.programs.add(scope)
    academy = PathwayProgram.objects.create(
        name="Summer Health Careers Academy",
        slug=ACADEMY_SLUG,
        scope=scope,
        kind=ProgramKind.PATHWAY,
        audience="College students considering medicine",
        grade_levels="College years 1-3",
        starts_on=dt.date(2017, 6, 1),
        sessions_planned=8,
        stipend=1500,
        eligibility=(
            "Enrolled at a partner college or living in the state; first-generation college "
            "students and students from rural counties are encouraged to apply."
        ),
        description="Six weeks of clinical shadowing, MCAT preparation and mentoring.",
    )
    seminar = PathwayProgram.objects.create(
        name="Summer Success Seminar Series",
        slug=SEMINAR_SLUG,
        scope=scope,
        kind=ProgramKind.SUPPORT,
        audience="Enrolled first-year medical students",
        grade_levels="MS1",
        starts_on=dt.date(2021, 6, 1),
        sessions_planned=6,
        eligibility="Any first-year student; students on academic notice are invited first.",
        description="Study skills, board preparation and wellbeing, before the second year.",
    )
    partners = []
    for name, kind, _domain in PARTNERS:
        partner = Partner.objects.create(
            name=name,
            kind=kind,
            agreement_starts=dt.date(2016, 9, 1),
            agreement_ends=dt.date(2027, 8, 31),
            contact_name="Program liaison",
            contact_email=f"liaison@{_domain}",
        )
        partner.programs.add(academy)
        partners.append((partner, _domain))
    by_cycle = _applicants_by_first_cycle()
    from ristra.people.models import Stage

    offered = set(Stage.objects.filter(kind="offer").values_list("person_id", flat=True))
    used: set[int] = set()
    n_participants = 0
    n_cohorts = 0
    titles = [
        "Welcome and goals",
        "Shadowing: family medicine",
        "MCAT strategies",
        "Writing the personal statement",
        "Shadowing: emergency medicine",
        "Financing medical school",
        "Mock interviews",
        "Closing and next steps",
    ]
    for year in range(2017, 2024):
        cohort = Cohort.objects.create(
            program=academy,
            year=year,
            starts_on=dt.date(year, 6, 5),
            ends_on=dt.date(year, 7, 14),
        )
        n_cohorts += 1
        pool = [
            entry
            for cycle in range(year + 1, year + 5)
            for entry in by_cycle.get(cycle, [])
            if entry[0].pk not in used and entry[0].birth_date is not None
        ]
        rng.shuffle(pool)
        # Participants were admitted more often than other applicants (the demo's program
        # "works"): 10 of the 24 later applicants per cohort are drawn from those offered.
        admitted = [e for e in pool if e[0].pk in offered][:10]
        others = [e for e in pool if e[0].pk not in offered]
        real = (admitted + others[: 24 - len(admitted)]) if year <= 2020 else []
        real_wait = others[24 - len(admitted) : 28 - len(admitted)] if year <= 2020 else []
        rows: list[tuple[dict[str, Any], ParticipantStatus, Any]] = []
        for status, members, fictional in (
            (ParticipantStatus.PARTICIPANT, real, 45 - len(real)),
            (ParticipantStatus.WAITLIST, real_wait, 14 - len(real_wait)),
        ):
            for person, email, aamc in members:
                partner, domain = rng.choice(partners)
                used.add(person.pk)
                rows.append((_as_typed(rng, person, email, aamc, domain), status, partner))
            for _ in range(fictional):
                partner, domain = rng.choice(partners)
                rows.append((_fictional(rng, year, domain), status, partner))
        rng.shuffle(rows)
        for fields, status, partner in rows:
            Participant.objects.create(
                cohort=cohort,
                status=status,
                partner=partner,
                institution=partner.name if partner.kind == PartnerKind.COLLEGE else "",
                consent_follow_up=rng.random() < 0.92,
                **fields,
            )
            n_participants += 1
        _sessions(rng, cohort, 8, titles)
    seminar_titles = ["Study skills", "Board preparation", "Wellbeing", "Clinical reasoning"]
    for year in (2021, 2022, 2023):
        cohort = Cohort.objects.create(
            program=seminar,
            year=year,
            starts_on=dt.date(year + 1, 6, 6),
            ends_on=dt.date(year + 1, 7, 29),
        )
        n_cohorts += 1
        students = _matriculants(year)
        rng.shuffle(students)
        for i, (person, email) in enumerate(students[:40]):
            Participant.objects.create(
                cohort=cohort,
                status=ParticipantStatus.PARTICIPANT if i < 30 else ParticipantStatus.WAITLIST,
                given_name=person.given_name,
                family_name=person.family_name,
                birth_date=person.birth_date,
                email=email,
                consent_follow_up=True,
            )
            n_participants += 1
        _sessions(rng, cohort, 6, seminar_titles)
    return [academy, seminar], n_cohorts, n_participants


def seed_pathways(
    *, seed: int = 2026, stdout: Any = None, replace: bool = False
) -> PathwaysSummary | None:
    """Create and link the demo programs (see the module docstring)."""
    from ristra.pathways.models import LinkRun, LinkRunStatus
    from ristra.pathways.services import link_run_execute
    from ristra.people.models import Stage

    def say(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg + "\n")

    if replace:
        PathwayProgram.objects.filter(slug__in=[ACADEMY_SLUG, SEMINAR_SLUG]).delete()
        Partner.objects.filter(name__in=[p[0] for p in PARTNERS]).delete()
    if PathwayProgram.objects.filter(slug__in=[ACADEMY_SLUG, SEMINAR_SLUG]).exists():
        say("The demo pathway programs already exist; left as they are.")
        return None
    if not Stage.objects.filter(kind="application").exists():
        say("The demo school is not loaded: no demo pathway programs.")
        return None
    programs, n_cohorts, n_participants = _create(seed)
    linked = review = 0
    for program in programs:
        run = link_run_execute(run=LinkRun.objects.create(program=program))
        if run.status != LinkRunStatus.DONE:
            say(f"Linking {program.name} failed: {run.error}")
            continue
        linked += run.linked
        review += run.to_review
    say(
        f"Demo pathways: {len(programs)} programs, {n_cohorts} cohorts, {n_participants} "
        f"participants; {linked} linked to later records, {review} pairs to review."
    )
    return PathwaysSummary(len(programs), n_cohorts, n_participants, linked, review)
