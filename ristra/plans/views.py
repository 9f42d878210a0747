"""Plans screens: the plan and its progress, actions, indicators, exports and the evidence
pack; required trainings (compliance, overdue people, completion imports, reminders);
searches with committees and checklists."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ristra.accounts import access
from ristra.audit.models import Action as AuditAction
from ristra.audit.services import audit_record
from ristra.people.models import Person
from ristra.plans import selectors, services
from ristra.plans.access import (
    can_see_indicator,
    can_write,
    get_action_for_editor,
    get_plan,
    get_plan_for_writer,
    get_search,
    get_training,
)
from ristra.plans.forms import (
    ActionForm,
    ActionUpdateForm,
    ChecklistTemplateForm,
    CompletionUploadForm,
    GoalForm,
    IndicatorForm,
    MemberForm,
    PlanForm,
    RequirementForm,
    SearchForm,
    TrainingForm,
)
from ristra.plans.models import (
    Action,
    ChecklistItem,
    ChecklistTemplate,
    CompletionBatch,
    Goal,
    Indicator,
    Plan,
    RequirementKind,
)
from ristra.reports.render import render as render_report

SECTION = "plans"


def _ctx(**extra: Any) -> dict[str, Any]:
    return {"section": SECTION, **extra}


def _writer(request: HttpRequest) -> None:
    access.require(request.user, access.PLANS_WRITE)


def _form_page(
    request: HttpRequest, form: Any, title: str, back: str, **extra: Any
) -> HttpResponse:
    return render(request, "plans/form.html", _ctx(form=form, title=title, back=back, **extra))


# ------------------------------------------------------------------------------ plans


@access.login_required
def home(request: HttpRequest) -> HttpResponse:
    plans = Plan.objects.select_related("unit", "parent")
    mine = Action.objects.filter(owner_id=request.user.pk).select_related("goal__plan")
    return render(
        request,
        "plans/home.html",
        _ctx(plans=plans, mine=mine, can_write=can_write(request.user), today=timezone.localdate()),
    )


@access.permission_required(access.PLANS_WRITE)
def plan_new(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_save(plan=form.save(commit=False))
        except services.PlanError as exc:
            form.add_error("parent", exc.message)
        else:
            return redirect("plans:plan", plan.pk)
    return _form_page(request, form, _("New plan"), reverse("plans:home"))


@access.login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_plan(request.user, plan_id)
    return render(
        request,
        "plans/plan.html",
        _ctx(
            plan=plan,
            areas=selectors.plan_progress(plan, request.user),
            rollup=selectors.rollup(plan),
            can_write=can_write(request.user),
            today=timezone.localdate(),
        ),
    )


@access.login_required
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_plan_for_writer(request.user, plan_id)
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_save(plan=form.save(commit=False))
        except services.PlanError as exc:
            form.add_error("parent", exc.message)
        else:
            return redirect("plans:plan", plan.pk)
    return _form_page(request, form, _("Edit plan"), reverse("plans:plan", args=[plan.pk]))


@access.login_required
def goal_new(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_plan_for_writer(request.user, plan_id)
    form = GoalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        goal = form.save(commit=False)
        goal.plan = plan
        goal.position = plan.goals.count()
        goal.save()
        return redirect("plans:plan", plan.pk)
    return _form_page(request, form, _("New goal"), reverse("plans:plan", args=[plan.pk]))


def _goal_for_writer(request: HttpRequest, goal_id: int) -> Goal:
    goal = Goal.objects.select_related("plan").filter(pk=goal_id).first()
    if goal is None or not access.can(request.user, access.VIEW_AGGREGATES):
        raise Http404
    _writer(request)
    return goal


@access.login_required
def action_new(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = _goal_for_writer(request, goal_id)
    form = ActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = form.save(commit=False)
        action.goal = goal
        action.save()
        return redirect("plans:plan", goal.plan_id)
    return _form_page(request, form, _("New action"), reverse("plans:plan", args=[goal.plan_id]))


@access.login_required
def action_edit(request: HttpRequest, action_id: int) -> HttpResponse:
    """The owner (or a writer) sets the status and writes a narrative update."""
    action = get_action_for_editor(request.user, action_id)
    form = ActionUpdateForm(request.POST or None, initial={"status": action.status})
    if request.method == "POST" and form.is_valid():
        services.action_update(
            action=action,
            user=request.user,
            status=form.cleaned_data["status"],
            narrative=form.cleaned_data["narrative"],
        )
        messages.success(request, _("The action was updated."))
        return redirect("plans:plan", action.goal.plan_id)
    return render(
        request,
        "plans/action.html",
        _ctx(action=action, form=form, updates=action.updates.select_related("author")),
    )


@access.login_required
def indicator_edit(
    request: HttpRequest, goal_id: int | None = None, indicator_id: int | None = None
) -> HttpResponse:
    if indicator_id is not None:
        indicator = Indicator.objects.select_related("goal__plan").filter(pk=indicator_id).first()
        if indicator is None:
            raise Http404
        _writer(request)
        goal = indicator.goal
    else:
        goal = _goal_for_writer(request, goal_id or 0)
        indicator = Indicator(goal=goal)
    form = IndicatorForm(request.POST or None, instance=indicator)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        services.indicator_compute(indicator=saved)
        return redirect("plans:indicator", saved.pk)
    measures = [(m, [(p.key, p.label, p.help_text) for p in m.params]) for m in _measures()]
    return _form_page(
        request,
        form,
        _("Bind an indicator") if indicator_id is None else _("Edit indicator"),
        reverse("plans:plan", args=[goal.plan_id]),
        measures=measures,
    )


def _measures() -> list[Any]:
    from ristra.reports import indicators

    return indicators.all()


@access.login_required
def indicator_detail(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = Indicator.objects.select_related("goal__plan").filter(pk=indicator_id).first()
    if indicator is None:
        raise Http404
    if not can_see_indicator(request.user, indicator):
        raise PermissionDenied
    row = selectors.indicator_row(indicator, request.user, history=100)
    return render(
        request,
        "plans/indicator.html",
        _ctx(indicator=indicator, row=row, can_write=can_write(request.user)),
    )


@require_POST
@access.login_required
def plan_recompute(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_plan_for_writer(request.user, plan_id)
    for indicator in Indicator.objects.filter(goal__plan=plan):
        services.indicator_compute(indicator=indicator)
    messages.success(request, _("Every indicator of the plan has a new reading."))
    return redirect("plans:plan", plan.pk)


EXPORT_FORMATS = ("pdf", "xlsx")


@access.login_required
def plan_export(request: HttpRequest, plan_id: int, fmt: str) -> HttpResponse:
    plan = get_plan(request.user, plan_id)
    if fmt not in EXPORT_FORMATS:
        raise Http404
    content, content_type, ext = render_report(selectors.plan_report(plan, user=request.user), fmt)
    response = HttpResponse(content, content_type=content_type)
    name = f"plan-progress-{slugify(plan.title)}-{timezone.localdate().isoformat()}.{ext}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def evidence_pack_bytes(plan: Plan, *, user: Any) -> bytes:
    report = selectors.evidence_report(plan, user=user)
    today = timezone.localdate().isoformat()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for fmt in ("xlsx", "pdf"):
            content, _type, ext = render_report(report, fmt)
            archive.writestr(f"evidence-pack-{today}.{ext}", content)
        archive.writestr(
            "README.txt",
            _(
                "Evidence pack for %(plan)s, produced on %(date)s by Ristra.\n\n"
                "The workbook and the PDF hold the same tables: the plan's actions, its "
                "indicators with their latest published values, the Definitions sheet that "
                "traces every figure to its measure key and parameters, training compliance "
                "and search checklists. Counts from 1 to %(k)d are hidden (*).\n"
            )
            % {"plan": plan.title, "date": today, "k": selectors._policy().min_count - 1},
        )
    return buffer.getvalue()


@access.login_required
def evidence_pack(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_plan_for_writer(request.user, plan_id)
    response = HttpResponse(
        evidence_pack_bytes(plan, user=request.user), content_type="application/zip"
    )
    name = f"evidence-pack-{slugify(plan.title)}-{timezone.localdate().isoformat()}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ------------------------------------------------------------------------------ trainings


@access.login_required
def trainings(request: HttpRequest) -> HttpResponse:
    overview = []
    for training, requirements in selectors.trainings_overview():
        tables = [
            selectors.compliance_table(r) for r in requirements if r.kind == RequirementKind.STAGE
        ]
        overview.append((training, requirements, tables))
    return render(
        request,
        "plans/trainings.html",
        _ctx(
            overview=overview,
            can_write=can_write(request.user),
            can_identity=access.can(request.user, access.VIEW_IDENTITY),
            can_import=access.can(request.user, access.IMPORT_DATA),
        ),
    )


@access.permission_required(access.PLANS_WRITE)
def training_new(request: HttpRequest) -> HttpResponse:
    form = TrainingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("plans:trainings")
    return _form_page(request, form, _("New training"), reverse("plans:trainings"))


@access.login_required
def requirement_new(request: HttpRequest, training_id: int) -> HttpResponse:
    training = get_training(request.user, training_id)
    _writer(request)
    form = RequirementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        requirement = form.save(commit=False)
        requirement.training = training
        requirement.save()
        return redirect("plans:trainings")
    return _form_page(
        request,
        form,
        _("Who must complete %(training)s") % {"training": training.name},
        reverse("plans:trainings"),
    )


@access.login_required
def training_overdue(request: HttpRequest, training_id: int) -> HttpResponse:
    """The people overdue for a training: identity data, audited."""
    training = get_training(request.user, training_id)
    access.require(request.user, access.VIEW_IDENTITY)
    rows = []
    for requirement in training.requirements.filter(kind=RequirementKind.STAGE):
        for status in services.requirement_status(requirement=requirement):
            if status.status == services.OVERDUE:
                rows.append((requirement, status))
    people = Person.objects.in_bulk([s.person_id for _r, s in rows])
    listed = [(r, s, people.get(s.person_id)) for r, s in rows]
    audit_record(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type="plans.training_overdue",
        object_id=training.pk,
        summary=f"Viewed {len(listed)} people overdue for {training.name}",
        person_ids=[s.person_id for _r, s in rows],
        request=request,
    )
    return render(request, "plans/overdue.html", _ctx(training=training, rows=listed))


@access.login_required
def completion_upload(request: HttpRequest, training_id: int) -> HttpResponse:
    training = get_training(request.user, training_id)
    access.require(request.user, access.IMPORT_DATA)
    form = CompletionUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = services.completion_import(
            training=training,
            content=upload.read(),
            filename=upload.name,
            user=request.user,
            id_system=form.cleaned_data["id_system"],
        )
        audit_record(
            actor=request.user,
            action=AuditAction.IMPORT,
            object_type="plans.completion_batch",
            object_id=batch.pk,
            summary=f"Imported {batch.rows_accepted} of {batch.rows_total} completions of "
            f"{training.name} from {batch.filename}",
            request=request,
        )
        return redirect("plans:batch", batch.pk)
    return render(
        request,
        "plans/upload.html",
        _ctx(training=training, form=form, batches=training.batches.all()[:20]),
    )


@access.login_required
def completion_batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    access.require(request.user, access.IMPORT_DATA)
    batch = get_object_or_404(CompletionBatch.objects.select_related("training"), pk=batch_id)
    rows = list(batch.rows.select_related("person"))
    audit_record(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type="plans.completion_batch",
        object_id=batch.pk,
        summary=f"Viewed the rows of completion file {batch.filename}",
        person_ids=[r.person_id for r in rows if r.person_id],
        request=request,
    )
    headers = list(rows[0].raw.keys()) if rows else []
    return render(request, "plans/batch.html", _ctx(batch=batch, rows=rows, headers=headers))


@require_POST
@access.permission_required(access.PLANS_WRITE)
def training_remind(request: HttpRequest) -> HttpResponse:
    from ristra.plans.tasks import training_reminders_task

    training_reminders_task.enqueue()
    messages.success(
        request, _("Reminders are being sent to everyone overdue (at most one a week each).")
    )
    return redirect("plans:trainings")


# ------------------------------------------------------------------------------ searches


@access.login_required
def searches(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "plans/searches.html",
        _ctx(
            rows=selectors.search_rows(),
            table=selectors.cross_search_table(),
            can_write=can_write(request.user),
        ),
    )


@access.permission_required(access.PLANS_WRITE)
def search_new(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        search = services.search_create(
            position=data["position"],
            unit=data["unit"],
            cycle=data["cycle"],
            opens_on=data["opens_on"],
            closes_on=data["closes_on"],
            template=data["template"],
        )
        return redirect("plans:search", search.pk)
    return _form_page(request, form, _("New search"), reverse("plans:searches"))


@access.login_required
def search_detail(request: HttpRequest, search_id: int) -> HttpResponse:
    """A search's committee (identity data, audited) and checklist."""
    search = get_search(request.user, search_id)
    access.require(request.user, access.VIEW_IDENTITY)
    members = list(search.members.select_related("person"))
    audit_record(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type="plans.search",
        object_id=search.pk,
        summary=f"Viewed the committee of {search}",
        person_ids=[m.person_id for m in members],
        request=request,
    )
    form = MemberForm(request.POST or None)
    if request.method == "POST":
        _writer(request)
        if form.is_valid():
            try:
                services.search_member_add(
                    search=search,
                    person=form.cleaned_data["person"],
                    role=form.cleaned_data["role"],
                    user=request.user,
                )
            except services.PlanError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The member was added."))
                return redirect("plans:search", search.pk)
    return render(
        request,
        "plans/search.html",
        _ctx(
            search=search,
            members=members,
            checklist=search.checklist.select_related("done_by"),
            form=form,
            can_write=can_write(request.user),
        ),
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@access.login_required
def checklist_toggle(request: HttpRequest, item_id: int) -> HttpResponse:
    item = ChecklistItem.objects.select_related("search").filter(pk=item_id).first()
    if item is None or not access.can(request.user, access.VIEW_AGGREGATES):
        raise Http404
    _writer(request)
    services.checklist_item_set(
        item=item,
        done=request.POST.get("done") == "1",
        user=request.user,
        note=request.POST.get("note", ""),
    )
    return redirect("plans:search", item.search_id)


# ------------------------------------------------------------------------------ checklist templates


@access.permission_required(access.PLANS_WRITE)
def checklist_templates(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "plans/checklist_templates.html",
        _ctx(templates=ChecklistTemplate.objects.order_by("name")),
    )


@access.permission_required(access.PLANS_WRITE)
def checklist_template_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    """Create or edit a template. Searches copied its items when they were created, so
    saving it never changes a search's checklist (or its completion history)."""
    template = (
        get_object_or_404(ChecklistTemplate, pk=template_id)
        if template_id is not None
        else ChecklistTemplate()
    )
    form = ChecklistTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("The checklist %(name)s was saved.") % {"name": saved.name})
        return redirect("plans:checklist_templates")
    title = _("New checklist") if template_id is None else _("Edit checklist")
    return render(
        request,
        "plans/checklist_template_form.html",
        _ctx(form=form, title=title, template=template),
        status=400 if request.method == "POST" else 200,
    )
