"""Survey screens: the analyst's (list, settings and instrument, preview, invitations,
codes, imports, benchmark, action items, results) and the respondent's (the form behind an
anonymous link or a personal invitation link; no sign-in)."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ristra.accounts import access
from ristra.audit.models import Action
from ristra.audit.services import audit_record
from ristra.reports.render import FORMATS
from ristra.reports.render import render as render_report
from ristra.surveys import builder, selectors, services
from ristra.surveys import results as survey_results
from ristra.surveys.access import (
    can_manage,
    can_see_breakdowns,
    get_survey_for_link,
    get_survey_for_manager,
    get_survey_for_results,
    visible_surveys,
)
from ristra.surveys.forms import (
    ActionItemForm,
    BenchmarkForm,
    BuilderDetailsForm,
    BuilderItemForm,
    BuilderLabelsForm,
    BuilderScaleForm,
    BuilderSectionForm,
    CodesForm,
    ImportForm,
    InstrumentForm,
    ResponseForm,
    SurveyForm,
)
from ristra.surveys.models import UNIT_KEY, ActionItem, Mode, ResponseImport, Status

MANAGE = access.SURVEYS_MANAGE
#: Anonymous-link submissions allowed per address and survey per hour.
RATE_LIMIT = getattr(settings, "RISTRA_SURVEY_RATE_LIMIT", 20)


def _ctx(**extra: Any) -> dict[str, Any]:
    return {"section": "surveys", **extra}


# --- analyst screens ------------------------------------------------------------------


@access.login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "surveys/home.html",
        _ctx(surveys=visible_surveys(request.user), can_manage=can_manage(request.user)),
    )


@access.permission_required(MANAGE)
def survey_new(request: HttpRequest) -> HttpResponse:
    form = SurveyForm(request.POST or None, prefix="s")
    instrument_form = InstrumentForm(request.POST or None, request.FILES or None, prefix="i")
    valid = request.method == "POST" and form.is_valid() and instrument_form.is_valid()
    split = form.cleaned_data.get("filter_split", "") if valid else ""
    if (
        valid
        and form.cleaned_data.get("carry_unit")
        and form.cleaned_data["mode"] != Mode.INVITATIONS
    ):
        form.add_error(
            "carry_unit",
            _(
                "Only personal invitations know the respondent's unit: choose personal "
                "invitations or leave this off."
            ),
        )
        valid = False
    if valid and split and instrument_form.instrument is not None:
        demographics = [i.key for i in instrument_form.instrument.items if i.kind == "demographic"]
        if form.cleaned_data.get("carry_unit"):
            demographics.append(UNIT_KEY)
        if split not in demographics:
            form.add_error(
                "filter_split",
                _("“%(key)s” is not a demographic question of the instrument (%(keys)s).")
                % {"key": split, "keys": ", ".join(demographics) or _("it has none")},
            )
            valid = False
    if valid:
        survey = services.survey_create(
            instrument_text=instrument_form.cleaned_data["text"],
            instrument_format=instrument_form.cleaned_data["fmt"],
            created_by=request.user,
            **form.cleaned_data,
        )
        messages.success(request, _("Survey created. Preview it before opening it."))
        return redirect("surveys:detail", survey.pk)
    if request.method == "GET":
        from importlib import resources

        from ristra.analytics.surveys import EXAMPLE_INSTRUMENT

        instrument_form.initial["text"] = (
            resources.files("ristra.analytics.data").joinpath(EXAMPLE_INSTRUMENT).read_text()
        )
    return render(
        request, "surveys/survey_form.html", _ctx(form=form, instrument_form=instrument_form)
    )


@access.permission_required(MANAGE)
def survey_detail(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_survey_for_manager(request.user, survey_id)
    invitations = survey.invitations
    return render(
        request,
        "surveys/detail.html",
        _ctx(
            survey=survey,
            instrument=survey.instrument,
            responses=survey.responses.count(),
            invited=invitations.count(),
            responded=invitations.filter(responded=True).count(),
            codes_total=survey.codes.count(),
            codes_spent=survey.codes.filter(spent=True).count(),
            imports=survey.imports.all()[:20],
            actions=survey.actions.select_related("owner"),
            link=request.build_absolute_uri(
                reverse("surveys:respond_link", args=[survey.link_key])
            ),
            codes_form=CodesForm(),
            import_form=ImportForm(),
            benchmark_form=BenchmarkForm(),
            statuses=Status,
            Mode=Mode,
        ),
    )


@access.permission_required(MANAGE)
def instrument_edit(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_survey_for_manager(request.user, survey_id)
    locked = survey.responses.exists()
    form = InstrumentForm(
        request.POST or None,
        request.FILES or None,
        initial={"text": survey.instrument_text, "fmt": survey.instrument_format},
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = form.instrument
        else:
            try:
                services.survey_set_instrument(
                    survey=survey, text=form.cleaned_data["text"], fmt=form.cleaned_data["fmt"]
                )
            except services.InstrumentChangeRefused as refused:
                form.add_error(None, _("Responses exist, so this change would break them:"))
                for problem in refused.problems:
                    form.add_error(None, problem)
                preview = form.instrument
            except services.SubmissionRefused as refused:
                form.add_error(None, str(refused))
                preview = form.instrument
            else:
                messages.success(request, _("Instrument saved."))
                return redirect("surveys:detail", survey.pk)
    return render(
        request,
        "surveys/instrument.html",
        _ctx(survey=survey, form=form, locked=locked, preview=preview),
    )


# --- the instrument builder: the same instrument, one form per item -------------------
#: Removing an item or a section goes through its confirmation page
#: (``builder_item_remove``, ``builder_section_remove``).
BUILDER_ACTIONS = ("up", "down", "section_up", "section_down")


@access.permission_required(MANAGE)
def instrument_builder(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Sections and items in order, with buttons to move them and links to edit, remove
    (after confirming) and add them."""
    survey = get_survey_for_manager(request.user, survey_id)
    document = builder.document_of(survey)
    problems: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        key = request.POST.get("key", "")
        try:
            index = int(request.POST.get("section", ""))
        except ValueError:
            index = -1
        done = False
        if action in ("up", "down"):
            done = builder.item_move(document, key, -1 if action == "up" else 1)
        elif action in ("section_up", "section_down"):
            done = builder.section_move(document, index, -1 if action == "section_up" else 1)
        if action not in BUILDER_ACTIONS:
            problems = [_("Unknown action.")]
        elif not done:
            problems = [_("That item or section cannot move further, or no longer exists.")]
        else:
            problems = builder.document_save(survey=survey, document=document)
            if not problems:
                messages.success(request, _("Instrument saved."))
                return redirect("surveys:builder", survey.pk)
            document = builder.document_of(survey)
    summary = forms.Form(data={})
    summary.is_valid()
    for problem in problems:
        summary.add_error(None, problem)
    return render(
        request,
        "surveys/builder.html",
        _ctx(
            survey=survey,
            document=document,
            locked=survey.responses.exists(),
            form=summary,
        ),
        status=400 if problems else 200,
    )


