"""Mentoring screens: the manager's (program, form, cycle, matching, health, equity audit)
and the participant's (enrol, suggestions and requests, pair page, service record)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ristra.accounts import access
from ristra.audit.models import Action
from ristra.audit.services import audit_record
from ristra.core.exports import export_response
from ristra.mentoring import selectors, services
from ristra.mentoring.access import (
    can_see_demographics,
    get_connection_for_user,
    get_connection_program,
    get_cycle_for_manager,
    get_cycle_for_participant,
    get_own_enrolment,
    get_pair_for_user,
    get_program_for_manager,
    get_request_for_mentor,
    get_run_for_manager,
    get_volunteer_program,
    managed_programs,
)
from ristra.mentoring.forms import (
    CheckInForm,
    ConnectionRequestForm,
    ConstraintForm,
    CycleForm,
    EnrolmentForm,
    FeedbackForm,
    FollowUpForm,
    GoalForm,
    ProgramForm,
    QuestionForm,
    VolunteerForm,
)
from ristra.mentoring.models import (
    Connection,
    ConnectionStatus,
    Cycle,
    CycleStatus,
    Enrolment,
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

PARTICIPATE = access.MENTORING_PARTICIPATE


def _policy_labels() -> dict[str, str]:
    return {
        "stable": _("Stable (no one would rather swap)"),
        "welfare": _("Best overall fit"),
        "rank": _("Fewest far down their list"),
        "hybrid": _("Stable, then place the rest"),
    }


def _unmatched_labels() -> dict[str, str]:
    return {
        "no_acceptable_mentor": _("no mentor meets their must-match criteria"),
        "all_candidates_forbidden": _("every suitable mentor is excluded or forbidden"),
        "capacity_exhausted": _("the suitable mentors' seats were all taken"),
    }


# --- home -----------------------------------------------------------------------------


@access.permission_required(PARTICIPATE)
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    services.requests_expire()  # the time check also runs as a background task
    enrolments = list(
        Enrolment.objects.filter(user=user)
        .select_related("cycle__program")
        .order_by("-cycle__starts_on")
    )
    my_pairs = list(
        Pair.objects.filter(Q(mentor__user=user) | Q(mentee__user=user))
        .select_related("cycle__program", "mentor__user", "mentee__user")
        .order_by("-cycle__starts_on", "id")
    )
    enrolled = {e.cycle_id for e in enrolments}
    open_cycles = [
        c
        for c in Cycle.objects.filter(status=CycleStatus.ENROLLING).select_related("program")
        if c.pk not in enrolled
    ]
    waiting = [
        (req, selectors.reason_texts(req.reasons, req.cycle.program.questions.all()))
        for req in MentorRequest.objects.filter(
            mentor__user=user, status=RequestStatus.PENDING
        ).select_related("mentee__user", "cycle__program")
    ]
    return render(
        request,
        "mentoring/home.html",
        {
            "section": "mentoring",
            "enrolments": enrolments,
            "pairs": my_pairs,
            "open_cycles": open_cycles,
            "waiting": waiting,
            "managed": managed_programs(user),
            "can_create": access.can(user, access.MENTORING_CREATE_PROGRAM),
            "connection_programs": Program.objects.filter(offers_connections=True),
            "my_connections": Connection.objects.filter(volunteer__user=user)
            .select_related("program")
            .order_by("-introduced_at")[:20],
        },
    )


# --- programs and the form ------------------------------------------------------------


@access.permission_required(access.MENTORING_CREATE_PROGRAM)
def program_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    scopes = user.programs.all() if not access.is_administrator(user) else None
    form = ProgramForm(request.POST or None, scopes=scopes)
    if request.method == "POST" and form.is_valid():
        program = services.program_create(user=user, **form.cleaned_data)
        messages.success(request, _("Program created. Now design its enrolment form."))
        return redirect("mentoring:form", program.slug)
    return render(request, "mentoring/program_form.html", {"section": "mentoring", "form": form})


@access.permission_required(PARTICIPATE)
def program_detail(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program_for_manager(request.user, slug)
    form = ProgramForm(request.POST or None, instance=program)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Settings saved."))
        return redirect("mentoring:program", program.slug)
    cycles = program.cycles.annotate(n=Count("enrolments"), p=Count("pairs", distinct=True))
    return render(
        request,
        "mentoring/program.html",
        {"section": "mentoring", "program": program, "form": form, "cycles": cycles},
    )


@access.permission_required(PARTICIPATE)
def form_builder(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program_for_manager(request.user, slug)
    form = QuestionForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        question = form.save(commit=False)
        services.question_add(
            program=program,
            **{f: getattr(question, f) for f in [*form.Meta.fields, "options"]},
        )
        messages.success(request, _("Question added."))
        return redirect("mentoring:form", program.slug)
    context = {
        "section": "mentoring",
        "program": program,
        "questions": program.questions.all(),
        "form": form,
    }
    if getattr(request, "htmx", False) and request.GET.get("fragment") == "questions":
        return render(request, "mentoring/form_builder.html#questions", context)
    return render(request, "mentoring/form_builder.html", context)


def _question(user: Any, slug: str, question_id: int) -> FormQuestion:
    program = get_program_for_manager(user, slug)
    return get_object_or_404(FormQuestion, pk=question_id, program=program)


@access.permission_required(PARTICIPATE)
def question_edit(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    question = _question(request.user, slug, question_id)
    form = QuestionForm(request.POST or None, instance=question, program=question.program)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Question saved."))
        return redirect("mentoring:form", slug)
    return render(
        request,
        "mentoring/question_form.html",
        {"section": "mentoring", "program": question.program, "form": form, "question": question},
    )


@require_POST
@access.permission_required(PARTICIPATE)
def question_move(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    question = _question(request.user, slug, question_id)
    services.question_move(question=question, up=request.POST.get("direction") == "up")
    if getattr(request, "htmx", False):
        program = question.program
        return render(
            request,
            "mentoring/form_builder.html#questions",
            {"program": program, "questions": program.questions.all()},
        )
    return redirect("mentoring:form", slug)


@require_POST
@access.permission_required(PARTICIPATE)
def question_delete(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    question = _question(request.user, slug, question_id)
    question.delete()
    messages.success(request, _("Question removed. Answers already given are kept."))
    return redirect("mentoring:form", slug)


# --- cycles ---------------------------------------------------------------------------


@access.permission_required(PARTICIPATE)
def cycle_new(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program_for_manager(request.user, slug)
    form = CycleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cycle = form.save(commit=False)
        cycle.program = program
        cycle.save()
        messages.success(
            request, _("Cycle created as a draft. Open enrolment when the form is ready.")
        )
        return redirect("mentoring:cycle", cycle.pk)
    return render(
        request,
        "mentoring/cycle_form.html",
        {"section": "mentoring", "program": program, "form": form},
    )


NEXT_STATUS = {
    CycleStatus.DRAFT: [CycleStatus.ENROLLING],
    CycleStatus.ENROLLING: [CycleStatus.MATCHING, CycleStatus.DRAFT],
    CycleStatus.MATCHING: [CycleStatus.ENROLLING],
    CycleStatus.PUBLISHED: [CycleStatus.CLOSED],
    CycleStatus.CLOSED: [],
}


@access.permission_required(PARTICIPATE)
def cycle_detail(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = get_cycle_for_manager(request.user, cycle_id)
    enrolments = list(
        cycle.enrolments.select_related("user", "department").order_by("role", "user__last_name")
    )
    questions = list(cycle.program.questions.all())
    rows = [(e, selectors.public_answers(e, questions)) for e in enrolments]
    mentees, mentors = selectors.split_roles([e for e in enrolments if e.status == "active"])
    return render(
        request,
        "mentoring/cycle.html",
        {
            "section": "mentoring",
            "cycle": cycle,
            "program": cycle.program,
            "rows": rows,
            "n_mentees": len(mentees),
            "n_mentors": len(mentors),
            "seats": sum(e.capacity for e in mentors),
            "next_status": [
                (s, CycleStatus(s).label) for s in NEXT_STATUS[CycleStatus(cycle.status)]
            ],
        },
    )


@require_POST
@access.permission_required(PARTICIPATE)
def cycle_status(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = get_cycle_for_manager(request.user, cycle_id)
    status = request.POST.get("status", "")
    if status not in NEXT_STATUS[CycleStatus(cycle.status)]:
        messages.error(request, _("That step is not possible from here."))
    else:
        services.cycle_set_status(cycle=cycle, status=status, user=request.user)
        messages.success(
            request, _("Cycle status: %(status)s") % {"status": CycleStatus(status).label}
        )
    return redirect("mentoring:cycle", cycle.pk)


# --- enrolment ------------------------------------------------------------------------


@access.permission_required(PARTICIPATE)
def enrol(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = get_cycle_for_participant(request.user, cycle_id)
    enrolment = get_own_enrolment(request.user, cycle)
    if cycle.status != CycleStatus.ENROLLING:
        if enrolment is None:
            raise Http404
        messages.info(request, _("Enrolment is closed; your answers can no longer be changed."))
        return redirect("mentoring:home")
    form = EnrolmentForm(request.POST or None, program=cycle.program, enrolment=enrolment)
    if request.method == "POST" and form.is_valid():
        services.enrolment_submit(
            cycle=cycle,
            user=request.user,
            role=form.cleaned_data["role"],
            capacity=form.cleaned_data["capacity"],
            answers=form.answers(),
            preferences_used=form.preferences_used(),
        )
        messages.success(
            request, _("You are enrolled. You can change your answers until enrolment closes.")
        )
        return redirect("mentoring:home")
    return render(
        request,
        "mentoring/enrol.html",
        {"section": "mentoring", "cycle": cycle, "form": form, "enrolment": enrolment},
    )


@require_POST
@access.permission_required(PARTICIPATE)
def withdraw(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = get_cycle_for_participant(request.user, cycle_id)
    enrolment = get_own_enrolment(request.user, cycle)
    if enrolment is None or cycle.status != CycleStatus.ENROLLING:
        raise Http404
    enrolment.status = "withdrawn"
    enrolment.save(update_fields=["status"])
    messages.success(request, _("You have withdrawn from this cycle."))
    return redirect("mentoring:home")


# --- matching -------------------------------------------------------------------------


def _latest_runs(cycle: Cycle) -> list[MatchRun]:
    latest = cycle.runs.order_by("-created_at", "-id").first()
    if latest is None:
        return []
    return list(cycle.runs.filter(batch=latest.batch).order_by("id"))


@access.permission_required(PARTICIPATE)
def matching(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = get_cycle_for_manager(request.user, cycle_id)
    if cycle.program.is_self_match:
        raise Http404
    constraint_form = ConstraintForm(cycle=cycle)
    if request.method == "POST":
        if cycle.pairs.exists():
            messages.error(request, _("The matches are published; runs can no longer change them."))
            return redirect("mentoring:matching", cycle.pk)
        action = request.POST.get("action")
        if action == "run":
            try:
                services.match_runs_create(cycle=cycle, user=request.user)
            except ValueError as exc:
                messages.error(request, _("Matching could not run: %(error)s") % {"error": exc})
            else:
                messages.success(request, _("Every policy ran on the same preference lists."))
            return redirect("mentoring:matching", cycle.pk)
        if action == "constraint":
            constraint_form = ConstraintForm(request.POST, cycle=cycle)
            if constraint_form.is_valid():
                d = constraint_form.cleaned_data
                services.constraint_set(
                    cycle=cycle,
                    kind=d["kind"],
                    mentee=d["mentee"],
                    mentor=d["mentor"],
                    note=d["note"],
                    user=request.user,
                )
                messages.success(request, _("Saved. Run matching again to apply it."))
                return redirect("mentoring:matching", cycle.pk)
    runs = _latest_runs(cycle)
    inputs_names = {str(e.pk): str(e.user) for e in cycle.enrolments.select_related("user")}
    labels = _policy_labels()
    columns = [{"run": r, "label": labels.get(r.policy, r.policy), "q": r.quality} for r in runs]
    return render(
        request,
        "mentoring/matching.html",
        {
            "section": "mentoring",
            "cycle": cycle,
            "program": cycle.program,
            "columns": columns,
            "constraints": PairConstraint.objects.filter(cycle=cycle).select_related(
                "mentee__user", "mentor__user"
            ),
            "constraint_form": constraint_form,
            "published": cycle.pairs.exists(),
            "names": inputs_names,
        },
    )


@require_POST
@access.permission_required(PARTICIPATE)
def constraint_delete(request: HttpRequest, cycle_id: int, constraint_id: int) -> HttpResponse:
    cycle = get_cycle_for_manager(request.user, cycle_id)
    get_object_or_404(PairConstraint, pk=constraint_id, cycle=cycle).delete()
    messages.success(request, _("Removed. Run matching again to apply it."))
    return redirect("mentoring:matching", cycle.pk)


@access.permission_required(PARTICIPATE)
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_for_manager(request.user, run_id)
    cycle = run.cycle
    names = {str(e.pk): e for e in cycle.enrolments.select_related("user")}
    questions = list(cycle.program.questions.all())
    pairs = [
        {
            "mentee": names.get(p["mentee"]),
            "mentor": names.get(p["mentor"]),
            "score": p["score"],
            "rank": p["rank"],
            "pinned": p["pinned"],
            "reasons": selectors.reason_texts(p["reasons"], questions),
            "mentee_id": p["mentee"],
            "mentor_id": p["mentor"],
        }
        for p in run.result.get("pairs", [])
    ]
    pairs.sort(key=lambda p: str(p["mentor"]))
    why = _unmatched_labels()
    unmatched = [
        (names.get(u["mentee"]), why.get(u["reason"], u["reason"]))
        for u in run.quality.get("unmatched", [])
    ]
    return render(
        request,
        "mentoring/run.html",
        {
            "section": "mentoring",
            "run": run,
            "cycle": cycle,
            "label": _policy_labels().get(run.policy, run.policy),
            "pairs": pairs,
            "unmatched": unmatched,
            "published": cycle.pairs.exists(),
        },
    )


@require_POST
@access.permission_required(PARTICIPATE)
def run_publish(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_run_for_manager(request.user, run_id)
    try:
        pairs = services.match_run_publish(run=run, user=request.user)
    except services.AlreadyPublished:
        messages.error(request, _("This cycle's matches are already published."))
    else:
        messages.success(
            request,
            _("Published %(n)s pairs; everyone enrolled has been e-mailed.") % {"n": len(pairs)},
        )
    return redirect("mentoring:cycle", run.cycle_id)


# --- self-match -----------------------------------------------------------------------


@access.permission_required(PARTICIPATE)
def suggestions(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = get_cycle_for_participant(request.user, cycle_id)
    mentee = get_own_enrolment(request.user, cycle)
    if not cycle.program.is_self_match or mentee is None or not mentee.can_be_mentee:
        raise Http404
    if cycle.status not in services.REQUEST_STATUSES:
        raise Http404
    services.requests_expire()
    questions = list(cycle.program.questions.all())
    if request.method == "POST":
        chosen: list[int] = []
        for n in range(1, cycle.program.max_requests + 1):
            value = request.POST.get(f"choice_{n}", "")
            if value.isdigit() and int(value) not in chosen:
                chosen.append(int(value))
        try:
            services.requests_submit(cycle=cycle, mentee=mentee, mentor_ids=chosen)
        except services.RequestRefused:
            messages.error(
                request,
                _("Choose from 1 to %(n)s mentors from your suggestions, in order.")
                % {"n": cycle.program.max_requests},
            )
        else:
            messages.success(request, _("Your first choice has been asked."))
            return redirect("mentoring:suggestions", cycle.pk)
    offered = selectors.suggestions(cycle, mentee)
    rows = [
        (
            s,
            selectors.reason_texts(s.reasons, questions),
            selectors.public_answers(s.mentor, questions),
        )
        for s in offered
    ]
    my_requests = list(mentee.requests_made.select_related("mentor__user"))
    matched = cycle.pairs.filter(mentee=mentee, status=PairStatus.ACTIVE).first()
    return render(
        request,
        "mentoring/suggestions.html",
        {
            "section": "mentoring",
            "cycle": cycle,
            "rows": rows,
            "requests": my_requests,
            "matched": matched,
            "can_request": matched is None
            and not any(
                r.status in (RequestStatus.PENDING, RequestStatus.QUEUED) for r in my_requests
            ),
            "slots": range(1, cycle.program.max_requests + 1),
        },
    )


@require_POST
@access.permission_required(PARTICIPATE)
def request_respond(request: HttpRequest, request_id: int) -> HttpResponse:
    req = get_request_for_mentor(request.user, request_id)
    accept = request.POST.get("answer") == "accept"
    try:
        pair = services.request_respond(req=req, accept=accept, user=request.user)
    except services.RequestRefused:
        messages.error(request, _("This request is no longer waiting for you."))
        return redirect("mentoring:home")
    if pair is not None:
        messages.success(request, _("Accepted. Say hello to your new mentee."))
        return redirect("mentoring:pair", pair.pk)
    messages.success(request, _("Declined; the request passes to their next choice."))
    return redirect("mentoring:home")


# --- the pair -------------------------------------------------------------------------


@access.permission_required(PARTICIPATE)
def pair_detail(request: HttpRequest, pair_id: int) -> HttpResponse:
    pair, side = get_pair_for_user(request.user, pair_id)
    questions = list(pair.cycle.program.questions.all())
    other = pair.mentee if side == "mentor" else pair.mentor
    forms: dict[str, Any] = {
        "checkin": CheckInForm(initial={"met_on": timezone.localdate(), "minutes": 30}),
        "goal": GoalForm(),
        "feedback": FeedbackForm(),
    }
    if request.method == "POST":
        if side == "manager":
            raise Http404
        action = request.POST.get("action")
        ok = False
        if action == "checkin":
            forms["checkin"] = CheckInForm(request.POST)
            if forms["checkin"].is_valid():
                d = forms["checkin"].cleaned_data
                services.checkin_log(pair=pair, user=request.user, **d)
                messages.success(request, _("Check-in logged."))
                ok = True
        elif action == "goal":
            forms["goal"] = GoalForm(request.POST)
            if forms["goal"].is_valid():
                services.goal_add(pair=pair, text=forms["goal"].cleaned_data["text"])
                ok = True
        elif action == "goal_done":
            goal = get_object_or_404(Goal, pk=request.POST.get("goal"), pair=pair)
            goal.done = not goal.done
            goal.save(update_fields=["done"])
            ok = True
        elif action == "agreement":
            text = request.POST.get("agreement")
            services.agreement_save(
                pair=pair, side=side, text=text[:5000] if text is not None else None
            )
            ok = True
        elif action == "feedback":
            forms["feedback"] = FeedbackForm(request.POST)
            if forms["feedback"].is_valid():
                services.feedback_submit(
                    pair=pair, user=request.user, **forms["feedback"].cleaned_data
                )
                messages.success(request, _("Thank you. Your answer is counted only in totals."))
                ok = True
        if ok:
            return redirect("mentoring:pair", pair.pk)
    checkins = list(pair.checkins.all())
    last = checkins[0].met_on if checkins else None
    health = selectors.pair_health(pair, last, timezone.localdate())
    return render(
        request,
        "mentoring/pair.html",
        {
            "section": "mentoring",
            "pair": pair,
            "side": side,
            "other": other,
            "reasons": selectors.reason_texts(pair.reasons, questions),
            "other_answers": selectors.public_answers(other, questions)
            if side != "manager"
            else [],
            "checkins": checkins,
            "minutes": sum(c.minutes for c in checkins),
            "goals": pair.goals.all(),
            "forms": forms,
            "health": selectors.health_label(health),
        },
    )


# --- manager reports ------------------------------------------------------------------


@access.permission_required(PARTICIPATE)
def health(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = get_cycle_for_manager(request.user, cycle_id)
    rows = [
        (pair, selectors.health_label(h), h, n, minutes)
        for pair, h, n, minutes in selectors.cycle_health(cycle)
    ]
    counts: dict[str, int] = {}
    for _p, _l, h, _n, _m in rows:
        counts[h] = counts.get(h, 0) + 1
    return render(
        request,
        "mentoring/health.html",
        {
            "section": "mentoring",
            "cycle": cycle,
            "rows": rows,
            "counts": [
                (selectors.health_label(k), counts.get(k, 0))
                for k in (
                    selectors.HEALTH_ON_TRACK,
                    selectors.HEALTH_NEEDS_CHECKIN,
                    selectors.HEALTH_INACTIVE,
                )
            ],
            "feedback": selectors.feedback_summary(cycle, settings.RISTRA_MIN_CELL),
            "overall": selectors.overall_rates(cycle),
            "min_cell": settings.RISTRA_MIN_CELL,
        },
    )


@access.permission_required(PARTICIPATE)
def equity(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = get_cycle_for_manager(request.user, cycle_id)
    if not can_see_demographics(request.user, cycle.program):
        raise Http404
    tables = selectors.equity_audit(cycle, settings.RISTRA_MIN_CELL)
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        object_type="mentoring_equity_audit",
        object_id=cycle.pk,
        summary=f"Viewed the equity audit of mentoring cycle #{cycle.pk}",
        request=request,
    )
    return render(
        request,
        "mentoring/equity.html",
        {
            "section": "mentoring",
            "cycle": cycle,
            "tables": tables,
            "min_cell": settings.RISTRA_MIN_CELL,
            "overall": selectors.overall_rates(cycle),
        },
    )


@access.permission_required(PARTICIPATE)
def service_record(request: HttpRequest, fmt: str) -> HttpResponse:
    """The signed-in mentor's mentees, dates, check-ins and hours, for a dossier."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    pairs = (
        Pair.objects.filter(mentor__user_id=int(request.user.pk or 0))
        .select_related("cycle__program", "mentee__user")
        .annotate(n=Count("checkins"), mins=Sum("checkins__minutes"))
        .order_by("cycle__starts_on", "id")
    )
    headers = [
        _("Program"),
        _("Cycle"),
        _("Mentee"),
        _("From"),
        _("To"),
        _("Status"),
        _("Check-ins"),
        _("Hours"),
    ]
    rows = [
        [
            p.cycle.program.name,
            p.cycle.name,
            str(p.mentee.user),
            p.cycle.starts_on.isoformat(),
            p.cycle.ends_on.isoformat(),
            p.get_status_display(),
            p.n,  # type: ignore[attr-defined]
            round((p.mins or 0) / 60, 1),  # type: ignore[attr-defined]
        ]
        for p in pairs
    ]
    return export_response(
        filename="mentoring-service-record",
        fmt=fmt,
        headers=headers,
        rows=rows,
        sheet=_("Mentoring"),
    )


