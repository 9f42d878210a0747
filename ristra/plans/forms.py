"""Forms for plans, indicators, trainings and searches (validation and 400s live here)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ristra.accounts.models import STAFF_ROLES, User
from ristra.people.models import IdSystem, OrgUnit, Person, StageKind
from ristra.plans.models import (
    Action,
    ActionStatus,
    ChecklistTemplate,
    CommitteeRole,
    Goal,
    Indicator,
    Plan,
    RequirementKind,
    Search,
    Training,
    TrainingRequirement,
)
from ristra.plans.services import plan_rollup_problem
from ristra.reports import indicators as registry

DATE = forms.DateInput(attrs={"type": "date"})
#: A checklist item of a search holds at most this many characters.
MAX_ITEM = 300


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = ["title", "unit", "parent", "starts_on", "ends_on", "summary"]
        widgets = {"starts_on": DATE, "ends_on": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = OrgUnit.objects.order_by("name")  # type: ignore[attr-defined]
        parents = Plan.objects.order_by("title")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problem = plan_rollup_problem(plan=self.instance, parent=data.get("parent"))
        if problem:
            self.add_error("parent", problem)
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The plan must end after it starts."))
        return data


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["area", "title", "description", "public"]


class ActionForm(forms.ModelForm):
    class Meta:
        model = Action
        fields = ["title", "owner", "due_on", "status"]
        widgets = {"due_on": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, role__in=STAFF_ROLES
        ).order_by("username")


class ActionUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)
    narrative = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


class IndicatorForm(forms.ModelForm):
    params_text = forms.CharField(
        label=_("Parameters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            'One "name: value" per line, e.g. "population: faculty", "dimension: '
            'school:urim", "group: yes".'
        ),
    )

    class Meta:
        model = Indicator
        fields = [
            "label",
            "measure_key",
            "baseline",
            "baseline_on",
            "target",
            "target_on",
            "public",
        ]
        widgets = {"baseline_on": DATE, "target_on": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(m.key, f"{m.label} ({m.key})") for m in registry.all()]
        current = self.instance.measure_key if self.instance.pk else ""
        if current and current not in {c for c, _label in choices}:
            choices.append((current, _("%(key)s (no longer available)") % {"key": current}))
        self.fields["measure_key"] = forms.ChoiceField(label=_("Measure"), choices=choices)
        if self.instance.pk and not self.is_bound:
            self.fields["params_text"].initial = "\n".join(
                f"{k}: {v}" for k, v in self.instance.params.items()
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw: dict[str, str] = {}
        for number, line in enumerate((data.get("params_text") or "").splitlines(), start=1):
            if not line.strip():
                continue
            if ":" not in line:
                self.add_error(
                    "params_text",
                    _('Line %(n)d is not "name: value".') % {"n": number},
                )
                return data
            name, value = line.split(":", 1)
            raw[name.strip()] = value.strip()
        key = data.get("measure_key")
        if key:
            try:
                data["params"] = registry.get(key).clean_params(raw)
            except registry.UnknownMeasure as exc:
                self.add_error("measure_key", exc.message)
            except registry.MeasureError as exc:
                self.add_error("params_text", exc.message)
        return data

    def save(self, commit: bool = True) -> Indicator:
        self.instance.params = self.cleaned_data.get("params", {})
        return super().save(commit=commit)


class TrainingForm(forms.ModelForm):
    class Meta:
        model = Training
        fields = ["name", "code", "description", "valid_for_days"]


class RequirementForm(forms.ModelForm):
    stage_kind = forms.ChoiceField(
        label=_("Stage"),
        required=False,
        choices=[("", "—"), *[(k, v) for k, v in StageKind.choices]],
    )
    committee_role = forms.ChoiceField(
        label=_("Committee role"),
        required=False,
        choices=[("", _("Every role")), *CommitteeRole.choices],
    )

    class Meta:
        model = TrainingRequirement
        fields = ["kind", "stage_kind", "unit", "due_days", "before", "committee_role"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == RequirementKind.STAGE and not data.get("stage_kind"):
            self.add_error("stage_kind", _("Choose the stage whose holders must complete it."))
        return data


class CompletionUploadForm(forms.Form):
    file = forms.FileField(label=_("Completion export (CSV or XLSX)"))
    id_system = forms.ChoiceField(
        label=_("Identifier in the file"),
        required=False,
        choices=[("", _("Any identifier")), *IdSystem.choices],
    )


class SearchForm(forms.ModelForm):
    template = forms.ModelChoiceField(
        label=_("Checklist"), queryset=ChecklistTemplate.objects.all(), required=False
    )

    class Meta:
        model = Search
        fields = ["position", "unit", "cycle", "opens_on", "closes_on"]
        widgets = {"opens_on": DATE, "closes_on": DATE}


class ChecklistTemplateForm(forms.ModelForm):
    """A checklist template: its name and its items, one per line.

    Searches copy the items when they are created, so saving a template never changes the
    checklist of a search that already exists.
    """

    items_text = forms.CharField(
        label=_("Items"),
        widget=forms.Textarea(attrs={"rows": 10}),
        required=False,
        help_text=_("One item per line. New searches copy these items."),
    )

    class Meta:
        model = ChecklistTemplate
        fields = ["name"]
        error_messages = {"name": {"required": _("Give the checklist a name.")}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["items_text"].initial = "\n".join(str(i) for i in self.instance.items)

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data.get("name") or "").split())
        if not name:
            raise forms.ValidationError(_("Give the checklist a name."))
        taken = ChecklistTemplate.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("There is already a checklist with this name."))
        return name

    def clean_items_text(self) -> list[str]:
        items: list[str] = []
        for line in str(self.cleaned_data.get("items_text") or "").splitlines():
            text = " ".join(line.split())
            if not text or text in items:
                continue
            if len(text) > MAX_ITEM:
                raise forms.ValidationError(
                    _("Each item can have at most %(max)d characters: %(item)s")
                    % {"max": MAX_ITEM, "item": text[:60] + "…"}
                )
            items.append(text)
        if not items:
            raise forms.ValidationError(_("Give at least one item, one per line."))
        return items

    def save(self, commit: bool = True) -> ChecklistTemplate:
        template: ChecklistTemplate = super().save(commit=False)
        template.items = self.cleaned_data["items_text"]
        if commit:
            template.save()
        return template


class MemberForm(forms.Form):
    person = forms.IntegerField(
        label=_("Person number"),
        min_value=1,
        help_text=_("The number on the person's record page."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=CommitteeRole.choices)

    def clean_person(self) -> Person:
        person = Person.objects.filter(pk=self.cleaned_data["person"]).first()
        if person is None:
            raise forms.ValidationError(_("There is no person with this number."))
        return person


def params_json(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)