def _refused(form: Any, problems: list[str]) -> None:
    for problem in problems:
        form.add_error(None, problem)


def _builder_save(
    request: HttpRequest,
    survey: Any,
    document: dict[str, Any],
    form: Any,
    apply: Callable[[dict[str, Any]], None],
    heading: str,
) -> HttpResponse:
    """One builder form: on a valid POST apply it to the instrument and save it through the
    parser and the breaking-change rule (their problems go back onto the form); else show it.
    """
    if request.method == "POST" and form.is_valid():
        apply(document)
        problems = builder.document_save(survey=survey, document=document)
        if not problems:
            messages.success(request, _("Instrument saved."))
            return redirect("surveys:builder", survey.pk)
        _refused(form, problems)
    return render(
        request,
        "surveys/builder_form.html",
        _ctx(survey=survey, form=form, heading=heading, locked=survey.responses.exists()),
        status=400 if form.errors else 200,
    )


@access.permission_required(MANAGE)
def builder_item(request: HttpRequest, survey_id: int, key: str | None = None) -> HttpResponse:
    """Add an item (``?section=N`` picks the section) or edit the item ``key``."""
    survey = get_survey_for_manager(request.user, survey_id)
    document = builder.document_of(survey)
    initial: dict[str, Any] = {}
    if key is not None:
        where = builder.find_item(document, key)
        if where is None:
            raise Http404
        s, i = where
        initial = BuilderItemForm.initial_for(document, document["sections"][s]["items"][i])
    else:
        initial = {"section": request.GET.get("section", "0"), "kind": "likert"}
    form = BuilderItemForm(request.POST or None, document=document, old_key=key, initial=initial)
    return _builder_save(
        request,
        survey,
        document,
        form,
        form.apply,
        _("Edit item “%(key)s”") % {"key": key} if key else _("Add an item"),
    )


