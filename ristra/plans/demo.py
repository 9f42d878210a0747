"""The demo school's strategic plan, required trainings and searches.

:func:`seed_plans` runs after the demo school, its definitions, mentoring and the snapshot
(``ristra demo``). It writes a school plan with goals in the five areas of the source
office's framework (faculty hiring, staff hiring, campus climate, professional training,
curriculum design), two unit plans rolling up into it, indicators bound to real measures
of the demo data (computed now, with a baseline computed for an earlier year or wave):
the climate survey's Belonging score and the summer academy's cohort yield among them, so
``seed_surveys`` and ``seed_pathways`` run before this. One indicator is bound to a retired
measure key (an old climate index) to show the "measure no longer available" state.
Trainings: the anti-racism and cultural-bias program every student completes before the
first clinical rotation, and the search-committee training; completions are imported
through the real importer from a generated LMS export (with a few unknown people), so some
students are overdue. Three searches with committees and checklists. Deterministic; does
nothing if the school plan exists.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from ristra.people.models import Identifier, IdSystem, OrgUnit, Stage, StageKind
from ristra.plans import services
from ristra.plans.models import (
    Action,
    ActionStatus,
    Area,
    ChecklistTemplate,
    CommitteeRole,
    Goal,
    Indicator,
    Plan,
    RequirementKind,
    Search,
    Training,
    TrainingRequirement,
)
from ristra.reports import indicators as registry

SCHOOL_PLAN_TITLE = "Strategic Plan for Inclusive Excellence 2024-2029"
ANTI_RACISM = "Anti-racism and cultural-bias program"
COMMITTEE_TRAINING = "Inclusive search-committee training"
CHECKLIST = "Faculty search checklist"
CHECKLIST_ITEMS = [
    "Every committee member's search-committee training is current",
    "Position description reviewed for inclusive language",
    "Outreach to professional networks recorded",
    "Applicant pool reviewed before the long list",
    "Structured interview questions agreed",
]
#: A retired measure key: the demo's indicator on it shows "measure no longer available".
MISSING_MEASURE = "retired_climate_index"
#: The demo climate survey's instrument (``ristra.surveys.demo``, the example instrument).
CLIMATE_SURVEY = "ristra_inclusion_climate_example"


@dataclass(frozen=True)
class PlansSummary:
    plans: int
    goals: int
    indicators: int
    completions: int
    overdue: int
    searches: int


def _user(username: str) -> Any:
    from ristra.accounts.models import User

    return User.objects.filter(username=username).first()


def _baseline(key: str, params: dict[str, Any], **earlier: Any) -> float | None:
    try:
        measure = registry.get(key)
        value = measure.compute(measure.clean_params({**params, **earlier}), dt.date(2023, 10, 1))
    except (registry.MeasureError, registry.UnknownMeasure):
        return None
    return value.value


def seed_plans(
    *, seed: int = 2026, stdout: Any = None, replace: bool = False
) -> PlansSummary | None:
    from ristra.people.demo import DEMO_SCHOOL_CODE, DEMO_TODAY

    def say(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg + "\n")

    if replace:
        clear_plans()
    if Plan.objects.filter(title=SCHOOL_PLAN_TITLE).exists():
        say("The demo strategic plan already exists; left as it is.")
        return None
    school = OrgUnit.objects.filter(code=DEMO_SCHOOL_CODE).first()
    if school is None:
        say("The demo school is not loaded: no demo plan.")
        return None
    rng = random.Random(seed)  # noqa: S311 - fictional demo data
    today = DEMO_TODAY
    admin, analyst, manager, viewer = (_user(n) for n in ("admin", "analyst", "manager", "viewer"))
    with transaction.atomic():
        plan = services.plan_save(
            plan=Plan(
                title=SCHOOL_PLAN_TITLE,
                unit=school,
                starts_on=dt.date(2024, 7, 1),
                ends_on=dt.date(2029, 6, 30),
                summary=(
                    "The school's plan, crafted with students, staff and faculty: five areas, "
                    "each with goals, actions and the indicators that show progress."
                ),
            )
        )
        goals = _school_goals(plan, admin, analyst, manager, viewer, today)
        units = list(OrgUnit.objects.filter(parent=school, kind="department").order_by("name"))
        dei = OrgUnit.objects.filter(code="office-dei").first() or school
        unit_plans = [
            services.plan_save(
                plan=Plan(
                    title=f"{(units[0] if units else school).name} action plan",
                    unit=units[0] if units else school,
                    parent=plan,
                    starts_on=plan.starts_on,
                    ends_on=plan.ends_on,
                )
            ),
            services.plan_save(
                plan=Plan(
                    title="Office for Diversity, Equity & Inclusion action plan",
                    unit=dei,
                    parent=plan,
                    starts_on=plan.starts_on,
                    ends_on=plan.ends_on,
                )
            ),
        ]
        for unit_plan, (area, title, action) in zip(
            unit_plans,
            [
                (
                    Area.FACULTY_HIRING,
                    "Diversify the department's applicant pools",
                    "Post every faculty opening with two professional networks",
                ),
                (
                    Area.PROFESSIONAL_TRAINING,
                    "Train every search committee before it meets",
                    "Run the search-committee training each quarter",
                ),
            ],
            strict=True,
        ):
            goal = Goal.objects.create(plan=unit_plan, area=area, title=title)
            Action.objects.create(
                goal=goal,
                title=action,
                owner=analyst,
                due_on=dt.date(2026, 6, 30),
                status=ActionStatus.ON_TRACK,
            )
        completions, overdue = _trainings(rng, today, admin)
        searches = _searches(rng, today, school, admin)
    readings = services.indicators_recompute(as_of=today)
    _progress_page(plan)
    say(
        f"Demo plan: {1 + len(unit_plans)} plans, {len(goals)} goals, {len(readings)} indicators, "
        f"{completions} training completions, {overdue} students overdue, {searches} searches."
    )
    return PlansSummary(
        plans=1 + len(unit_plans),
        goals=len(goals),
        indicators=len(readings),
        completions=completions,
        overdue=overdue,
        searches=searches,
    )


def _school_goals(
    plan: Plan, admin: Any, analyst: Any, manager: Any, viewer: Any, today: dt.date
) -> list[Goal]:
    spec: list[tuple[str, str, list[tuple[str, Any, dt.date, str, str]], list[dict[str, Any]]]] = [
        (
            Area.FACULTY_HIRING,
            "Recruit and retain faculty who reflect the communities we serve",
            [
                (
                    "Adopt the inclusive search checklist in every department",
                    analyst,
                    dt.date(2025, 6, 30),
                    ActionStatus.DONE,
                    "Adopted by all departments in May.",
                ),
                (
                    "Fund two bridge positions for early-career faculty",
                    admin,
                    dt.date(2026, 12, 31),
                    ActionStatus.AT_RISK,
                    "Funding for the second position is not yet confirmed.",
                ),
            ],
            [
                {
                    "label": "Share of new faculty hires underrepresented in medicine",
                    "key": "hires_share",
                    "params": {"population": "faculty", "dimension": "school:urim", "group": "yes"},
                    "earlier": {"academic_year": 2021},
                    "target": 0.25,
                    "public": True,
                },
                {
                    "label": "Share of faculty underrepresented in medicine (October 1 census)",
                    "key": "population_share",
                    "params": {"population": "faculty", "dimension": "school:urim", "group": "yes"},
                    "earlier": {"census_date": "2021-10-01"},
                    "target": 0.2,
                    "public": True,
                },
                {
                    "label": "Five-year retention of faculty underrepresented in medicine",
                    "key": "retention_rate",
                    "params": {
                        "population": "faculty",
                        "dimension": "school:urim",
                        "group": "yes",
                        "years": 5,
                    },
                    "earlier": None,
                    "target": 0.8,
                    "public": False,
                },
            ],
        ),
        (
            Area.STAFF_HIRING,
            "Open staff careers to people from every part of the state",
            [
                (
                    "Partner with two community colleges on staff pipelines",
                    manager,
                    dt.date(2026, 9, 30),
                    ActionStatus.ON_TRACK,
                    "First cohort of interns started in August.",
                ),
            ],
            [
                {
                    "label": "Share of new staff hires underrepresented in medicine",
                    "key": "hires_share",
                    "params": {"population": "staff", "dimension": "school:urim", "group": "yes"},
                    "earlier": {"academic_year": 2021},
                    "target": 0.35,
                    "public": True,
                },
            ],
        ),
        (
            Area.CAMPUS_CLIMATE,
            "Everyone belongs: a climate where people stay and thrive",
            [
                (
                    "Run the climate survey every two years and publish what we heard",
                    viewer,
                    dt.date(2027, 3, 31),
                    ActionStatus.NOT_STARTED,
                    "",
                ),
                (
                    "Hold listening sessions after each survey",
                    analyst,
                    dt.date(2025, 12, 15),
                    ActionStatus.DONE,
                    "Six sessions, 140 participants.",
                ),
            ],
            [
                {
                    "label": "Climate survey: percent favourable on Belonging",
                    "key": "survey_factor_score",
                    "params": {"factor": "belonging", "survey": CLIMATE_SURVEY},
                    "earlier": {"wave": "2025"},
                    "baseline_on": dt.date(2025, 3, 31),
                    "target": 0.8,
                    "public": True,
                },
                {
                    "label": "Climate index (the former survey vendor's score)",
                    "key": MISSING_MEASURE,
                    "params": {"factor": "belonging"},
                    "earlier": None,
                    "target": 4.0,
                    "baseline": 3.6,
                    "public": False,
                },
            ],
        ),
        (
            Area.PROFESSIONAL_TRAINING,
            "Every member of our community trained in anti-racism and inclusive practice",
            [
                (
                    "Require the anti-racism and cultural-bias program before clinical rotations",
                    admin,
                    dt.date(2025, 7, 1),
                    ActionStatus.DONE,
                    "Required from the 2025 entering class.",
                ),
                (
                    "Train every search-committee member before they review candidates",
                    analyst,
                    dt.date(2026, 6, 30),
                    ActionStatus.ON_TRACK,
                    "Ristra now refuses untrained committee members.",
                ),
            ],
            [
                {
                    "label": "Mentoring match rate, GME Mentorship",
                    "key": "mentoring_match_rate",
                    "params": {"program": "gme-mentorship-2027"},
                    "earlier": None,
                    "target": 0.95,
                    "public": True,
                },
            ],
        ),
        (
            Area.CURRICULUM_DESIGN,
            "A curriculum that prepares physicians for rural and underserved New Mexico",
            [
                (
                    "Add a rural health longitudinal track",
                    manager,
                    dt.date(2027, 8, 1),
                    ActionStatus.ON_TRACK,
                    "Curriculum committee approved the outline.",
                ),
            ],
            [
                {
                    "label": "Share of entrants with a rural background",
                    "key": "entrants_share",
                    "params": {
                        "stage": "matriculation",
                        "dimension": "school:rural",
                        "group": "yes",
                    },
                    "earlier": {"cycle": 2021},
                    "target": 0.3,
                    "public": True,
                },
                {
                    "label": "Summer academy participants later admitted here",
                    "key": "pathway_cohort_yield",
                    "params": {"program": "summer-academy", "step": "admitted"},
                    "earlier": None,
                    "target": 0.2,
                    "public": True,
                },
            ],
        ),
    ]
    goals = []
    for position, (area, title, actions, indicators) in enumerate(spec):
        goal = Goal.objects.create(
            plan=plan, area=area, title=title, public=True, position=position
        )
        goals.append(goal)
        for action_title, owner, due, status, narrative in actions:
            action = Action.objects.create(goal=goal, title=action_title, owner=owner, due_on=due)
            services.action_update(action=action, user=owner, status=status, narrative=narrative)
        for item in indicators:
            earlier = item["earlier"]
            baseline = item.get("baseline")
            if earlier is not None:
                baseline = _baseline(item["key"], item["params"], **earlier)
            Indicator.objects.create(
                goal=goal,
                label=item["label"],
                measure_key=item["key"],
                params=item["params"],
                baseline=baseline,
                baseline_on=(
                    item.get("baseline_on", dt.date(2021, 10, 1)) if earlier is not None else None
                ),
                target=item["target"],
                target_on=dt.date(2029, 6, 30),
                public=item["public"],
            )
    return goals


def _lms_export(rows: list[tuple[str, str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Learner ID", "Course Code", "Date Completed"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _active(kind: str, on: dt.date) -> Any:
    return Stage.objects.filter(kind=kind, start_date__lte=on).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=on)
    )


def _trainings(rng: random.Random, today: dt.date, admin: Any) -> tuple[int, int]:
    program = Training.objects.create(
        name=ANTI_RACISM,
        code="ARCB-101",
        description=(
            "The school's program on anti-racism and cultural bias in medicine. Every student "
            "completes it before the first clinical rotation."
        ),
    )
    requirement = TrainingRequirement.objects.create(
        training=program,
        kind=RequirementKind.STAGE,
        stage_kind=StageKind.ENROLLMENT,
        due_days=540,
        before="the first clinical rotation",
    )
    committee = Training.objects.create(
        name=COMMITTEE_TRAINING,
        code="ISC-200",
        description="Bias in review, structured interviews and the law after 2023.",
        valid_for_days=730,
    )
    TrainingRequirement.objects.create(training=committee, kind=RequirementKind.COMMITTEE)
    spells = dict(
        _active(StageKind.ENROLLMENT, today)
        .order_by("person_id", "start_date")
        .values_list("person_id", "start_date")
    )
    ids = dict(
        Identifier.objects.filter(
            system=IdSystem.STUDENT_ID, person_id__in=list(spells)
        ).values_list("person_id", "value")
    )
    rows: list[tuple[str, str, str]] = []
    for person_id, start in sorted(spells.items()):
        if person_id not in ids or rng.random() < 0.12:
            continue  # not done yet: overdue if enrolled more than 540 days ago
        done = min(start + dt.timedelta(days=rng.randint(20, 500)), today)
        rows.append((ids[person_id], "ARCB-101", done.strftime("%m/%d/%Y")))
    rows += [
        ("S0000001", "ARCB-101", "09/15/2025"),  # unknown person
        ("S0000002", "ARCB-101", "10/02/2025"),  # unknown person
        (next(iter(ids.values()), "x"), "ARCB-101", "not recorded"),  # bad date
        (next(iter(ids.values()), "x"), "WELL-001", "01/10/2026"),  # another course
    ]
    batch = services.completion_import(
        training=program,
        content=_lms_export(rows),
        filename="lms-export-arcb-101.csv",
        user=admin,
        id_system=IdSystem.STUDENT_ID,
        today=today,
    )
    faculty = list(
        _active(StageKind.FACULTY_APPOINTMENT, today)
        .order_by("person_id")
        .values_list("person_id", flat=True)
        .distinct()[:60]
    )
    employee = dict(
        Identifier.objects.filter(system=IdSystem.EMPLOYEE_ID, person_id__in=faculty).values_list(
            "person_id", "value"
        )
    )
    faculty_rows = []
    for index, person_id in enumerate(faculty):
        if person_id not in employee:
            continue
        # Most current; every fifth completed three years ago (expired).
        days_ago = 1100 if index % 5 == 4 else rng.randint(10, 600)
        done = today - dt.timedelta(days=days_ago)
        faculty_rows.append((employee[person_id], "ISC-200", done.isoformat()))
    committee_batch = services.completion_import(
        training=committee,
        content=_lms_export(faculty_rows),
        filename="lms-export-isc-200.csv",
        user=admin,
        id_system=IdSystem.EMPLOYEE_ID,
        today=today,
    )
    overdue = sum(
        1
        for s in services.requirement_status(requirement=requirement, on=today)
        if s.status == services.OVERDUE
    )
    return batch.rows_accepted + committee_batch.rows_accepted, overdue


def _searches(rng: random.Random, today: dt.date, school: OrgUnit, admin: Any) -> int:
    template = ChecklistTemplate.objects.create(name=CHECKLIST, items=CHECKLIST_ITEMS)
    departments = list(OrgUnit.objects.filter(parent=school, kind="department").order_by("name"))[
        :3
    ]
    positions = [
        "Assistant Professor of Family and Community Medicine",
        "Associate Professor of Internal Medicine",
        "Chair, Department of Pediatrics",
    ]
    faculty = list(
        _active(StageKind.FACULTY_APPOINTMENT, today)
        .order_by("person_id")
        .values_list("person_id", flat=True)
        .distinct()[:60]
    )
    from ristra.people.models import Person

    people = Person.objects.in_bulk(faculty)
    trained = [
        people[p]
        for p in faculty
        if not services.committee_trainings_missing(person=people[p], role="member", on=today)
    ]
    made = 0
    for index, position in enumerate(positions):
        unit = departments[index] if index < len(departments) else school
        search = services.search_create(
            position=position,
            unit=unit,
            cycle="2026-27",
            opens_on=today - dt.timedelta(days=90 - 30 * index),
            closes_on=today + dt.timedelta(days=120),
            template=template,
        )
        made += 1
        for n, person in enumerate(trained[index * 4 : index * 4 + 4]):
            services.search_member_add(
                search=search,
                person=person,
                role=CommitteeRole.CHAIR if n == 0 else CommitteeRole.MEMBER,
                user=admin,
            )
        for item in search.checklist.order_by("position")[: 4 - index]:
            services.checklist_item_set(item=item, done=True, user=admin)
    return made


def _progress_page(plan: Plan) -> None:
    """A "you said, we did" page on the public site, when the demo site is loaded."""
    from ristra.plans.models import PlanProgressPage
    from ristra.portal.models import HomePage

    home = HomePage.objects.first()
    if home is None or PlanProgressPage.objects.exists():
        return
    home.add_child(
        instance=PlanProgressPage(
            title="You said, we did: our plan's progress",
            slug="plan-progress",
            summary="What we promised in the strategic plan, what we have done, and the numbers.",
            plan=plan,
        )
    )


def clear_plans() -> None:
    """Delete every plan, training and search (demo --replace)."""
    with transaction.atomic():
        from ristra.plans.models import PlanProgressPage

        for page in PlanProgressPage.objects.all():
            page.delete()
        Plan.objects.update(parent=None)
        Plan.objects.all().delete()
        Search.objects.all().delete()
        Training.objects.all().delete()
        ChecklistTemplate.objects.all().delete()
