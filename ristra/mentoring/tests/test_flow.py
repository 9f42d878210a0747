"""The whole assigned-mode flow through the pages: create, enrol, match, publish, see."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.urls import reverse

from ristra.mentoring.models import Cycle, Enrolment, MatchRun, Pair, Program

from .conftest import enrol, make_user


def test_manager_creates_program_and_mentee_sees_mentor_with_reasons(
    client_for: Any, cast: dict[str, Any]
) -> None:
    from ristra.accounts.models import ProgramScope

    scope = ProgramScope.objects.get(slug="gme-mentorship-2027")
    c = client_for("manager")
    r = c.post(
        reverse("mentoring:program_new"),
        {
            "name": "GME Mentorship 2027",
            "slug": "gme-2027",
            "scope": scope.pk,
            "mode": "assigned",
            "allow_participant_preferences": "on",
            "same_department_allowed": "on",
            "exclude_previous_mentors": "on",
            "max_requests": 3,
            "days_to_accept": 7,
            "checkin_every_days": 30,
        },
    )
    assert r.status_code == 302, r.content
    program = Program.objects.get(slug="gme-2027")
    form_url = reverse("mentoring:form", args=[program.slug])
    for q in (
        {
            "label": "Specialty",
            "key": "specialty",
            "kind": "single",
            "audience": "both",
            "required": "on",
            "weight": "high",
            "reason_label": "both in {value}",
            "options_text": "Pediatrics\nSurgery",
        },
        {
            "label": "Interests",
            "key": "interests",
            "kind": "multi",
            "audience": "both",
            "weight": "medium",
            "reason_label": "interest",
            "options_text": "health-equity research\nteaching\nglobal health",
        },
    ):
        r = c.post(form_url, q)
        assert r.status_code == 302, r.content
    assert list(program.questions.values_list("key", flat=True)) == ["specialty", "interests"]
    # Reorder: interests up.
    q2 = program.questions.get(key="interests")
    c.post(reverse("mentoring:question_move", args=[program.slug, q2.pk]), {"direction": "up"})
    assert list(program.questions.values_list("key", flat=True)) == ["interests", "specialty"]

    r = c.post(
        reverse("mentoring:cycle_new", args=[program.slug]),
        {
            "name": "2027",
            "enrolment_opens": "2026-11-01",
            "enrolment_closes": "2026-12-01",
            "matching_on": "2026-12-05",
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
        },
    )
    assert r.status_code == 302, r.content
    cycle = Cycle.objects.get(program=program)
    c.post(reverse("mentoring:cycle_status", args=[cycle.pk]), {"status": "enrolling"})
    cycle.refresh_from_db()
    assert cycle.status == "enrolling"

    # The mentor and the mentee enrol themselves through the form.
    m = client_for("mentor")
    assert m.get(reverse("mentoring:home")).status_code == 200
    r = m.post(
        reverse("mentoring:enrol", args=[cycle.pk]),
        {
            "role": "mentor",
            "capacity": 2,
            "q_specialty": "Pediatrics",
            "q_interests": ["health-equity research", "teaching"],
        },
    )
    assert r.status_code == 302, r.content
    other_mentor = make_user("olga")
    enrol(cycle, other_mentor, "mentor", specialty="Surgery", interests=["global health"])
    h = client_for("mentee")
    r = h.post(
        reverse("mentoring:enrol", args=[cycle.pk]),
        {
            "role": "mentee",
            "capacity": 1,
            "q_specialty": "Pediatrics",
            "q_interests": ["health-equity research"],
        },
    )
    assert r.status_code == 302, r.content
    assert Enrolment.objects.filter(cycle=cycle).count() == 3

    # Manager runs every policy and compares.
    c = client_for("manager")
    r = c.post(reverse("mentoring:matching", args=[cycle.pk]), {"action": "run"})
    assert r.status_code == 302
    runs = MatchRun.objects.filter(cycle=cycle)
    assert sorted(runs.values_list("policy", flat=True)) == ["hybrid", "rank", "stable", "welfare"]
    page = c.get(reverse("mentoring:matching", args=[cycle.pk])).content.decode()
    assert "Blocking pairs" in page and "Best overall fit" in page
    stable = runs.get(policy="stable")
    assert stable.inputs["mentees"] and stable.result["quality"]["matched"] == 1
    detail = c.get(reverse("mentoring:run", args=[stable.pk])).content.decode()
    assert "both in Pediatrics" in detail

    mail.outbox.clear()
    with_commit = c.post(reverse("mentoring:run_publish", args=[stable.pk]))
    assert with_commit.status_code == 302
    pair = Pair.objects.get(cycle=cycle)
    assert pair.mentor.user == cast["mentor"] and pair.mentee.user == cast["mentee"]

    # The mentee sees the mentor with the reasons.
    h = client_for("mentee")
    page = h.get(reverse("mentoring:pair", args=[pair.pk])).content.decode()
    assert "Gus" in page or "gus" in page
    assert "both in Pediatrics" in page
    assert "shared interest: health-equity research" in page


def test_publishing_mails_every_participant_with_html_and_text(
    django_capture_on_commit_callbacks: Any, client_for: Any, cast: dict[str, Any], cycle: Any
) -> None:
    enrol(cycle, cast["mentor"], "mentor", specialty="Pediatrics", interests=["teaching"])
    enrol(cycle, cast["mentee"], "mentee", specialty="Pediatrics", interests=["teaching"])
    enrol(cycle, make_user("zed"), "mentee", specialty="Surgery")
    c = client_for("manager")
    c.post(reverse("mentoring:matching", args=[cycle.pk]), {"action": "run"})
    run = MatchRun.objects.get(cycle=cycle, policy="stable")
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("mentoring:run_publish", args=[run.pk]))
    to = sorted(m.to[0] for m in mail.outbox)
    assert to == ["gus@example.org", "hana@example.org", "zed@example.org"]
    for message in mail.outbox:
        alternatives = getattr(message, "alternatives", [])
        assert alternatives and alternatives[0][1] == "text/html"
    mentee_mail = next(m for m in mail.outbox if m.to == ["hana@example.org"])
    assert "same" not in mentee_mail.subject.lower()
    assert "both in Pediatrics" in mentee_mail.body