def _builder_remove(
    request: HttpRequest,
    survey: Any,
    document: dict[str, Any],
    *,
    keys: list[str],
    remove: Callable[[dict[str, Any]], object],
    done: str,
    context: dict[str, Any],
    stale: str = "",
) -> HttpResponse:
    """One removal confirmation page (an item, or a section with its items): GET names what
    would go, with Remove and Cancel; only a POST removes it, saving through the parser and
    the breaking-change rule, whose refusals are shown in the error summary. ``stale``, when
    given, refuses the POST instead (what the page showed has changed since)."""
    form = forms.Form(data={})
    form.is_valid()
    if request.method == "POST":
        if stale:
            form.add_error(None, stale)
        else:
            changed = copy.deepcopy(document)
            remove(changed)
            problems = builder.document_save(survey=survey, document=changed)
            if not problems:
                messages.success(request, done)
                return redirect("surveys:builder", survey.pk)
            _refused(form, problems)
    factors, clusters = builder.left_empty(document, set(keys))
    return render(
        request,
        "surveys/builder_remove.html",
        _ctx(
            survey=survey,
            empty_factors=[(k, document["factors"][k]["label"]) for k in factors],
            empty_clusters=[(k, document["clusters"][k]) for k in clusters],
            locked=survey.responses.exists(),
            form=form,
            **context,
        ),
        status=400 if form.errors else 200,
    )


@access.permission_required(MANAGE)
def builder_item_remove(request: HttpRequest, survey_id: int, key: str) -> HttpResponse:
    """Remove an item after confirming (``_builder_remove``)."""
    survey = get_survey_for_manager(request.user, survey_id)
    document = builder.document_of(survey)
    where = builder.find_item(document, key)
    if where is None:
        raise Http404
    s, i = where
    item = document["sections"][s]["items"][i]
    factor = item.get("factor")
    return _builder_remove(
        request,
        survey,
        document,
        keys=[key],
        remove=lambda document: builder.item_remove(document, key),
        done=_("Item “%(key)s” removed.") % {"key": key},
        context={
            "item": item,
            "heading": _("Remove item “%(key)s”?") % {"key": key},
            "section_title": document["sections"][s]["title"],
            "factor_label": document["factors"].get(factor, {}).get("label", "") if factor else "",
        },
    )


@access.permission_required(MANAGE)
def builder_section_remove(request: HttpRequest, survey_id: int, index: int) -> HttpResponse:
    """Remove a section and its items after confirming (``_builder_remove``). Sections are
    addressed by position, so the page posts the keys it listed: if the section at that
    position no longer holds them (moved or edited meanwhile), nothing is removed and the
    page shows what it holds now."""
    survey = get_survey_for_manager(request.user, survey_id)
    document = builder.document_of(survey)
    if not 0 <= index < len(document["sections"]):
        raise Http404
    section = document["sections"][index]
    keys = [item["key"] for item in section["items"]]
    n = index + 1
    stale = ""
    if request.method == "POST" and request.POST.get("items", "").split() != keys:
        stale = _(
            "Section %(n)d has changed since the page was shown: check what it holds now "
            "and confirm again."
        ) % {"n": n}
    title = section["title"]
    return _builder_remove(
        request,
        survey,
        document,
        keys=keys,
        remove=lambda document: builder.section_remove(document, index),
        done=_("Section %(n)d removed with its items.") % {"n": n},
        stale=stale,
        context={
            "section_items": [
                (item, document["factors"].get(item.get("factor"), {}).get("label", ""))
                for item in section["items"]
            ],
            "section_number": n,
            "section_title": title,
            "section_keys": " ".join(keys),
            "heading": (
                _("Remove section %(n)d, “%(title)s”?") % {"n": n, "title": title}
                if title
                else _("Remove section %(n)d?") % {"n": n}
            ),
        },
    )


