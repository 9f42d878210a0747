from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ristra.people.models import Identifier, OrgUnit, Person, Stage, StageKind
from ristra.plans import services
from ristra.plans.models import (
    Action,
    Area,
    ChecklistTemplate,
    Goal,
    Indicator,
    IndicatorReading,
    Plan,
    ReadingStatus,
    RequirementKind,
    Training,
    TrainingRequirement,
)

TODAY = dt.date(2026, 11, 16)


def person(given: str, family: str, **ids: str) -> Person:
    p = Person.objects.create(given_name=given, family_name=family)
    for system, value in ids.items():
        Identifier.objects.create(person=p, system=system, value=value)
    return p


@pytest.fixture
def world(cast: dict[str, Any]) -> dict[str, Any]:
    school = OrgUnit.objects.create(name="Test School", code="ts", kind="school")
    dept = OrgUnit.objects.create(name="Pediatrics", code="peds", kind="department", parent=school)
    plan = Plan.objects.create(
        title="School plan",
        unit=school,
        starts_on=dt.date(2024, 7, 1),
        ends_on=dt.date(2029, 6, 30),
    )
    unit_plan = Plan.objects.create(
        title="Pediatrics plan",
        unit=dept,
        parent=plan,
        starts_on=dt.date(2024, 7, 1),
        ends_on=dt.date(2029, 6, 30),
    )
    goal = Goal.objects.create(plan=plan, area=Area.FACULTY_HIRING, title="Hire well", public=True)
    action = Action.objects.create(goal=goal, title="Adopt the checklist", owner=cast["mentor"])
    plain = Indicator.objects.create(
        goal=goal,
        label="Match rate",
        measure_key="mentoring_match_rate",
        params={},
        target=0.9,
        target_on=dt.date(2029, 6, 30),
        public=True,
    )
    demographic = Indicator.objects.create(
        goal=goal,
        label="URiM faculty share",
        measure_key="population_share",
        params={"population": "faculty", "dimension": "sex", "group": "female"},
        baseline=0.4,
        target=0.5,
        target_on=dt.date(2029, 6, 30),
        public=True,
    )
    IndicatorReading.objects.create(
        indicator=demographic,
        as_of=TODAY,
        status=ReadingStatus.OK,
        measure_key="population_share",
        value=0.4567,
        numerator=137,
        denominator=300,
        definition="Share of faculty with sex = Female",
    )
    students = []
    for i in range(3):
        p = person(f"Stu{i}", "Dent", student_id=f"S{i:03d}", email=f"stu{i}@example.org")
        Stage.objects.create(
            person=p,
            kind=StageKind.ENROLLMENT,
            key=f"enr-{i}",
            start_date=dt.date(2023, 8, 1) if i < 2 else dt.date(2026, 8, 1),
            org_unit=school,
        )
        students.append(p)
    training = Training.objects.create(name="Anti-racism program", code="ARCB-101")
    requirement = TrainingRequirement.objects.create(
        training=training,
        kind=RequirementKind.STAGE,
        stage_kind=StageKind.ENROLLMENT,
        due_days=365,
        before="the first clinical rotation",
    )
    committee_training = Training.objects.create(name="Committee training", valid_for_days=730)
    TrainingRequirement.objects.create(training=committee_training, kind=RequirementKind.COMMITTEE)
    faculty = person("Fay", "Culty", employee_id="E100")
    template = ChecklistTemplate.objects.create(name="Search", items=["Training", "Outreach"])
    search = services.search_create(
        position="Professor of Pediatrics",
        unit=dept,
        cycle="2026-27",
        opens_on=TODAY,
        template=template,
    )
    return {
        "school": school,
        "dept": dept,
        "plan": plan,
        "unit_plan": unit_plan,
        "goal": goal,
        "action": action,
        "plain": plain,
        "demographic": demographic,
        "students": students,
        "training": training,
        "requirement": requirement,
        "committee_training": committee_training,
        "faculty": faculty,
        "search": search,
    }
