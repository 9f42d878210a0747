"""Every pathway screen: who gets it, who gets 403/404, and that identity views are audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ristra.audit.models import AuditEvent
from ristra.pathways.access import participant_token, partner_token
from ristra.pathways.models import (
    ClearinghouseReturn,
    Link,
    LinkRun,
    LinkStatus,
    Participant,
    ParticipantImport,
    Partner,
    PartnerKind,
    Session,
)
from ristra.pathways.tests.conftest import make_person


@pytest.fixture
def world(program: Any, cohort: Any) -> dict[str, Any]:
    participant = Participant.objects.create(
        cohort=cohort,
        given_name="Ana",
        family_name="Baca",
        birth_date=dt.date(2000, 1, 2),
        email="ana@example.org",
        consent_follow_up=True,
    )
    person = make_person("Ana", "Baca", dt.date(2000, 1, 2))
    link = Link.objects.create(
        participant=participant,
        person=person,
        method="probabilistic",
        match_probability=0.8,
        match_weight=2.0,
        evidence=[{"comparison": "birth date", "level": "exact", "weight": 5.0}],
        status=LinkStatus.REVIEW,
    )
    session = Session.objects.create(cohort=cohort, held_on=dt.date(2019, 6, 4), title="Day 1")
    batch = ParticipantImport.objects.create(cohort=cohort, filename="x.csv", sha256="0")
    run = LinkRun.objects.create(program=program, cohort=cohort)
    upload = ClearinghouseReturn.objects.create(program=program, filename="r.csv")
    return {
        "participant": participant,
        "link": link,
        "session": session,
        "batch": batch,
        "run": run,
        "upload": upload,
    }


def _get_urls(program: Any, cohort: Any, w: dict[str, Any]) -> list[str]:
    return [
        reverse("pathways:program", args=[program.slug]),
        reverse("pathways:program_edit", args=[program.slug]),
        reverse("pathways:outcomes", args=[program.slug]),
        reverse("pathways:review", args=[program.slug]),
        reverse("pathways:cohort", args=[cohort.pk]),
        reverse("pathways:import", args=[w["batch"].pk]),
        reverse("pathways:attendance", args=[w["session"].pk]),
        reverse("pathways:participant", args=[w["participant"].pk]),
        reverse("pathways:run", args=[w["run"].pk]),
        reverse("pathways:return", args=[w["upload"].pk]),
    ]


IDENTITY = ("review", "/imports/", "/sessions/", "/participants/", "/returns/")


def test_the_program_manager_and_administrator_see_every_screen(
    client_for: Any, program: Any, cohort: Any, world: dict[str, Any]
) -> None:
    for who in ("manager", "admin"):
        client = client_for(who)
        assert client.get(reverse("pathways:home")).status_code == 200
        assert client.get(reverse("pathways:program_new")).status_code == 200
        for url in _get_urls(program, cohort, world):
            assert client.get(url).status_code == 200, (who, url)


@pytest.mark.parametrize("who", ["analyst", "viewer", "mentor", "decider"])
def test_other_roles_get_404_everywhere(
    client_for: Any, who: str, program: Any, cohort: Any, world: dict[str, Any]
) -> None:
    client = client_for(who)
    assert client.get(reverse("pathways:home")).status_code == 404
    assert client.get(reverse("pathways:program_new")).status_code == 404
    for url in _get_urls(program, cohort, world):
        assert client.get(url).status_code == 404, (who, url)
    r = client.post(reverse("pathways:decide", args=[world["link"].pk]), {"decision": "same"})
    assert r.status_code == 404
    r = client.post(reverse("pathways:link_start", args=[program.slug]))
    assert r.status_code == 404


def test_an_account_without_a_role_gets_403_and_anonymous_is_sent_to_sign_in(
    client_for: Any, program: Any, cohort: Any, world: dict[str, Any]
) -> None:
    client = client_for("outsider")
    assert client.get(reverse("pathways:home")).status_code == 403
    for url in _get_urls(program, cohort, world):
        assert client.get(url).status_code == 403, url
    client = client_for(None)
    for url in _get_urls(program, cohort, world):
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"], url


def test_a_manager_of_another_scope_gets_404(
    client_for: Any, other_program: Any, cast: dict[str, Any]
) -> None:
    client = client_for("manager")
    assert client.get(reverse("pathways:program", args=[other_program.slug])).status_code == 404
    assert client.get(reverse("pathways:outcomes", args=[other_program.slug])).status_code == 404
    home = client.get(reverse("pathways:home")).content.decode()
    assert "Other" not in home


def test_a_decision_maker_administrator_manages_but_never_sees_identity(
    client_for: Any, program: Any, cohort: Any, world: dict[str, Any]
) -> None:
    client = client_for("decider_admin")
    assert client.get(reverse("pathways:program", args=[program.slug])).status_code == 200
    page = client.get(reverse("pathways:cohort", args=[cohort.pk])).content.decode()
    assert "Baca" not in page
    for url in _get_urls(program, cohort, world):
        if any(part in url for part in IDENTITY):
            assert client.get(url).status_code == 404, url
    r = client.post(reverse("pathways:decide", args=[world["link"].pk]), {"decision": "same"})
    assert r.status_code == 404


def test_identity_screens_write_the_audit_log(
    client_for: Any, program: Any, cohort: Any, world: dict[str, Any]
) -> None:
    client = client_for("manager")
    before = AuditEvent.objects.count()
    client.get(reverse("pathways:review", args=[program.slug]))
    event = AuditEvent.objects.first()
    assert event is not None and event.object_type == "pathway_review"
    assert list(event.persons.values_list("person_id", flat=True)) == [world["link"].person_id]
    client.get(reverse("pathways:participant", args=[world["participant"].pk]))
    client.get(reverse("pathways:cohort", args=[cohort.pk]))
    assert AuditEvent.objects.count() == before + 3


def test_the_review_queue_shows_the_pair_and_its_evidence(
    client_for: Any, program: Any, world: dict[str, Any]
) -> None:
    page = client_for("manager").get(reverse("pathways:review", args=[program.slug]))
    text = page.content.decode()
    assert "birth date" in text and "2000-01-02" in text and "Same person" in text


def test_a_partner_link_shows_only_aggregates_and_expires(
    client: Any, program: Any, cohort: Any, world: dict[str, Any], settings: Any
) -> None:
    partner = Partner.objects.create(name="Rio College", kind=PartnerKind.COLLEGE)
    partner.programs.add(program)
    url = reverse("pathways:partner_page", args=[partner_token(partner, program)])
    page = client.get(url)
    assert page.status_code == 200
    assert "Baca" not in page.content.decode()
    # Tampered, foreign-program and expired links: 404.
    assert client.get(url[:-3] + "xyz/").status_code == 404
    other = Partner.objects.create(name="Not a partner", kind=PartnerKind.SCHOOL)
    assert (
        client.get(
            reverse("pathways:partner_page", args=[partner_token(other, program)])
        ).status_code
        == 404
    )
    import time
    from unittest import mock

    with mock.patch("django.core.signing.time.time", return_value=time.time() - 91 * 86400):
        stale = partner_token(partner, program)
    assert client.get(reverse("pathways:partner_page", args=[stale])).status_code == 404


def test_the_self_update_link_works_only_for_its_participant(
    client: Any, world: dict[str, Any]
) -> None:
    participant = world["participant"]
    url = reverse("pathways:self_update", args=[participant_token(participant)])
    assert client.get(url).status_code == 200
    assert client.get(url.replace("/me/", "/me/x")).status_code == 404
    partner_like = reverse("pathways:partner_page", args=[participant_token(participant)])
    assert client.get(partner_like).status_code == 404