@access.permission_required(MANAGE)
def builder_details(request: HttpRequest, survey_id: int) -> HttpResponse:
    """The instrument's key, title and version. The key can change only until the first
    response: year-over-year change and the indicators follow it (the breaking-change rule
    refuses it after that, with the reason)."""
    survey = get_survey_for_manager(request.user, survey_id)
    document = builder.document_of(survey)
    form = BuilderDetailsForm(
        request.POST or None,
        initial={k: document[k] for k in ("key", "title", "version")},
    )

    def apply(document: dict[str, Any]) -> None:
        document["key"] = form.cleaned_data["key"]
        document["title"] = form.cleaned_data["title"].strip()
        document["version"] = form.cleaned_data["version"].strip()

    return _builder_save(request, survey, document, form, apply, _("Key, title and version"))


@access.permission_required(MANAGE)
def builder_labels(request: HttpRequest, survey_id: int) -> HttpResponse:
    """The labels of the factors and clusters (results and exports show them)."""
    survey = get_survey_for_manager(request.user, survey_id)
    document = builder.document_of(survey)
    form = BuilderLabelsForm(request.POST or None, document=document)
    return _builder_save(
        request, survey, document, form, form.apply, _("Factor and cluster labels")
    )


@access.permission_required(MANAGE)
def builder_section(request: HttpRequest, survey_id: int, index: int) -> HttpResponse:
    """Rename a section (a section is added with its first item)."""
    survey = get_survey_for_manager(request.user, survey_id)
    document = builder.document_of(survey)
    if not 0 <= index < len(document["sections"]):
        raise Http404
    form = BuilderSectionForm(
        request.POST or None, initial={"title": document["sections"][index]["title"]}
    )

    def apply(document: dict[str, Any]) -> None:
        document["sections"][index]["title"] = form.cleaned_data["title"].strip()

    heading = _("Rename section %(n)d") % {"n": index + 1}
    return _builder_save(request, survey, document, form, apply, heading)


@access.permission_required(MANAGE)
def builder_scale(request: HttpRequest, survey_id: int, key: str | None = None) -> HttpResponse:
    """Edit a response scale and its favourable values, or add a scale."""
    survey = get_survey_for_manager(request.user, survey_id)
    document = builder.document_of(survey)
    initial: dict[str, Any] = {}
    if key is not None:
        if key not in document["scales"]:
            raise Http404
        initial = BuilderScaleForm.initial_for(document["scales"][key])
    form = BuilderScaleForm(request.POST or None, document=document, old_key=key, initial=initial)
    return _builder_save(
        request,
        survey,
        document,
        form,
        form.apply,
        _("Scale “%(key)s”") % {"key": key} if key else _("Add a scale"),
    )