# --- one-time connections -------------------------------------------------------------


def _sender_hash(request: HttpRequest) -> str:
    """A keyed hash of the sender's address: enough for a rate limit, not an address."""
    address = str(request.META.get("REMOTE_ADDR") or "")
    if not address:
        return ""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, b"connect:" + address.encode(), hashlib.sha256).hexdigest()


def connect(request: HttpRequest, slug: str) -> HttpResponse:
    """The public request form (no account needed)."""
    program = get_connection_program(slug)
    form = ConnectionRequestForm(
        request.POST or None, program=program, sender_hash=_sender_hash(request)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            services.connection_submit(
                program=program,
                name=d["name"],
                email=d["email"],
                interests=d["interests"],
                message=d["message"],
                sender_hash=form.sender_hash,
            )
            return redirect("mentoring:connect_thanks", program.slug)
        status = 400 if form.is_spam else 200
        if form.is_spam:  # a fresh form (new token), the answers kept
            form = ConnectionRequestForm(
                initial={k: request.POST.get(k, "") for k in ("name", "email", "message")},
                program=program,
            )
            form.refused = True  # type: ignore[attr-defined]
    return render(
        request, "mentoring/connect.html", {"program": program, "form": form}, status=status
    )


def connect_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_connection_program(slug)
    return render(request, "mentoring/connect_thanks.html", {"program": program})


@access.permission_required(PARTICIPATE)
def volunteer(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_volunteer_program(request.user, slug)
    user: Any = request.user
    mine = Volunteer.objects.filter(program=program, user=user).first()
    initial = (
        {
            "topics": mine.topics,
            "per_month": mine.per_month,
            "about": mine.about,
            "active": mine.active,
        }
        if mine
        else None
    )
    form = VolunteerForm(request.POST or None, program=program, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.volunteer_save(program=program, user=request.user, **form.cleaned_data)
        messages.success(request, _("Thank you. Your choices are saved."))
        return redirect("mentoring:volunteer", program.slug)
    connections = (
        Connection.objects.filter(volunteer=mine).order_by("-introduced_at") if mine else []
    )
    return render(
        request,
        "mentoring/volunteer.html",
        {
            "section": "mentoring",
            "program": program,
            "form": form,
            "volunteer": mine,
            "connections": connections,
            "this_month": selectors.volunteer_load(program).get(mine.pk, 0) if mine else 0,
        },
    )


@access.permission_required(PARTICIPATE)
def connections(request: HttpRequest, slug: str) -> HttpResponse:
    """The coordinator's list: requests (waiting first) and volunteers with this month's load."""
    program = get_program_for_manager(request.user, slug)
    load = selectors.volunteer_load(program)
    volunteers = [
        (v, load.get(v.pk, 0)) for v in program.volunteers.select_related("user").order_by("id")
    ]
    requests = list(
        program.connections.select_related("volunteer__user").order_by("status", "-created_at")
    )
    return render(
        request,
        "mentoring/connections.html",
        {
            "section": "mentoring",
            "program": program,
            "requests": requests,
            "volunteers": volunteers,
            "public_url": request.build_absolute_uri(
                reverse("mentoring:connect", args=[program.slug])
            ),
        },
    )


@access.permission_required(PARTICIPATE)
def connection_detail(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection, side = get_connection_for_user(request.user, connection_id)
    followup = FollowUpForm(
        initial={
            "met": "" if connection.met is None else ("yes" if connection.met else "no"),
            "notes": connection.followup_notes,
        }
    )
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "followup" and connection.status == ConnectionStatus.INTRODUCED:
            followup = FollowUpForm(request.POST)
            if followup.is_valid():
                services.connection_follow_up(
                    connection=connection,
                    met=followup.cleaned_data["met"],
                    notes=followup.cleaned_data["notes"],
                )
                messages.success(request, _("Follow-up recorded."))
                return redirect("mentoring:connection", connection.pk)
        elif action == "introduce" and side == "manager":
            chosen = Volunteer.objects.filter(
                pk=request.POST.get("volunteer") or 0, program=connection.program
            ).first()
            try:
                if chosen is None:
                    raise services.ConnectionRefused("no volunteer")
                services.connection_introduce(
                    connection=connection, volunteer=chosen, user=request.user
                )
            except services.ConnectionRefused:
                messages.error(
                    request, _("That introduction is not possible: choose a suggested volunteer.")
                )
            else:
                messages.success(request, _("Introduced: both have been e-mailed."))
            return redirect("mentoring:connection", connection.pk)
        elif action == "close" and side == "manager":
            services.connection_close(connection=connection, user=request.user)
            messages.success(request, _("Request closed."))
            return redirect("mentoring:connections", connection.program.slug)
        else:
            raise Http404
    suggestions = (
        selectors.volunteer_suggestions(connection)
        if side == "manager" and connection.status == ConnectionStatus.NEW
        else []
    )
    return render(
        request,
        "mentoring/connection.html",
        {
            "section": "mentoring",
            "connection": connection,
            "program": connection.program,
            "side": side,
            "suggestions": suggestions,
            "followup": followup,
        },
    )


# --- outcomes -------------------------------------------------------------------------


@access.permission_required(PARTICIPATE)
def outcomes(request: HttpRequest, slug: str) -> HttpResponse:
    """Retention and promotion of the program's mentees against comparable
    non-participants, from the person record, suppressed like the dashboards."""
    from ristra.mentoring.outcomes import outcome_tables

    program = get_program_for_manager(request.user, slug)
    tables = outcome_tables(program, settings.RISTRA_MIN_CELL, timezone.localdate())
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        object_type="mentoring_outcomes",
        object_id=program.pk,
        summary=f"Viewed the outcomes of mentoring program '{program.name}'",
        request=request,
    )
    return render(
        request,
        "mentoring/outcomes.html",
        {
            "section": "mentoring",
            "program": program,
            "tables": tables,
            "min_cell": settings.RISTRA_MIN_CELL,
        },
    )


# --- assigned mode: a mentee ranks the mentors they would like ------------------------


@access.permission_required(PARTICIPATE)
def rank_mentors(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = get_cycle_for_participant(request.user, cycle_id)
    mentee = get_own_enrolment(request.user, cycle)
    program = cycle.program
    if (
        program.is_self_match
        or program.max_ranked == 0
        or mentee is None
        or not mentee.can_be_mentee
        or mentee.status != "active"
    ):
        raise Http404
    if cycle.status != CycleStatus.ENROLLING:
        messages.info(request, _("Enrolment is closed; your list can no longer be changed."))
        return redirect("mentoring:home")
    questions = list(program.questions.all())
    offered = selectors.suggestions(cycle, mentee, limit=10_000)
    allowed = {s.mentor.pk for s in offered}
    if request.method == "POST":
        chosen: list[int] = []
        for n in range(1, program.max_ranked + 1):
            value = request.POST.get(f"choice_{n}", "")
            if value.isdigit() and int(value) in allowed and int(value) not in chosen:
                chosen.append(int(value))
        services.ranking_save(enrolment=mentee, mentor_ids=chosen)
        messages.success(
            request,
            _("Your list is saved.")
            if chosen
            else _("Your list is cleared; you are matched by fit."),
        )
        return redirect("mentoring:rank", cycle.pk)
    current = [m for m in mentee.ranked_mentors or [] if m in allowed]
    rows = [
        (
            s,
            selectors.reason_texts(s.reasons, questions),
            selectors.public_answers(s.mentor, questions),
        )
        for s in offered
    ]
    slots = [
        (n, current[n - 1] if n <= len(current) else None) for n in range(1, program.max_ranked + 1)
    ]
    return render(
        request,
        "mentoring/rank.html",
        {"section": "mentoring", "cycle": cycle, "rows": rows, "slots": slots},
    )
