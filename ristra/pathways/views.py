"""Pathway screens: programs, partners, cohorts, participants (identity: audited),
imports, sessions and attendance, linking and the review queue (audited), the outcome
report, clearinghouse files, a partner's signed page and a participant's own update page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.mail import send_mail
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ristra.accounts import access
from ristra.accounts.models import ProgramScope
from ristra.audit.models import Action
from ristra.audit.services import audit_record
from ristra.pathways import services
from ristra.pathways.access import (
    can_see_identity,
    get_cohort_for_identity,
    get_cohort_for_manager,
    get_link_for_reviewer,
    get_participant_for_identity,
    get_program_for_manager,
    managed_programs,
    may_use_pathways,
    participant_from_token,
    participant_token,
    partner_from_token,
    partner_token,
)
from ristra.pathways.forms import (
    ClearinghouseRequestForm,
    CohortForm,
    DecisionForm,
    ImportForm,
    PartnerForm,
    ProgramForm,
    ReturnFileForm,
    SelfUpdateForm,
    SessionForm,
)
from ristra.pathways.models import (
    ClearinghouseReturn,
    Link,
    LinkRun,
    LinkStatus,
    ParticipantImport,
    ParticipantStatus,
    Partner,
    Session,
)

FORMATS = ("csv", "xlsx", "pdf")
MAX_UPLOAD = 20 * 1024 * 1024


def _require_pathways(request: HttpRequest) -> None:
    if not may_use_pathways(request.user):
        raise Http404


def _policy() -> Any:
    from ristra.analytics import suppression as sup

    return sup.SuppressionPolicy(
        min_count=settings.RISTRA_MIN_CELL, min_denominator=settings.RISTRA_MIN_CELL
    )


def _audit_identity(
    request: HttpRequest, *, object_type: str, object_id: Any, summary: str, persons: Any = ()
) -> None:
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        object_type=object_type,
        object_id=object_id,
        summary=summary,
        reason="pathway program management",
        person_ids=persons,
        request=request,
    )


def _upload(request: HttpRequest, form: Any) -> tuple[str, bytes] | None:
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD:
        form.add_error("file", _("The file is larger than 20 MB."))
        return None
    return upload.name, upload.read()


# --- home and programs ----------------------------------------------------------------


@access.login_required
def home(request: HttpRequest) -> HttpResponse:
    _require_pathways(request)
    programs = managed_programs(request.user).annotate(n_cohorts=Count("cohorts", distinct=True))
    return render(
        request,
        "pathways/home.html",
        {
            "section": "pathways",
            "programs": programs,
            "review_count": Link.objects.filter(
                status=LinkStatus.REVIEW, participant__cohort__program__in=programs
            ).count(),
        },
    )


def _scopes(user: Any) -> Any:
    if access.is_administrator(user):
        return ProgramScope.objects.all()
    return user.programs.all()


@access.login_required
def program_new(request: HttpRequest) -> HttpResponse:
    _require_pathways(request)
    scopes = _scopes(request.user)
    form = ProgramForm(request.POST or None, scopes=scopes)
    if request.method == "POST" and form.is_valid():
        program = form.save()
        audit_record(
            actor=request.user,
            action=Action.CREATE,
            object_type="pathway_program",
            object_id=program.pk,
            summary=f"Created pathway program '{program.name}'",
            request=request,
        )
        messages.success(request, _("Program created."))
        return redirect("pathways:program", slug=program.slug)
    return render(request, "pathways/program_form.html", {"section": "pathways", "form": form})


@access.login_required
def program_edit(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program_for_manager(request.user, slug)
    form = ProgramForm(request.POST or None, instance=program, scopes=_scopes(request.user))
    if request.method == "POST" and form.is_valid():
        program = form.save()
        messages.success(request, _("Program saved."))
        return redirect("pathways:program", slug=program.slug)
    return render(
        request,
        "pathways/program_form.html",
        {"section": "pathways", "form": form, "program": program},
    )


@access.login_required
def program_detail(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program_for_manager(request.user, slug)
    cohorts = program.cohorts.annotate(
        n_participants=Count("participants", filter=Q(participants__status="participant")),
        n_waitlist=Count("participants", filter=Q(participants__status="waitlist")),
        n_sessions=Count("sessions", distinct=True),
    ).order_by("-year")
    return render(
        request,
        "pathways/program.html",
        {
            "section": "pathways",
            "program": program,
            "cohorts": cohorts,
            "partners": program.partners.all(),
            "partner_form": PartnerForm(),
            "cohort_form": CohortForm(program=program),
            "return_form": ReturnFileForm(),
            "runs": program.link_runs.select_related("cohort")[:5],
            "returns": program.clearinghouse_returns.all()[:5],
            "review_count": Link.objects.filter(
                status=LinkStatus.REVIEW, participant__cohort__program=program
            ).count(),
            "can_identity": can_see_identity(request.user, program),
        },
    )


@require_POST
@access.login_required
def partner_new(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program_for_manager(request.user, slug)
    existing = Partner.objects.filter(name=request.POST.get("name", "").strip()).first()
    form = PartnerForm(request.POST, instance=existing)
    if form.is_valid():
        partner = form.save()
        partner.programs.add(program)
        messages.success(request, _("Partner saved."))
    else:
        messages.error(
            request,
            _("The partner was not saved: %(errors)s")
            % {"errors": " ".join(str(e) for errs in form.errors.values() for e in errs)},
        )
    return redirect("pathways:program", slug=program.slug)


@require_POST
@access.login_required
def partner_link(request: HttpRequest, slug: str, partner_id: int) -> HttpResponse:
    """Show the partner's signed, expiring page address (to send to the partner)."""
    program = get_program_for_manager(request.user, slug)
    partner = program.partners.filter(pk=partner_id).first()
    if partner is None:
        raise Http404
    url = request.build_absolute_uri(
        reverse("pathways:partner_page", args=[partner_token(partner, program)])
    )
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        object_type="pathway_partner_link",
        object_id=partner.pk,
        summary=f"Made a partner page link for '{partner.name}' ({program.name})",
        request=request,
    )
    messages.success(
        request,
        _("Send this address to %(partner)s; it works for 90 days: %(url)s")
        % {"partner": partner.name, "url": url},
    )
    return redirect("pathways:program", slug=program.slug)


