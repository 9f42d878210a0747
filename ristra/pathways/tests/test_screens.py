"""Registering programs, partners, cohorts, sessions and attendance; participants'
own updates through the e-mailed link, with history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import mail
from django.urls import reverse

from ristra.pathways.access import participant_token
from ristra.pathways.forms import protected_terms_in
from ristra.pathways.models import (
    Attendance,
    Cohort,
    Participant,
    ParticipantChange,
    PathwayProgram,
    Session,
)


def _program_data(**extra: Any) -> dict[str, Any]:
    from ristra.accounts.models import ProgramScope

    data = {
        "name": "Rural Scholars",
        "slug": "rural-scholars",
        "scope": ProgramScope.objects.get(slug="gme-mentorship-2027").pk,
        "kind": "pathway",
        "audience": "High school juniors",
        "grade_levels": "11",
        "starts_on": "2024-06-01",
        "ends_on": "",
        "sessions_planned": "6",
        "stipend": "500",
        "eligibility": "Students from rural counties of the state.",
        "description": "",
    }
    data.update(extra)
    return data


def test_a_manager_registers_a_program_within_their_scope(client_for: Any) -> None:
    client = client_for("manager")
    r = client.post(reverse("pathways:program_new"), _program_data())
    assert r.status_code == 302
    program = PathwayProgram.objects.get(slug="rural-scholars")
    assert program.stipend == 500 and program.grade_levels == "11"


def test_eligibility_may_not_name_a_protected_characteristic(client_for: Any) -> None:
    client = client_for("manager")
    r = client.post(
        reverse("pathways:program_new"),
        _program_data(eligibility="Open to Hispanic and Black women only."),
    )
    assert r.status_code == 200
    assert "protected characteristic" in r.content.decode()
    assert not PathwayProgram.objects.exists()
    assert protected_terms_in("first-generation college students") == []
    assert protected_terms_in("URM students") == ["urm"]


def test_a_manager_cannot_put_a_program_in_a_scope_they_do_not_manage(
    client_for: Any, other_program: Any
) -> None:
    r = client_for("manager").post(
        reverse("pathways:program_new"),
        _program_data(scope=other_program.scope.pk),
    )
    assert r.status_code == 200 and not PathwayProgram.objects.filter(slug="rural-scholars")


def test_partners_cohorts_sessions_and_attendance(
    client_for: Any, program: Any, cohort: Any
) -> None:
    client = client_for("manager")
    r = client.post(
        reverse("pathways:partner_new", args=[program.slug]),
        {"name": "Rio College", "kind": "college", "contact_email": "a@rio.invalid"},
    )
    assert r.status_code == 302 and program.partners.filter(name="Rio College").exists()
    r = client.post(
        reverse("pathways:cohort_new", args=[program.slug]),
        {"year": "2020", "starts_on": "2020-06-01", "ends_on": "2020-05-01"},
    )
    assert not Cohort.objects.filter(year=2020).exists()
    r = client.post(
        reverse("pathways:cohort_new", args=[program.slug]),
        {"year": "2020", "starts_on": "2020-06-01", "ends_on": "2020-07-01"},
    )
    assert Cohort.objects.filter(program=program, year=2020).exists()
    client.post(
        reverse("pathways:session_new", args=[cohort.pk]),
        {"held_on": "2019-06-05", "title": "Shadowing"},
    )
    session = Session.objects.get(cohort=cohort)
    a = Participant.objects.create(cohort=cohort, given_name="A", family_name="B")
    w = Participant.objects.create(
        cohort=cohort, given_name="C", family_name="D", status="waitlist"
    )
    r = client.post(reverse("pathways:attendance", args=[session.pk]), {"attended": [a.pk, w.pk]})
    assert r.status_code == 302
    assert list(Attendance.objects.values_list("participant_id", flat=True)) == [a.pk]
    link = client.post(
        reverse("pathways:partner_link", args=[program.slug, program.partners.get().pk]),
        follow=True,
    )
    assert "/pathways/partner/" in link.content.decode()


def test_a_participant_updates_their_own_details_with_history(
    client: Any, client_for: Any, cohort: Any
) -> None:
    p = Participant.objects.create(
        cohort=cohort,
        given_name="Ana",
        family_name="Baca",
        birth_date=dt.date(2000, 1, 1),
        email="ana@example.org",
    )
    r = client_for("manager").post(reverse("pathways:participant_invite", args=[p.pk]))
    assert r.status_code == 302
    assert len(mail.outbox) == 1 and "/pathways/me/" in mail.outbox[0].body
    client.logout()
    url = reverse("pathways:self_update", args=[participant_token(p)])
    r = client.post(
        url,
        {
            "given_name": "Ana",
            "family_name": "Baca Vigil",
            "former_names": "Baca",
            "email": "ana.vigil@example.org",
            "institution": "Rio College",
            "consent_follow_up": "on",
        },
    )
    assert r.status_code == 200 and "saved" in r.content.decode()
    p.refresh_from_db()
    assert p.family_name == "Baca Vigil" and p.consent_follow_up
    changes = {
        c.field: (c.before, c.after) for c in ParticipantChange.objects.filter(participant=p)
    }
    assert changes["family_name"] == ("Baca", "Baca Vigil")
    assert changes["consent_follow_up"] == ("False", "True")
    assert all(c.by_participant for c in ParticipantChange.objects.all())
    assert "birth_date" not in changes
    bad = client.post(url, {"given_name": "", "family_name": "X", "email": "nope"})
    assert bad.status_code == 200 and "usa-error-message" in bad.content.decode()
