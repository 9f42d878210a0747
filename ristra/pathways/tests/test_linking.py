"""Linking runs: identifiers first, the review queue, and decisions remembered across runs."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from ristra.pathways.models import Link, LinkDecision, LinkRun, LinkStatus, Participant
from ristra.pathways.services import link_decide, link_run_execute
from ristra.pathways.tests.conftest import make_person

APPLIED = (("application", dt.date(2020, 8, 1), 2021), ("offer", dt.date(2021, 3, 1), 2021))


@pytest.fixture
def people(cohort: Any) -> dict[str, Any]:
    """Later records, participants as the office typed them, and a crowd of others."""
    out: dict[str, Any] = {}
    out["aamc_person"] = make_person(
        "Guadalupe", "Trujillo", dt.date(2000, 4, 5), aamc="14000001", stages=APPLIED
    )
    out["aamc"] = Participant.objects.create(
        cohort=cohort,
        given_name="Lupe",
        family_name="Trujilo",
        aamc_id="14000001",
        consent_follow_up=True,
    )
    out["fuzzy_person"] = make_person(
        "María José", "Archuleta", dt.date(2001, 9, 12), email="mj@example.com", stages=APPLIED
    )
    out["fuzzy"] = Participant.objects.create(
        cohort=cohort,
        given_name="Maria Jose",
        family_name="Archuleta",
        birth_date=dt.date(2001, 9, 12),
        email="mjarchuleta@college.invalid",
        consent_follow_up=True,
    )
    out["no_consent"] = Participant.objects.create(
        cohort=cohort,
        given_name="Ana",
        family_name="Baca",
        birth_date=dt.date(2000, 1, 1),
        consent_follow_up=False,
    )
    make_person("Ana", "Baca", dt.date(2000, 1, 1), stages=APPLIED)
    for i in range(60):
        make_person(
            f"Person{i}",
            f"Family{i % 17}",
            dt.date(1995 + i % 8, 1 + i % 12, 1 + i % 27),
            email=f"p{i}@example.com",
            stages=(("application", dt.date(2020, 8, 1), 2021),),
        )
    return out


def _run(program: Any) -> LinkRun:
    return link_run_execute(run=LinkRun.objects.create(program=program))


def test_a_run_links_by_identifier_and_by_probability_and_skips_non_consenting(
    program: Any, people: dict[str, Any]
) -> None:
    run = _run(program)
    assert run.status == "done", run.error
    assert run.participants == 2  # the participant without consent is not linked
    by_identifier = Link.objects.get(participant=people["aamc"])
    assert by_identifier.person == people["aamc_person"]
    assert by_identifier.method == "identifier:aamc_id"
    assert by_identifier.status == LinkStatus.LINKED
    fuzzy = Link.objects.get(participant=people["fuzzy"])
    assert fuzzy.person == people["fuzzy_person"]
    assert fuzzy.method == "probabilistic"
    assert fuzzy.evidence and fuzzy.driving_comparison() is not None
    assert not Link.objects.filter(participant=people["no_consent"]).exists()
    assert LinkDecision.objects.filter(link=fuzzy).count() == 1


def test_review_decisions_are_remembered_across_runs(
    program: Any, people: dict[str, Any], cast: dict[str, Any]
) -> None:
    _run(program)
    fuzzy = Link.objects.get(participant=people["fuzzy"])
    link_decide(link=fuzzy, same_person=False, user=cast["manager"], note="different town")
    aamc = Link.objects.get(participant=people["aamc"])
    link_decide(link=aamc, same_person=True, user=cast["manager"])
    again = _run(program)
    assert again.status == "done"
    fuzzy.refresh_from_db()
    aamc.refresh_from_db()
    assert fuzzy.status == LinkStatus.REJECTED and fuzzy.decided_by == cast["manager"]
    assert aamc.status == LinkStatus.CONFIRMED
    # The rejected pair is never linked again, and the history keeps every decision.
    assert not Link.objects.filter(
        participant=people["fuzzy"], status__in=[LinkStatus.LINKED, LinkStatus.CONFIRMED]
    ).exists()
    assert list(fuzzy.decisions.values_list("status", flat=True)) == ["linked", "rejected"]
    last = fuzzy.decisions.last()
    assert last is not None and last.note == "different town"


def test_deciding_through_the_screen_is_audited_and_kept(
    client_for: Any, program: Any, people: dict[str, Any]
) -> None:
    _run(program)
    link = Link.objects.get(participant=people["fuzzy"])
    link.status = LinkStatus.REVIEW
    link.save()
    client = client_for("manager")
    r = client.post(reverse("pathways:decide", args=[link.pk]), {"decision": "same"})
    assert r.status_code == 302
    link.refresh_from_db()
    assert link.status == LinkStatus.CONFIRMED
    from ristra.audit.models import AuditEvent

    event = AuditEvent.objects.filter(object_type="pathway_link").first()
    assert event is not None and "Confirmed" in event.summary
    r = client.post(reverse("pathways:decide", args=[link.pk]), {"decision": "perhaps"})
    link.refresh_from_db()
    assert link.status == LinkStatus.CONFIRMED


def test_the_screen_starts_a_background_run(
    client_for: Any,
    program: Any,
    cohort: Any,
    people: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for("manager")
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("pathways:link_start", args=[program.slug]), {"cohort": cohort.pk})
    assert r.status_code == 302
    run = LinkRun.objects.get()
    assert run.cohort == cohort
    assert run.status == "done"  # the immediate backend ran it (tests)
    assert "linked" in client.get(r["Location"]).content.decode()


def test_the_link_command_prints_counts_and_explains_bad_arguments(
    program: Any, cohort: Any, people: dict[str, Any]
) -> None:
    out = io.StringIO()
    call_command("link", "--cohort", "summer-scholars:2019", stdout=out)
    assert "2 participants" in out.getvalue() and "linked" in out.getvalue()
    with pytest.raises(CommandError, match="PROGRAM:YEAR"):
        call_command("link", "--cohort", "summer-scholars")
    with pytest.raises(CommandError, match="no cohort 2031"):
        call_command("link", "--cohort", "summer-scholars:2031")
    with pytest.raises(CommandError, match="no program"):
        call_command("link", "--program", "nope")
    with pytest.raises(CommandError, match="name a --cohort"):
        call_command("link")
