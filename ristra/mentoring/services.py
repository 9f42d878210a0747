"""Writes: programs, forms, enrolment, matching runs, publication, requests, check-ins.

Keyword-only, atomic; mail goes out after the transaction commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation

from ristra.analytics import matching as core
from ristra.audit.models import Action
from ristra.audit.services import audit_record
from ristra.mentoring import selectors
from ristra.mentoring.models import (
    CheckIn,
    Connection,
    ConnectionStatus,
    ConstraintKind,
    Cycle,
    CycleStatus,
    Enrolment,
    Feedback,
    FormQuestion,
    Goal,
    MatchRun,
    MentorRequest,
    Pair,
    PairConstraint,
    PairStatus,
    Program,
    RequestStatus,
    Volunteer,
)
from ristra.people.models import Identifier, IdSystem

# --- mail -----------------------------------------------------------------------------


def _send(
    *,
    to: str | Sequence[str],
    subject: str,
    template: str,
    context: dict[str, Any],
    reply_to: Sequence[str] = (),
) -> None:
    """One message with a text part and an HTML part (templates mentoring/email/*.txt|html)."""
    recipients = [to] if isinstance(to, str) else [a for a in to if a]
    recipients = [a for a in recipients if a]
    if not recipients:
        return
    context = {**context, "site_url": settings.SITE_URL.rstrip("/")}
    text = render_to_string(f"mentoring/email/{template}.txt", context)
    html = render_to_string(f"mentoring/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=recipients, reply_to=list(reply_to) or None
    )
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)


def _after_commit_send(**kwargs: Any) -> None:
    transaction.on_commit(lambda: _send(**kwargs))


# --- programs, cycles, form -----------------------------------------------------------


@transaction.atomic
def program_create(*, user: Any, **fields: Any) -> Program:
    program = Program.objects.create(created_by=user, **fields)
    audit_record(
        actor=user,
        action=Action.CREATE,
        object_type="mentoring_program",
        object_id=program.pk,
        summary=f"Created mentoring program '{program.name}'",
    )
    return program


@transaction.atomic
def cycle_set_status(*, cycle: Cycle, status: str, user: Any) -> Cycle:
    cycle.status = status
    cycle.save(update_fields=["status"])
    audit_record(
        actor=user,
        action=Action.UPDATE,
        object_type="mentoring_cycle",
        object_id=cycle.pk,
        summary=f"Set cycle '{cycle}' to {status}",
    )
    return cycle


def question_add(*, program: Program, **fields: Any) -> FormQuestion:
    last = program.questions.aggregate(m=Max("position"))["m"]
    return FormQuestion.objects.create(program=program, position=(last or 0) + 1, **fields)


@transaction.atomic
def question_move(*, question: FormQuestion, up: bool) -> None:
    """Swap with the neighbour above (``up``) or below; positions are renumbered 1..n."""
    ordered = list(question.program.questions.order_by("position", "id"))
    i = ordered.index(question)
    j = i - 1 if up else i + 1
    if 0 <= j < len(ordered):
        ordered[i], ordered[j] = ordered[j], ordered[i]
    for position, q in enumerate(ordered, start=1):
        if q.position != position:
            q.position = position
            q.save(update_fields=["position"])


# --- enrolment ------------------------------------------------------------------------


def person_for_user(user: Any) -> Any:
    """The person record whose e-mail identifier is the user's e-mail, if exactly one."""
    if not user.email:
        return None
    ids = list(
        Identifier.objects.filter(system=IdSystem.EMAIL, value__iexact=user.email).values_list(
            "person_id", flat=True
        )[:2]
    )
    if len(ids) != 1:
        return None
    from ristra.people.models import Person

    return Person.objects.get(pk=ids[0])


@transaction.atomic
def enrolment_submit(
    *,
    cycle: Cycle,
    user: Any,
    role: str,
    capacity: int,
    answers: dict[str, Any],
    preferences_used: Sequence[str] = (),
    person: Any = None,
) -> Enrolment:
    """Create or update the user's enrolment in the cycle."""
    enrolment = cycle.enrolments.filter(user=user).first() or Enrolment(cycle=cycle, user=user)
    enrolment.role = role
    enrolment.capacity = capacity
    enrolment.answers = answers
    enrolment.preferences_used = list(preferences_used)
    if enrolment.person_id is None:
        enrolment.person = person if person is not None else person_for_user(user)
    if enrolment.person_id and enrolment.department_id is None:
        info = selectors.people_context([enrolment.person_id], timezone.localdate())
        enrolment.department_id = info.get(enrolment.person_id, {}).get("department")
    enrolment.save()
    return enrolment


# --- pins and forbids -----------------------------------------------------------------


@transaction.atomic
def constraint_set(
    *, cycle: Cycle, kind: str, mentee: Enrolment, mentor: Enrolment, user: Any, note: str = ""
) -> PairConstraint:
    if kind == ConstraintKind.PIN:
        PairConstraint.objects.filter(cycle=cycle, mentee=mentee, kind=ConstraintKind.PIN).delete()
    constraint, _ = PairConstraint.objects.update_or_create(
        cycle=cycle,
        mentee=mentee,
        mentor=mentor,
        defaults={"kind": kind, "note": note, "created_by": user},
    )
    return constraint


# --- matching runs --------------------------------------------------------------------


def _quality_json(quality: core.Quality) -> dict[str, Any]:
    data = dataclasses.asdict(quality)
    data["unmatched"] = [{"mentee": u.mentee, "reason": u.reason} for u in quality.unmatched]
    data["idle_mentors"] = list(quality.idle_mentors)
    return data


def result_json(result: core.MatchResult, inputs: selectors.Inputs) -> dict[str, Any]:
    mentees = {m.id: m for m in inputs.mentees}
    mentors = {m.id: m for m in inputs.mentors}
    pairs = []
    for p in result.pairs:
        ex = core.explain(inputs.criteria, mentees[p.mentee], mentors[p.mentor])
        pairs.append(
            {
                "mentee": p.mentee,
                "mentor": p.mentor,
                "score": p.score,
                "rank": p.rank,
                "pinned": p.pinned,
                "reasons": selectors._reasons_json(ex),
            }
        )
    return {
        "pairs": pairs,
        "quality": _quality_json(result.quality),
        "moved": result.moved,
        "k": result.k,
    }


@transaction.atomic
def match_runs_create(
    *,
    cycle: Cycle,
    user: Any,
    policies: Sequence[core.Policy] = core.POLICIES,
    k: int | None = None,
    rank_weight: float = 1.0,
) -> list[MatchRun]:
    """Run each policy on the same lists; keep each run with its inputs and result."""
    inputs = selectors.matching_inputs(cycle)
    instance = inputs.instance()
    results = core.compare(instance, policies, k=k, rank_weight=rank_weight)
    snapshot = inputs.snapshot()
    batch = uuid.uuid4().hex[:12]
    runs = [
        MatchRun.objects.create(
            cycle=cycle,
            batch=batch,
            policy=policy,
            parameters={"k": k, "rank_weight": rank_weight, "policies": list(policies)},
            inputs=snapshot,
            result=result_json(result, inputs),
            created_by=user,
        )
        for policy, result in results.items()
    ]
    audit_record(
        actor=user,
        action=Action.CREATE,
        object_type="mentoring_match_run",
        object_id=batch,
        summary=f"Ran matching for cycle #{cycle.pk}: {', '.join(policies)}",
    )
    return runs


def match_run_reproduce(run: MatchRun) -> core.MatchResult:
    """Run the same policy again on the run's saved inputs (an audit of the run)."""
    mentees, mentors, criteria, rules = selectors.from_snapshot(run.inputs)
    instance = core.build(mentees, mentors, criteria, rules)
    params = run.parameters
    lists = core.preference_lists(instance, params.get("k"))
    return core.match(
        instance,
        run.policy,  # type: ignore[arg-type]
        rank_weight=float(params.get("rank_weight", 1.0)),
        lists=lists,
    )


class AlreadyPublished(Exception):
    pass


@transaction.atomic
def match_run_publish(*, run: MatchRun, user: Any, notify: bool = True) -> list[Pair]:
    """Make the run's pairs the cycle's pairs and tell every participant (``notify``)."""
    cycle = Cycle.objects.select_for_update().get(pk=run.cycle_id)
    if cycle.pairs.exists():
        raise AlreadyPublished
    enrolments = {str(e.pk): e for e in cycle.enrolments.select_related("user")}
    pairs = [
        Pair.objects.create(
            cycle=cycle,
            run=run,
            mentor=enrolments[p["mentor"]],
            mentee=enrolments[p["mentee"]],
            reasons=p["reasons"],
            score=p["score"],
            rank=p["rank"],
        )
        for p in run.result["pairs"]
    ]
    now = timezone.now()
    run.published_at = now
    run.save(update_fields=["published_at"])
    cycle.status = CycleStatus.PUBLISHED
    cycle.published_at = now
    cycle.save(update_fields=["status", "published_at"])
    audit_record(
        actor=user,
        action=Action.UPDATE,
        object_type="mentoring_match_run",
        object_id=run.pk,
        summary=f"Published run #{run.pk} ({run.policy}) of cycle #{cycle.pk}: {len(pairs)} pairs",
    )
    if notify:
        _notify_published(cycle, pairs, enrolments)
    return pairs


def _notify_published(cycle: Cycle, pairs: list[Pair], enrolments: dict[str, Enrolment]) -> None:
    questions = list(cycle.program.questions.all())
    by_mentor: dict[int, list[Pair]] = {}
    matched: set[int] = set()
    for pair in pairs:
        by_mentor.setdefault(pair.mentor_id, []).append(pair)
        matched.add(pair.mentee_id)
    for pair in pairs:
        reasons = selectors.reason_texts(pair.reasons, questions)
        _after_commit_send(
            to=pair.mentee.user.email,
            subject=_t("Your mentor in %(program)s") % {"program": cycle.program.name},
            template="published_mentee",
            context={"cycle": cycle, "pair": pair, "reasons": reasons},
        )
    for held in by_mentor.values():
        mentor = held[0].mentor
        rows = [(p, selectors.reason_texts(p.reasons, questions)) for p in held]
        _after_commit_send(
            to=mentor.user.email,
            subject=_t("Your mentees in %(program)s") % {"program": cycle.program.name},
            template="published_mentor",
            context={"cycle": cycle, "rows": rows},
        )
    for e in enrolments.values():
        if e.pk not in matched and e.pk not in by_mentor and e.status == "active":
            _after_commit_send(
                to=e.user.email,
                subject=_t("Matching in %(program)s") % {"program": cycle.program.name},
                template="published_unmatched",
                context={"cycle": cycle, "enrolment": e},
            )


def _t(text: str) -> str:
    from django.utils.translation import gettext

    return gettext(text)


# --- self-match requests --------------------------------------------------------------


class RequestRefused(Exception):
    pass


#: Self-match requests are taken from enrolment until the cycle closes.
REQUEST_STATUSES = (CycleStatus.ENROLLING, CycleStatus.MATCHING, CycleStatus.PUBLISHED)


def _send_request_mail(req: MentorRequest) -> None:
    _after_commit_send(
        to=req.mentor.user.email,
        subject=_t("A mentoring request in %(program)s") % {"program": req.cycle.program.name},
        template="request_mentor",
        context={"req": req},
    )


def _activate(req: MentorRequest, now: dt.datetime) -> None:
    req.status = RequestStatus.PENDING
    req.sent_at = now
    req.expires_at = now + dt.timedelta(days=req.cycle.program.days_to_accept)
    req.save(update_fields=["status", "sent_at", "expires_at"])
    _send_request_mail(req)


def _advance(mentee: Enrolment, now: dt.datetime) -> MentorRequest | None:
    """Send the mentee's next queued request to a mentor who still has room."""
    cycle = mentee.cycle
    for req in mentee.requests_made.filter(status=RequestStatus.QUEUED).select_related(
        "mentor__user", "cycle__program"
    ):
        taken = selectors.mentor_load(cycle).get(req.mentor_id, 0)
        if taken < req.mentor.capacity:
            _activate(req, now)
            return req
        req.status = RequestStatus.EXPIRED
        req.answered_at = now
        req.save(update_fields=["status", "answered_at"])
    return None


@transaction.atomic
def requests_submit(
    *, cycle: Cycle, mentee: Enrolment, mentor_ids: Sequence[int], now: dt.datetime | None = None
) -> list[MentorRequest]:
    """The mentee's mentors in order; the first is asked now, each next one when the one
    before declines or does not answer within the program's days."""
    now = now or timezone.now()
    program = cycle.program
    if cycle.status not in REQUEST_STATUSES:
        raise RequestRefused("the cycle is not taking requests")
    if cycle.pairs.filter(mentee=mentee, status=PairStatus.ACTIVE).exists():
        raise RequestRefused("already matched")
    if mentee.requests_made.filter(status=RequestStatus.PENDING).exists():
        raise RequestRefused("a request is already waiting")
    if not mentor_ids or len(mentor_ids) > program.max_requests:
        raise RequestRefused("too many mentors")
    allowed = {s.mentor.pk for s in selectors.suggestions(cycle, mentee, limit=10_000)}
    if any(m not in allowed for m in mentor_ids):
        raise RequestRefused("not offered")
    mentee.requests_made.exclude(status=RequestStatus.ACCEPTED).delete()
    inputs = selectors.matching_inputs(cycle)
    me = next(m for m in inputs.mentees if m.id == str(mentee.pk))
    mentors = {m.id: m for m in inputs.mentors}
    made = [
        MentorRequest.objects.create(
            cycle=cycle,
            mentee=mentee,
            mentor_id=mid,
            order=order,
            status=RequestStatus.QUEUED,
            reasons=selectors._reasons_json(core.explain(inputs.criteria, me, mentors[str(mid)])),
        )
        for order, mid in enumerate(mentor_ids, start=1)
    ]
    _advance(mentee, now)
    return made


@transaction.atomic
def request_respond(
    *, req: MentorRequest, accept: bool, user: Any, now: dt.datetime | None = None
) -> Pair | None:
    now = now or timezone.now()
    req = (
        MentorRequest.objects.select_for_update()
        .select_related("cycle__program", "mentee__user", "mentor__user")
        .get(pk=req.pk)
    )
    if req.status != RequestStatus.PENDING:
        raise RequestRefused("not waiting")
    req.answered_at = now
    if not accept:
        req.status = RequestStatus.DECLINED
        req.save(update_fields=["status", "answered_at"])
        if _advance(req.mentee, now) is None:
            _notify_mentee_no_match(req)
        return None
    req.status = RequestStatus.ACCEPTED
    req.save(update_fields=["status", "answered_at"])
    req.mentee.requests_made.filter(status=RequestStatus.QUEUED).update(
        status=RequestStatus.WITHDRAWN
    )
    pair = Pair.objects.create(
        cycle=req.cycle,
        mentor=req.mentor,
        mentee=req.mentee,
        reasons=req.reasons,
        rank=req.order,
    )
    questions = list(req.cycle.program.questions.all())
    _after_commit_send(
        to=req.mentee.user.email,
        subject=_t("Your mentor in %(program)s") % {"program": req.cycle.program.name},
        template="published_mentee",
        context={
            "cycle": req.cycle,
            "pair": pair,
            "reasons": selectors.reason_texts(pair.reasons, questions),
        },
    )
    return pair


def _notify_mentee_no_match(req: MentorRequest) -> None:
    _after_commit_send(
        to=req.mentee.user.email,
        subject=_t("Your mentoring requests in %(program)s") % {"program": req.cycle.program.name},
        template="requests_exhausted",
        context={"cycle": req.cycle},
    )


def requests_expire(*, now: dt.datetime | None = None) -> int:
    """Pass on every request whose mentor did not answer in time; returns how many."""
    now = now or timezone.now()
    count = 0
    overdue = MentorRequest.objects.filter(status=RequestStatus.PENDING, expires_at__lte=now)
    for req_id in list(overdue.values_list("pk", flat=True)):
        with transaction.atomic():
            req = (
                MentorRequest.objects.select_for_update()
                .select_related("cycle__program", "mentee__user", "mentee__cycle")
                .get(pk=req_id)
            )
            if req.status != RequestStatus.PENDING:
                continue
            req.status = RequestStatus.EXPIRED
            req.answered_at = now
            req.save(update_fields=["status", "answered_at"])
            if _advance(req.mentee, now) is None:
                _notify_mentee_no_match(req)
            count += 1
    return count


# --- the relationship -----------------------------------------------------------------


def checkin_log(*, pair: Pair, user: Any, met_on: dt.date, minutes: int, note: str) -> CheckIn:
    return CheckIn.objects.create(
        pair=pair, met_on=met_on, minutes=minutes, note=note, logged_by=user
    )


def goal_add(*, pair: Pair, text: str) -> Goal:
    return Goal.objects.create(pair=pair, text=text)


def agreement_save(*, pair: Pair, side: str, text: str | None = None) -> Pair:
    """Edit the text (either side; clears both signatures) or sign it as ``side``."""
    now = timezone.now()
    if text is not None and text != pair.agreement:
        pair.agreement = text
        pair.mentor_agreed_at = pair.mentee_agreed_at = None
    elif side == "mentor":
        pair.mentor_agreed_at = now
    elif side == "mentee":
        pair.mentee_agreed_at = now
    pair.save(update_fields=["agreement", "mentor_agreed_at", "mentee_agreed_at"])
    return pair


def feedback_submit(
    *, pair: Pair, user: Any, stage: str, satisfaction: int, comment: str
) -> Feedback:
    feedback, _ = Feedback.objects.update_or_create(
        pair=pair,
        user=user,
        stage=stage,
        defaults={"satisfaction": satisfaction, "comment": comment},
    )
    return feedback


def pairs_remind(*, today: dt.date | None = None) -> int:
    """E-mail both people of each pair that needs a check-in, once per cadence."""
    today = today or timezone.localdate()
    sent = 0
    for cycle in Cycle.objects.filter(status=CycleStatus.PUBLISHED).select_related("program"):
        every = dt.timedelta(days=cycle.program.checkin_every_days)
        for pair, health, _n, _m in selectors.cycle_health(cycle, today):
            if health == selectors.HEALTH_ON_TRACK:
                continue
            if pair.last_reminded_at and pair.last_reminded_at.date() > today - every:
                continue
            for enrolment in (pair.mentor, pair.mentee):
                with translation.override(settings.LANGUAGE_CODE):
                    _send(
                        to=enrolment.user.email,
                        subject=_t("Time for a mentoring check-in"),
                        template="checkin_reminder",
                        context={"pair": pair, "cycle": cycle},
                    )
            Pair.objects.filter(pk=pair.pk).update(
                last_reminded_at=dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
            )
            sent += 1
    return sent


# --- assigned mode: a mentee's ranked mentors -----------------------------------------


def ranking_save(*, enrolment: Enrolment, mentor_ids: Sequence[int]) -> Enrolment:
    """The mentors the mentee would like, first choice first (an empty list clears it)."""
    seen: list[int] = []
    for mid in mentor_ids:
        if mid not in seen:
            seen.append(int(mid))
    enrolment.ranked_mentors = seen[: enrolment.cycle.program.max_ranked]
    enrolment.save(update_fields=["ranked_mentors", "updated_at"])
    return enrolment


# --- one-time connections -------------------------------------------------------------


def volunteer_save(*, program: Program, user: Any, **fields: Any) -> Volunteer:
    volunteer, _ = Volunteer.objects.update_or_create(program=program, user=user, defaults=fields)
    return volunteer


def program_coordinator_emails(program: Program) -> list[str]:
    """The program's managers (program managers scoped to it), who coordinate connections."""
    from ristra.accounts.models import Role as AccountRole
    from ristra.accounts.models import User

    return sorted(
        set(
            User.objects.filter(
                is_active=True, role=AccountRole.PROGRAM_MANAGER, programs=program.scope
            )
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


@transaction.atomic
def connection_submit(
    *,
    program: Program,
    name: str,
    email: str,
    interests: Sequence[str],
    message: str,
    sender_hash: str = "",
    now: dt.datetime | None = None,
) -> Connection:
    """Record an applicant's request; introduce at once when the program does it
    automatically and a willing volunteer fits, otherwise tell the coordinators."""
    connection = Connection.objects.create(
        program=program,
        name=name,
        email=email,
        interests=list(interests),
        message=message,
        sender_hash=sender_hash,
    )
    if program.connections_auto:
        best = selectors.volunteer_suggestions(connection, now=now, limit=1)
        if best:
            return connection_introduce(
                connection=connection, volunteer=best[0].volunteer, user=None, now=now
            )
    coordinators = program_coordinator_emails(program)
    if coordinators:
        _after_commit_send(
            to=coordinators,
            subject=_t("A connection request in %(program)s") % {"program": program.name},
            template="connection_new",
            context={"connection": connection, "program": program},
        )
    return connection


class ConnectionRefused(Exception):
    pass


@transaction.atomic
def connection_introduce(
    *, connection: Connection, volunteer: Volunteer, user: Any, now: dt.datetime | None = None
) -> Connection:
    """Introduce the applicant and the volunteer to each other in one e-mail to both.

    ``user`` is the coordinator (None: the system). Refused when the request was already
    introduced or closed, or the volunteer has no room left this month or shares no topic.
    """
    now = now or timezone.now()
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    if connection.status != ConnectionStatus.NEW:
        raise ConnectionRefused("not waiting")
    fits = {
        s.volunteer.pk for s in selectors.volunteer_suggestions(connection, now=now, limit=10_000)
    }
    if volunteer.pk not in fits or volunteer.program_id != connection.program_id:
        raise ConnectionRefused("volunteer not available")
    connection.volunteer = volunteer
    connection.status = ConnectionStatus.INTRODUCED
    connection.introduced_at = now
    connection.introduced_by = user if getattr(user, "is_authenticated", False) else None
    connection.save(update_fields=["volunteer", "status", "introduced_at", "introduced_by"])
    audit_record(
        actor=user,
        action=Action.UPDATE,
        object_type="mentoring_connection",
        object_id=connection.pk,
        summary=f"Introduced connection #{connection.pk} to volunteer #{volunteer.pk}",
    )
    shared = [t for t in connection.interests if t in (volunteer.topics or [])]
    volunteer_email = volunteer.user.email
    _after_commit_send(
        to=[connection.email, volunteer_email],
        reply_to=[connection.email, volunteer_email],
        subject=_t("An introduction from %(program)s") % {"program": connection.program.name},
        template="connection_introduction",
        context={
            "connection": connection,
            "volunteer": volunteer,
            "program": connection.program,
            "shared": shared,
        },
    )
    return connection


def connection_close(*, connection: Connection, user: Any) -> Connection:
    if connection.status == ConnectionStatus.NEW:
        connection.status = ConnectionStatus.CLOSED
        connection.save(update_fields=["status"])
    return connection


def connection_follow_up(
    *, connection: Connection, met: bool | None, notes: str, now: dt.datetime | None = None
) -> Connection:
    connection.met = met
    connection.followup_notes = notes
    connection.followed_up_at = now or timezone.now()
    connection.save(update_fields=["met", "followup_notes", "followed_up_at"])
    return connection


def connections_remind_follow_up(*, now: dt.datetime | None = None, after_days: int = 14) -> int:
    """Ask each volunteer once, ``after_days`` after an introduction, whether they met."""
    now = now or timezone.now()
    due = Connection.objects.filter(
        status=ConnectionStatus.INTRODUCED,
        followed_up_at__isnull=True,
        followup_reminded_at__isnull=True,
        introduced_at__lte=now - dt.timedelta(days=after_days),
        volunteer__isnull=False,
    ).select_related("volunteer__user", "program")
    sent = 0
    for connection in due:
        with translation.override(settings.LANGUAGE_CODE):
            _send(
                to=connection.volunteer.user.email,  # type: ignore[union-attr]
                subject=_t("Did you meet? A connection in %(program)s")
                % {"program": connection.program.name},
                template="connection_follow_up",
                context={"connection": connection},
            )
        Connection.objects.filter(pk=connection.pk).update(followup_reminded_at=now)
        sent += 1
    return sent