@access.permission_required(MANAGE)
def preview(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_survey_for_manager(request.user, survey_id)
    form = ResponseForm(instrument=survey.instrument, need_code=survey.require_code)
    return render(
        request,
        "surveys/respond.html",
        _ctx(survey=survey, form=form, preview=True, action=""),
    )


@require_POST
@access.permission_required(MANAGE)
def survey_status(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_survey_for_manager(request.user, survey_id)
    action = request.POST.get("action", "")
    if action in Status.values:
        services.survey_set_status(survey=survey, status=action)
    elif action in ("publish", "unpublish"):
        survey.published = action == "publish"
        survey.save(update_fields=["published"])
    messages.success(request, _("Survey updated."))
    return redirect("surveys:detail", survey.pk)


@require_POST
@access.permission_required(MANAGE)
def invite(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_survey_for_manager(request.user, survey_id)
    if survey.mode != Mode.INVITATIONS:
        raise Http404
    kinds = [k for k in request.POST.getlist("population") if k in selectors.POPULATIONS]
    people = selectors.population_on(kinds=kinds or None)
    created = services.invitations_create(survey=survey, people=people)
    audit_record(
        actor=request.user,
        action=Action.CREATE,
        object_type="survey_invitations",
        object_id=survey.pk,
        summary=f"Invited {len(created)} people to survey {survey.pk}",
        person_ids=[i.person_id for i in created],
        request=request,
    )
    if survey.status == Status.OPEN:
        from ristra.surveys.tasks import invitations_send_task

        invitations_send_task.enqueue(survey.pk)
    messages.success(
        request,
        _("%(n)d people invited. Invitations are sent when the survey is open.")
        % {"n": len(created)},
    )
    return redirect("surveys:detail", survey.pk)


@access.permission_required(MANAGE)
def codes(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_survey_for_manager(request.user, survey_id)
    form = CodesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        new = services.codes_generate(survey=survey, n=form.cleaned_data["n"])
        content = "\n".join(new) + "\n"
        response = HttpResponse(content, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-codes.txt"'
        return response
    return redirect("surveys:detail", survey.pk)


@access.permission_required(MANAGE)
def import_responses(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_survey_for_manager(request.user, survey_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["upload"]
        batch = services.responses_import(
            survey=survey,
            data=upload.read(),
            filename=upload.name,
            source=form.cleaned_data["source"],
            user=request.user,
        )
        return redirect("surveys:import_detail", survey.pk, batch.pk)
    return render(request, "surveys/import.html", _ctx(survey=survey, form=form))


@access.permission_required(MANAGE)
def import_detail(request: HttpRequest, survey_id: int, batch_id: int) -> HttpResponse:
    survey = get_survey_for_manager(request.user, survey_id)
    batch = get_object_or_404(ResponseImport, pk=batch_id, survey=survey)
    rejected = batch.rows.filter(fate="rejected")[:500]
    return render(
        request,
        "surveys/import_detail.html",
        _ctx(survey=survey, batch=batch, rejected=rejected),
    )


@access.permission_required(MANAGE)
def benchmark(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_survey_for_manager(request.user, survey_id)
    form = BenchmarkForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            text = form.cleaned_data["upload"].read().decode("utf-8-sig")
            survey_results.benchmark_parse(text, survey.instrument)
        except UnicodeDecodeError:
            error = _("The file is not UTF-8 text.")
        except survey_results.BenchmarkError as problem:
            error = str(problem)
        else:
            survey.benchmark_csv = text
            survey.benchmark_label = form.cleaned_data["label"]
            survey.save(update_fields=["benchmark_csv", "benchmark_label"])
            messages.success(request, _("Benchmark loaded."))
            return redirect("surveys:detail", survey.pk)
    return render(request, "surveys/benchmark.html", _ctx(survey=survey, form=form, error=error))


@access.permission_required(MANAGE)
def action_new(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_survey_for_manager(request.user, survey_id)
    initial = {k: request.GET[k] for k in ("kind", "finding") if k in request.GET}
    form = ActionItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.action_create(
            survey=survey,
            **{k: form.cleaned_data[k] for k in ("kind", "finding", "action", "owner", "due_on")},
        )
        messages.success(request, _("Action item added."))
        return redirect("surveys:detail", survey.pk)
    return render(request, "surveys/action_form.html", _ctx(survey=survey, form=form))


@access.permission_required(MANAGE)
def action_edit(request: HttpRequest, survey_id: int, action_id: int) -> HttpResponse:
    survey = get_survey_for_manager(request.user, survey_id)
    item = get_object_or_404(ActionItem, pk=action_id, survey=survey)
    form = ActionItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Action item saved."))
        return redirect("surveys:detail", survey.pk)
    return render(request, "surveys/action_form.html", _ctx(survey=survey, form=form, item=item))


@access.login_required
def results(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_survey_for_results(request.user, survey_id)
    breakdowns = can_see_breakdowns(request.user)
    splits = survey_results.splits(survey) if breakdowns else []
    dims = [s.key for s in splits]
    by = request.GET.get("by") or None
    if by is not None and by not in dims:
        by = None
    split_key = survey_results.filter_dim(survey) if breakdowns else None
    split = next((s for s in splits if s.key == split_key), None)
    within = (request.GET.get("within") or None) if split else None
    if within is not None and (split is None or within not in split.options):
        within = None
    report = survey_results.build_report(survey, breakdowns=breakdowns, by=by, within=within)
    fmt = request.GET.get("format", "")
    if fmt:
        if fmt not in FORMATS:
            raise Http404
        content, content_type, ext = render_report(report, fmt)
        audit_record(
            actor=request.user,
            action=Action.EXPORT,
            object_type="survey_results",
            object_id=survey.pk,
            summary=f"Downloaded survey results ({fmt})",
            request=request,
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-results.{ext}"'
        return response
    query = urlencode({k: v for k, v in (("within", within), ("by", by)) if v})
    return render(
        request,
        "surveys/results.html",
        _ctx(
            survey=survey,
            report=report,
            formats=FORMATS,
            query=query,
            dims=[(s.key, s.text) for s in splits],
            by=by,
            split=split,
            split_options=[(o, split.label(o)) for o in split.options] if split else [],
            within=within,
            can_manage=can_manage(request.user),
        ),
    )


# --- respondent screens (no sign-in) --------------------------------------------------


def _rate_limited(request: HttpRequest, survey_id: int) -> bool:
    """Count a submission from this address; True when over the hourly limit.

    Only a keyed hash of the address is used as a cache key, and it expires within the
    hour: the address is never stored with anything.
    """
    address = request.META.get("REMOTE_ADDR", "")
    digest = hashlib.blake2b(
        f"{survey_id}:{address}".encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=16
    ).hexdigest()
    key = f"survey-rate:{digest}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > RATE_LIMIT


def _respond(request: HttpRequest, survey: Any, *, invitation_id: int | None) -> HttpResponse:
    if survey.status != Status.OPEN:
        return render(request, "surveys/closed.html", _ctx(survey=survey), status=410)
    need_code = invitation_id is None and survey.require_code
    form = ResponseForm(request.POST or None, instrument=survey.instrument, need_code=need_code)
    if request.method == "POST" and form.is_valid():
        try:
            if invitation_id is not None:
                services.response_submit_invitation(
                    invitation_id=invitation_id, answers=form.answers()
                )
            else:
                if _rate_limited(request, survey.pk):
                    form.add_error(
                        None,
                        _(
                            "Too many responses have come from your network in the past "
                            "hour. Please try again later."
                        ),
                    )
                    raise services.SubmissionRefused("")
                services.response_submit_link(
                    survey=survey, answers=form.answers(), code=form.cleaned_data.get("code", "")
                )
        except services.SubmissionRefused as refused:
            if str(refused):
                form.add_error(None, str(refused))
        else:
            return redirect("surveys:thanks")
    return render(
        request,
        "surveys/respond.html",
        _ctx(survey=survey, form=form, preview=False, action=request.path),
        status=400 if form.errors else 200,
    )


@never_cache
def respond_link(request: HttpRequest, link_key: str) -> HttpResponse:
    return _respond(request, get_survey_for_link(link_key), invitation_id=None)


@never_cache
def respond_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        raise Http404
    if invitation.responded:
        return render(request, "surveys/already.html", _ctx(survey=invitation.survey), status=409)
    return _respond(request, invitation.survey, invitation_id=invitation.pk)


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/thanks.html", _ctx())
