"""Exclusions from the person record, "either" enrolments, the load cap, pins and forbids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ristra.mentoring import selectors, services
from ristra.mentoring.models import Pair
from ristra.people.models import OrgUnit, Person, Stage

from .conftest import enrol, make_user


def _unit(code: str, kind: str, parent: OrgUnit | None = None) -> OrgUnit:
    return OrgUnit.objects.create(name=code, code=code, kind=kind, parent=parent)


def _person(name: str, kind: str, unit: OrgUnit, **extra: Any) -> Person:
    person = Person.objects.create(given_name=name, family_name="Test")
    Stage.objects.create(
        person=person,
        kind=kind,
        key=f"{kind}-{unit.code}",
        start_date=dt.date(2020, 7, 1),
        org_unit=unit,
        **extra,
    )
    return person


def test_a_mentee_is_never_matched_with_their_program_director(
    cast: dict[str, Any], cycle: Any
) -> None:
    dept = _unit("peds", "department")
    residency = _unit("peds-res", "gme_program", dept)
    resident = _person("Res", "gme_appointment", residency)
    director = _person("Dir", "faculty_appointment", dept)
    Stage.objects.create(
        person=director,
        kind="leadership_appointment",
        key="pd",
        start_date=dt.date(2020, 7, 1),
        org_unit=residency,
        title="Program Director",
    )
    other = _person("Oth", "faculty_appointment", dept)
    # The program director is the perfect fit on paper.
    pd = services.enrolment_submit(
        cycle=cycle,
        user=cast["mentor"],
        role="mentor",
        capacity=1,
        answers={"specialty": "Pediatrics", "interests": ["teaching"]},
        person=director,
    )
    services.enrolment_submit(
        cycle=cycle,
        user=make_user("olga"),
        role="mentor",
        capacity=1,
        answers={"specialty": "Surgery"},
        person=other,
    )
    mentee = services.enrolment_submit(
        cycle=cycle,
        user=cast["mentee"],
        role="mentee",
        capacity=1,
        answers={"specialty": "Pediatrics", "interests": ["teaching"]},
        person=resident,
    )
    assert mentee.department_id == dept.pk
    inputs = selectors.matching_inputs(cycle)
    me = next(m for m in inputs.mentees if m.id == str(mentee.pk))
    assert me.reporting_line == frozenset({str(pd.pk)})
    run = services.match_runs_create(cycle=cycle, user=None, policies=["welfare"])[0]
    assert [(p["mentee"], p["mentor"]) for p in run.result["pairs"]] != [
        (str(mentee.pk), str(pd.pk))
    ]
    assert all(p["mentor"] != str(pd.pk) for p in run.result["pairs"])


def test_same_department_can_be_excluded(cast: dict[str, Any], cycle: Any) -> None:
    dept = _unit("surg", "department")
    a = _person("A", "faculty_appointment", dept)
    b = _person("B", "gme_appointment", dept)
    services.enrolment_submit(
        cycle=cycle,
        user=cast["mentor"],
        role="mentor",
        capacity=1,
        answers={"specialty": "Surgery"},
        person=a,
    )
    services.enrolment_submit(
        cycle=cycle,
        user=cast["mentee"],
        role="mentee",
        capacity=1,
        answers={"specialty": "Surgery"},
        person=b,
    )
    assert (
        services.match_runs_create(cycle=cycle, user=None, policies=["stable"])[0].quality[
            "matched"
        ]
        == 1
    )
    cycle.program.same_department_allowed = False
    cycle.program.save()
    run = services.match_runs_create(cycle=cycle, user=None, policies=["stable"])[0]
    assert run.quality["matched"] == 0
    assert run.quality["unmatched"][0]["reason"] == "all_candidates_forbidden"


def test_previous_mentors_are_excluded_and_the_load_cap_counts_other_programs(
    cast: dict[str, Any], cycle: Any, other_program: Any
) -> None:
    old = other_program.cycles.get()
    m_old = enrol(old, cast["mentor"], "mentor", capacity=2, specialty="Pediatrics")
    e_old = enrol(old, cast["mentee"], "mentee", specialty="Pediatrics")
    Pair.objects.create(cycle=old, mentor=m_old, mentee=e_old)
    enrol(cycle, cast["mentor"], "mentor", capacity=2, specialty="Pediatrics")
    enrol(cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    enrol(cycle, make_user("zed"), "mentee", specialty="Pediatrics")
    enrol(cycle, make_user("yan"), "mentee", specialty="Pediatrics")
    run = services.match_runs_create(cycle=cycle, user=None, policies=["welfare"])[0]
    names = {str(e.pk): e.user.username for e in cycle.enrolments.all()}
    matched = sorted(names[p["mentee"]] for p in run.result["pairs"])
    assert "hana" not in matched and len(matched) == 2
    cycle.program.load_cap = 2  # gus already mentors one person elsewhere
    cycle.program.save()
    run = services.match_runs_create(cycle=cycle, user=None, policies=["welfare"])[0]
    assert run.quality["matched"] == 1


def test_either_enrolments_mentor_only_where_seats_are_short(cycle: Any) -> None:
    users = [make_user(f"u{i}") for i in range(5)]
    enrol(cycle, users[0], "mentee", specialty="Pediatrics")
    enrol(cycle, users[1], "mentee", specialty="Pediatrics")
    enrol(cycle, users[2], "either", capacity=2, specialty="Pediatrics")
    enrol(cycle, users[3], "either", capacity=1, specialty="Pediatrics")
    enrol(cycle, users[4], "either", capacity=1, specialty="Pediatrics")
    mentees, mentors = selectors.split_roles(selectors.active_enrolments(cycle))
    # u2 alone leaves a mentee over if u3 mentees too; then the seats suffice.
    assert [e.user.username for e in mentors] == ["u2", "u3"]
    assert sorted(e.user.username for e in mentees) == ["u0", "u1", "u4"]


def test_pins_survive_reruns_and_forbids_hold(cast: dict[str, Any], cycle: Any) -> None:
    good = enrol(cycle, cast["mentor"], "mentor", specialty="Pediatrics")
    weak = enrol(cycle, make_user("olga"), "mentor", specialty="Surgery")
    mentee = enrol(cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    services.constraint_set(cycle=cycle, kind="pin", mentee=mentee, mentor=weak, user=None)
    for policy in ("stable", "welfare", "rank", "hybrid"):
        run = services.match_runs_create(cycle=cycle, user=None, policies=[policy])[0]
        assert [(p["mentor"], p["pinned"]) for p in run.result["pairs"]] == [(str(weak.pk), True)]
    services.constraint_set(cycle=cycle, kind="forbid", mentee=mentee, mentor=weak, user=None)
    run = services.match_runs_create(cycle=cycle, user=None, policies=["stable"])[0]
    assert [p["mentor"] for p in run.result["pairs"]] == [str(good.pk)]


def test_a_preference_counts_only_when_the_mentee_asks_and_the_program_allows(
    cast: dict[str, Any], cycle: Any
) -> None:
    enrol(cycle, cast["mentor"], "mentor", specialty="Pediatrics", identity="Yes")
    mentee = enrol(cycle, cast["mentee"], "mentee", specialty="Pediatrics", identity="Yes")
    questions = selectors.criteria_questions(cycle)
    assert "identity" not in selectors.attributes(mentee, questions, as_mentee=True, prefs_on=True)
    mentee.preferences_used = ["identity"]
    assert "identity" in selectors.attributes(mentee, questions, as_mentee=True, prefs_on=True)
    assert "identity" not in selectors.attributes(mentee, questions, as_mentee=True, prefs_on=False)
