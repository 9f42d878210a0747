"""Self-match: ranked suggestions with reasons, requests in order, time-outs, capacity."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ristra.mentoring import selectors, services
from ristra.mentoring.models import MentorRequest, Pair, RequestStatus

from .conftest import enrol, make_user


@pytest.fixture
def self_cycle(cycle: Any) -> Any:
    cycle.program.mode = "self_match"
    cycle.program.days_to_accept = 3
    cycle.program.max_requests = 2
    cycle.program.save()
    return cycle


def test_suggestions_are_ranked_with_reasons(
    client_for: Any, cast: dict[str, Any], self_cycle: Any
) -> None:
    enrol(self_cycle, cast["mentor"], "mentor", specialty="Pediatrics", interests=["teaching"])
    enrol(self_cycle, make_user("olga"), "mentor", specialty="Surgery")
    enrol(self_cycle, cast["mentee"], "mentee", specialty="Pediatrics", interests=["teaching"])
    page = client_for("mentee").get(reverse("mentoring:suggestions", args=[self_cycle.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert text.index("Gus") < text.index("olga")
    assert "both in Pediatrics; shared interest: teaching" in text


def test_a_request_passes_on_when_the_mentor_does_not_answer_in_time(
    django_capture_on_commit_callbacks: Any, cast: dict[str, Any], self_cycle: Any
) -> None:
    first = enrol(self_cycle, cast["mentor"], "mentor", specialty="Pediatrics")
    second = enrol(self_cycle, make_user("olga"), "mentor", specialty="Surgery")
    mentee = enrol(self_cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.requests_submit(
            cycle=self_cycle, mentee=mentee, mentor_ids=[first.pk, second.pk], now=now
        )
    assert [m.to for m in mail.outbox] == [["gus@example.org"]]
    assert getattr(mail.outbox[0], "alternatives", None)
    a, b = MentorRequest.objects.order_by("order")
    assert (a.status, b.status) == (RequestStatus.PENDING, RequestStatus.QUEUED)
    assert a.expires_at == now + dt.timedelta(days=3)

    # Not yet overdue: nothing moves.
    assert services.requests_expire(now=now + dt.timedelta(days=2)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.requests_expire(now=now + dt.timedelta(days=3, seconds=1)) == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == (RequestStatus.EXPIRED, RequestStatus.PENDING)
    assert mail.outbox[-1].to == ["olga@example.org"]

    # The second mentor accepts: a pair, with the request's reasons and rank.
    pair = services.request_respond(req=b, accept=True, user=b.mentor.user)
    assert pair is not None and pair.mentor == second and pair.rank == 2
    assert Pair.objects.filter(mentee=mentee).count() == 1


def test_a_mentor_answers_through_the_page(
    client_for: Any, cast: dict[str, Any], self_cycle: Any
) -> None:
    mentor = enrol(self_cycle, cast["mentor"], "mentor", specialty="Pediatrics")
    mentee = enrol(self_cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    r = client_for("mentee").post(
        reverse("mentoring:suggestions", args=[self_cycle.pk]), {"choice_1": mentor.pk}
    )
    assert r.status_code == 302
    req = MentorRequest.objects.get(mentee=mentee)
    c = client_for("mentor")
    assert "Hana" in c.get(reverse("mentoring:home")).content.decode()
    r = c.post(reverse("mentoring:request_respond", args=[req.pk]), {"answer": "accept"})
    pair = Pair.objects.get(mentee=mentee)
    assert r.status_code == 302 and r["Location"] == reverse("mentoring:pair", args=[pair.pk])


def test_a_full_mentor_is_not_offered_to_anyone_else(cast: dict[str, Any], self_cycle: Any) -> None:
    mentor = enrol(self_cycle, cast["mentor"], "mentor", capacity=1, specialty="Pediatrics")
    mentee = enrol(self_cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    other = enrol(self_cycle, make_user("zed"), "mentee", specialty="Pediatrics")
    assert [s.mentor for s in selectors.suggestions(self_cycle, other)] == [mentor]
    services.requests_submit(cycle=self_cycle, mentee=mentee, mentor_ids=[mentor.pk])
    # A pending request holds the seat, so the mentor is not shown to the next mentee.
    assert selectors.suggestions(self_cycle, other) == []
    with pytest.raises(services.RequestRefused):
        services.requests_submit(cycle=self_cycle, mentee=other, mentor_ids=[mentor.pk])


def test_a_mentee_may_request_at_most_n_mentors(cast: dict[str, Any], self_cycle: Any) -> None:
    ids = [
        enrol(self_cycle, make_user(f"m{i}"), "mentor", specialty="Pediatrics").pk for i in range(3)
    ]
    mentee = enrol(self_cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    with pytest.raises(services.RequestRefused):
        services.requests_submit(cycle=self_cycle, mentee=mentee, mentor_ids=ids)


def test_declining_every_request_tells_the_mentee(
    django_capture_on_commit_callbacks: Any, cast: dict[str, Any], self_cycle: Any
) -> None:
    mentor = enrol(self_cycle, cast["mentor"], "mentor", specialty="Pediatrics")
    mentee = enrol(self_cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    services.requests_submit(cycle=self_cycle, mentee=mentee, mentor_ids=[mentor.pk])
    req = MentorRequest.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.request_respond(req=req, accept=False, user=cast["mentor"]) is None
    assert mail.outbox[-1].to == ["hana@example.org"]


def test_a_closed_cycle_takes_no_requests(
    client_for: Any, cast: dict[str, Any], self_cycle: Any
) -> None:
    mentor = enrol(self_cycle, cast["mentor"], "mentor", specialty="Pediatrics")
    mentee = enrol(self_cycle, cast["mentee"], "mentee", specialty="Pediatrics")
    self_cycle.status = "closed"
    self_cycle.save()
    with pytest.raises(services.RequestRefused):
        services.requests_submit(cycle=self_cycle, mentee=mentee, mentor_ids=[mentor.pk])
    url = reverse("mentoring:suggestions", args=[self_cycle.pk])
    assert client_for("mentee").get(url).status_code == 404
