"""A small program for the mentoring tests, on top of the fixed cast."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest


@pytest.fixture
def program(cast: dict[str, Any]) -> Any:
    from ristra.accounts.models import ProgramScope
    from ristra.mentoring.models import Program
    from ristra.mentoring.services import question_add

    scope = ProgramScope.objects.get(slug="gme-mentorship-2027")
    program = Program.objects.create(
        name="GME Mentorship 2027", slug="gme-2027", scope=scope, mode="assigned"
    )
    question_add(
        program=program,
        key="specialty",
        label="Specialty",
        kind="single",
        options=["Pediatrics", "Surgery", "Internal Medicine"],
        weight="high",
        reason_label="both in {value}",
        required=True,
    )
    question_add(
        program=program,
        key="interests",
        label="Interests",
        kind="multi",
        options=["health-equity research", "teaching", "global health"],
        weight="medium",
        reason_label="interest",
    )
    question_add(
        program=program,
        key="identity",
        label="Do you identify as underrepresented in medicine?",
        kind="single",
        options=["Yes", "No"],
        weight="low",
        is_private=True,
        is_preference=True,
    )
    question_add(program=program, key="goals", label="Your goals", kind="text", audience="mentee")
    return program


@pytest.fixture
def cycle(program: Any) -> Any:
    from ristra.mentoring.models import Cycle

    return Cycle.objects.create(
        program=program,
        name="2027",
        enrolment_opens=dt.date(2026, 11, 1),
        enrolment_closes=dt.date(2026, 12, 1),
        matching_on=dt.date(2026, 12, 5),
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 12, 31),
        status="enrolling",
    )


@pytest.fixture
def other_program(cast: dict[str, Any]) -> Any:
    """A program under a scope the cast's manager does not manage."""
    from ristra.accounts.models import ProgramScope
    from ristra.mentoring.models import Cycle, Program

    scope = ProgramScope.objects.create(name="Faculty Mentoring", slug="faculty-mentoring")
    program = Program.objects.create(
        name="Faculty Mentoring", slug="faculty", scope=scope, mode="assigned"
    )
    from ristra.mentoring.services import question_add

    question_add(
        program=program,
        key="specialty",
        label="Specialty",
        kind="single",
        options=["Pediatrics", "Surgery"],
        weight="must",
    )
    Cycle.objects.create(
        program=program,
        name="2027",
        enrolment_opens=dt.date(2026, 11, 1),
        enrolment_closes=dt.date(2026, 12, 1),
        matching_on=dt.date(2026, 12, 5),
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 12, 31),
        status="enrolling",
    )
    return program


def enrol(cycle: Any, user: Any, role: str, capacity: int = 1, **answers: Any) -> Any:
    from ristra.mentoring.services import enrolment_submit

    prefs = answers.pop("prefs", [])
    return enrolment_submit(
        cycle=cycle,
        user=user,
        role=role,
        capacity=capacity,
        answers=answers,
        preferences_used=prefs,
    )


def make_user(username: str, **extra: Any) -> Any:
    from ristra.accounts.models import User

    return User.objects.create(
        username=username, email=f"{username}@example.org", role="viewer", **extra
    )