@require_POST
@access.login_required
def cohort_new(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program_for_manager(request.user, slug)
    form = CohortForm(request.POST, program=program)
    if form.is_valid():
        cohort = form.save(commit=False)
        cohort.program = program
        cohort.save()
        messages.success(request, _("Cohort added."))
        return redirect("pathways:cohort", cohort_id=cohort.pk)
    messages.error(
        request,
        _("The cohort was not added: %(errors)s")
        % {"errors": " ".join(str(e) for errs in form.errors.values() for e in errs)},
    )
    return redirect("pathways:program", slug=program.slug)


# --- cohorts, participants, imports ---------------------------------------------------


@access.login_required
def cohort_detail(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = get_cohort_for_manager(request.user, cohort_id)
    identity = can_see_identity(request.user, cohort.program)
    participants = []
    if identity:
        participants = list(
            cohort.participants.select_related("partner").annotate(
                sessions_attended=Count("attendance")
            )
        )
        _audit_identity(
            request,
            object_type="pathway_cohort",
            object_id=cohort.pk,
            summary=f"Viewed the participants of {cohort} ({len(participants)})",
        )
    return render(
        request,
        "pathways/cohort.html",
        {
            "section": "pathways",
            "cohort": cohort,
            "program": cohort.program,
            "identity": identity,
            "participants": participants,
            "counts": [
                (ParticipantStatus(row["status"]).label, row["n"])
                for row in cohort.participants.values("status").annotate(n=Count("id"))
            ],
            "sessions": cohort.sessions.annotate(n=Count("attendance")),
            "imports": cohort.imports.all()[:10],
            "import_form": ImportForm(),
            "session_form": SessionForm(),
            "request_form": ClearinghouseRequestForm(),
        },
    )


@require_POST
@access.login_required
def participants_import(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = get_cohort_for_identity(request.user, cohort_id)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid() or (upload := _upload(request, form)) is None:
        messages.error(request, _("Choose a CSV or XLSX file of at most 20 MB."))
        return redirect("pathways:cohort", cohort_id=cohort.pk)
    name, content = upload
    batch = services.participants_import(
        cohort=cohort, filename=name, content=content, user=request.user
    )
    audit_record(
        actor=request.user,
        action=Action.IMPORT,
        object_type="pathway_import",
        object_id=batch.pk,
        summary=f"Imported participants into {cohort}: {batch.rows_inserted} added, "
        f"{batch.rows_duplicate} duplicates, {batch.rows_rejected} rejected",
        request=request,
    )
    return redirect("pathways:import", batch_id=batch.pk)


@access.login_required
def import_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = (
        ParticipantImport.objects.select_related("cohort__program__scope")
        .filter(pk=batch_id)
        .first()
    )
    if batch is None:
        raise Http404
    get_cohort_for_identity(request.user, batch.cohort_id)
    rows = list(batch.rows.all())
    _audit_identity(
        request,
        object_type="pathway_import",
        object_id=batch.pk,
        summary=f"Viewed participant import #{batch.pk} ({len(rows)} raw rows)",
    )
    headings = list(rows[0].raw.keys()) if rows else []
    return render(
        request,
        "pathways/import.html",
        {
            "section": "pathways",
            "batch": batch,
            "cohort": batch.cohort,
            "rows": [(r, [r.raw.get(h) for h in headings]) for r in rows],
            "headings": headings,
        },
    )


@require_POST
@access.login_required
def session_new(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = get_cohort_for_manager(request.user, cohort_id)
    form = SessionForm(request.POST)
    if form.is_valid():
        session = form.save(commit=False)
        session.cohort = cohort
        session.save()
        messages.success(request, _("Session added."))
    else:
        messages.error(request, _("Give the session a date and a title."))
    return redirect("pathways:cohort", cohort_id=cohort.pk)


@access.login_required
def attendance(request: HttpRequest, session_id: int) -> HttpResponse:
    session = Session.objects.select_related("cohort__program__scope").filter(pk=session_id).first()
    if session is None:
        raise Http404
    cohort = get_cohort_for_identity(request.user, session.cohort_id)
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("attended") if v.isdigit()]
        n = services.attendance_record(session=session, participant_ids=ids)
        messages.success(request, _("Attendance saved: %(n)d present.") % {"n": n})
        return redirect("pathways:cohort", cohort_id=cohort.pk)
    present = set(session.attendance.values_list("participant_id", flat=True))
    people = list(cohort.participants.exclude(status=ParticipantStatus.WAITLIST))
    _audit_identity(
        request,
        object_type="pathway_session",
        object_id=session.pk,
        summary=f"Viewed the attendance list of {session} ({len(people)} participants)",
    )
    return render(
        request,
        "pathways/attendance.html",
        {
            "section": "pathways",
            "session": session,
            "cohort": cohort,
            "people": [(p, p.pk in present) for p in people],
        },
    )


@access.login_required
def participant_detail(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = get_participant_for_identity(request.user, participant_id)
    links = list(
        participant.links.select_related("person", "decided_by").prefetch_related("decisions")
    )
    _audit_identity(
        request,
        object_type="pathway_participant",
        object_id=participant.pk,
        summary=f"Viewed pathway participant #{participant.pk}",
        persons=[link.person_id for link in links],
    )
    return render(
        request,
        "pathways/participant.html",
        {
            "section": "pathways",
            "participant": participant,
            "cohort": participant.cohort,
            "links": links,
            "changes": participant.changes.all()[:50],
        },
    )


@require_POST
@access.login_required
def participant_invite(request: HttpRequest, participant_id: int) -> HttpResponse:
    """E-mail the participant a signed link to update their own details."""
    participant = get_participant_for_identity(request.user, participant_id)
    if not participant.email:
        messages.error(request, _("This participant has no e-mail address."))
        return redirect("pathways:participant", participant_id=participant.pk)
    url = request.build_absolute_uri(
        reverse("pathways:self_update", args=[participant_token(participant)])
    )
    send_mail(
        subject=_("Update your details for %(program)s")
        % {"program": participant.cohort.program.name},
        message=_(
            "Hello %(name)s,\n\nYou took part in %(program)s. You can check and update your "
            "contact details and your consent to follow-up here (the link works for 14 "
            "days):\n\n%(url)s\n"
        )
        % {"name": participant.given_name, "program": participant.cohort.program.name, "url": url},
        from_email=None,
        recipient_list=[participant.email],
    )
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        object_type="pathway_participant",
        object_id=participant.pk,
        summary=f"Sent pathway participant #{participant.pk} a self-update link",
        request=request,
    )
    messages.success(request, _("The link was sent."))
    return redirect("pathways:participant", participant_id=participant.pk)


# --- linking and review ---------------------------------------------------------------


@require_POST
@access.login_required
def link_start(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program_for_manager(request.user, slug)
    cohort = None
    if request.POST.get("cohort"):
        cohort = program.cohorts.filter(pk=request.POST["cohort"]).first()
        if cohort is None:
            raise Http404
    run = services.link_run_start(user=request.user, cohort=cohort, program=program)
    messages.success(request, _("Linking has started; this page shows its progress."))
    return redirect("pathways:run", run_id=run.pk)


@access.login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = LinkRun.objects.select_related("program__scope", "cohort").filter(pk=run_id).first()
    if run is None:
        raise Http404
    program = get_program_for_manager(request.user, run.program.slug)
    return render(
        request, "pathways/run.html", {"section": "pathways", "run": run, "program": program}
    )


@access.login_required
def review(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program_for_manager(request.user, slug)
    if not can_see_identity(request.user, program):
        raise Http404
    links = list(
        Link.objects.filter(status=LinkStatus.REVIEW, participant__cohort__program=program)
        .select_related("participant__cohort", "person")
        .order_by("-match_probability", "id")[:50]
    )
    _audit_identity(
        request,
        object_type="pathway_review",
        object_id=program.pk,
        summary=f"Viewed the linkage review queue of '{program.name}' ({len(links)} pairs)",
        persons=[link.person_id for link in links],
    )
    from ristra.people.models import Identifier, IdSystem

    emails: dict[int, str] = dict(
        Identifier.objects.filter(
            person_id__in=[link.person_id for link in links], system=IdSystem.EMAIL
        ).values_list("person_id", "value")
    )
    return render(
        request,
        "pathways/review.html",
        {
            "section": "pathways",
            "program": program,
            "links": [(link, emails.get(link.person_id, "")) for link in links],
            "form": DecisionForm(),
        },
    )


@require_POST
@access.login_required
def decide(request: HttpRequest, link_id: int) -> HttpResponse:
    link = get_link_for_reviewer(request.user, link_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose 'same person' or 'different people'."))
    else:
        same = form.cleaned_data["decision"] == "same"
        services.link_decide(
            link=link, same_person=same, user=request.user, note=form.cleaned_data["note"]
        )
        audit_record(
            actor=request.user,
            action=Action.UPDATE,
            object_type="pathway_link",
            object_id=link.pk,
            summary=f"{'Confirmed' if same else 'Rejected'} the link of pathway participant "
            f"#{link.participant_id} to person #{link.person_id}",
            person_ids=[link.person_id],
            request=request,
        )
        messages.success(request, _("Decision saved; later runs keep it."))
    return redirect("pathways:review", slug=link.participant.cohort.program.slug)


# --- outcomes -------------------------------------------------------------------------


def _report_response(request: HttpRequest, report: Any, fmt: str) -> HttpResponse:
    from ristra.reports.render import render as render_report

    if fmt not in FORMATS:
        raise Http404
    content, content_type, extension = render_report(report, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{report.key}.{extension}"'
    return response


@access.login_required
def outcomes(request: HttpRequest, slug: str) -> HttpResponse:
    from ristra.pathways.outcomes import outcomes_report

    program = get_program_for_manager(request.user, slug)
    if not access.can(request.user, access.VIEW_AGGREGATES):
        raise Http404
    report = outcomes_report([program], policy=_policy())
    fmt = request.GET.get("format", "")
    audit_record(
        actor=request.user,
        action=Action.EXPORT if fmt else Action.VIEW,
        object_type="pathway_outcomes",
        object_id=program.pk,
        summary=f"{'Downloaded' if fmt else 'Viewed'} the outcomes of '{program.name}' "
        "(suppressed aggregates)",
        request=request,
    )
    if fmt:
        return _report_response(request, report, fmt)
    return render(
        request,
        "pathways/outcomes.html",
        {
            "section": "pathways",
            "program": program,
            "report": report,
            "formats": FORMATS,
            "query": "",
        },
    )


def partner_page(request: HttpRequest, token: str) -> HttpResponse:
    """A partner's own students' suppressed outcomes (signed, expiring link; no account)."""
    from ristra.pathways.outcomes import outcomes_report

    partner, program = partner_from_token(token)
    report = outcomes_report([program], policy=_policy(), partner=partner)
    fmt = request.GET.get("format", "")
    audit_record(
        actor=None,
        action=Action.VIEW,
        object_type="pathway_partner_page",
        object_id=partner.pk,
        summary=f"Partner page of '{partner.name}' for '{program.name}' opened",
        request=request,
    )
    if fmt:
        return _report_response(request, report, fmt)
    return render(
        request,
        "pathways/partner_page.html",
        {"partner": partner, "program": program, "report": report, "formats": FORMATS},
    )


# --- clearinghouse --------------------------------------------------------------------


@require_POST
@access.login_required
def clearinghouse_request(request: HttpRequest, cohort_id: int) -> HttpResponse:
    from ristra.pathways.clearinghouse import ClearinghouseError

    cohort = get_cohort_for_identity(request.user, cohort_id)
    form = ClearinghouseRequestForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("The request file was not made: %(errors)s")
            % {"errors": " ".join(str(e) for errs in form.errors.values() for e in errs)},
        )
        return redirect("pathways:cohort", cohort_id=cohort.pk)
    try:
        content, skipped = services.clearinghouse_request(cohort=cohort, **form.cleaned_data)
    except ClearinghouseError as exc:
        messages.error(request, exc.message)
        return redirect("pathways:cohort", cohort_id=cohort.pk)
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        object_type="pathway_clearinghouse_request",
        object_id=cohort.pk,
        summary=f"Exported a StudentTracker request file for {cohort} "
        f"({len(skipped)} participants left out)",
        request=request,
    )
    response = HttpResponse(content, content_type="text/plain; charset=us-ascii")
    name = f"studenttracker-{cohort.program.slug}-{cohort.year}.txt"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@access.login_required
def clearinghouse_return(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_program_for_manager(request.user, slug)
    if not can_see_identity(request.user, program):
        raise Http404
    form = ReturnFileForm(request.POST, request.FILES)
    if not form.is_valid() or (upload := _upload(request, form)) is None:
        messages.error(request, _("Choose the detail report CSV (at most 20 MB)."))
        return redirect("pathways:program", slug=program.slug)
    name, content = upload
    result = services.clearinghouse_return_import(
        program=program, filename=name, content=content, user=request.user
    )
    audit_record(
        actor=request.user,
        action=Action.IMPORT,
        object_type="pathway_clearinghouse_return",
        object_id=result.pk,
        summary=f"Imported a StudentTracker detail report for '{program.name}'",
        request=request,
    )
    return redirect("pathways:return", return_id=result.pk)


@access.login_required
def return_detail(request: HttpRequest, return_id: int) -> HttpResponse:
    upload = (
        ClearinghouseReturn.objects.select_related("program__scope").filter(pk=return_id).first()
    )
    if upload is None or not can_see_identity(request.user, upload.program):
        raise Http404
    rows = list(upload.rows.all()[:500])
    _audit_identity(
        request,
        object_type="pathway_clearinghouse_return",
        object_id=upload.pk,
        summary=f"Viewed StudentTracker return #{upload.pk} ({len(rows)} rows)",
    )
    return render(
        request,
        "pathways/return.html",
        {"section": "pathways", "upload": upload, "program": upload.program, "rows": rows},
    )


# --- a participant's own page ---------------------------------------------------------


def self_update(request: HttpRequest, token: str) -> HttpResponse:
    participant = participant_from_token(token)
    initial = {
        name: getattr(participant, name) for name in (*services.SELF_FIELDS, "consent_follow_up")
    }
    form = SelfUpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = services.participant_update(
            participant=participant, changes=form.cleaned_data, by_participant=True
        )
        audit_record(
            actor=None,
            action=Action.UPDATE,
            object_type="pathway_participant",
            object_id=participant.pk,
            summary=f"Pathway participant #{participant.pk} updated their own details "
            f"({', '.join(changed) or 'no change'})",
            request=request,
        )
        return render(
            request,
            "pathways/self_update.html",
            {"participant": participant, "done": True, "form": None},
        )
    return render(
        request,
        "pathways/self_update.html",
        {"participant": participant, "form": form, "done": False, "today": timezone.localdate()},
    )
