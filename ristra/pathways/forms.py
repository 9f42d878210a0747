"""Forms for pathway programs. Validation and 400s live here; services assume clean input."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ristra.pathways.models import Cohort, Partner, PathwayProgram, Session

#: Words that name a protected characteristic: eligibility must not use them (SFFA; the
#: office may state need, geography, school or first-generation status instead).
PROTECTED_TERMS = (
    "race",
    "racial",
    "ethnic",
    "ethnicity",
    "black",
    "white",
    "hispanic",
    "latino",
    "latina",
    "latinx",
    "asian",
    "native american",
    "american indian",
    "pacific islander",
    "african american",
    "urm",
    "underrepresented minorit",
    "minority",
    "minorities",
    "gender",
    "female",
    "male",
    "women",
    "men only",
    "sex",
    "religion",
    "national origin",
)


def protected_terms_in(text: str) -> list[str]:
    lowered = f" {text.lower()} "
    return [t for t in PROTECTED_TERMS if re.search(rf"\b{re.escape(t)}", lowered)]


class ProgramForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = PathwayProgram
        fields = [
            "name",
            "slug",
            "scope",
            "kind",
            "audience",
            "grade_levels",
            "starts_on",
            "ends_on",
            "sessions_planned",
            "stipend",
            "eligibility",
            "description",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, scopes: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if scopes is not None:
            self.fields["scope"].queryset = scopes  # type: ignore[attr-defined]

    def clean_eligibility(self) -> str:
        text = str(self.cleaned_data.get("eligibility") or "")
        found = protected_terms_in(text)
        if found:
            raise forms.ValidationError(
                _(
                    "Eligibility may not name a protected characteristic (found: %(terms)s). "
                    "State need, geography, school, grade or first-generation status instead."
                ),
                params={"terms": ", ".join(found)},
            )
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The last date is before the first."))
        return data


class PartnerForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Partner
        fields = [
            "name",
            "kind",
            "agreement_starts",
            "agreement_ends",
            "contact_name",
            "contact_email",
        ]
        widgets = {
            "agreement_starts": forms.DateInput(attrs={"type": "date"}),
            "agreement_ends": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("agreement_starts"), data.get("agreement_ends")
        if start and end and end < start:
            self.add_error("agreement_ends", _("The agreement ends before it starts."))
        return data


class CohortForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Cohort
        fields = ["year", "starts_on", "ends_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, program: PathwayProgram, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The cohort ends before it starts."))
        year = data.get("year")
        if year and Cohort.objects.filter(program=self.program, year=year).exists():
            self.add_error("year", _("This program already has a cohort for that year."))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Participant file (CSV or XLSX)"),
        help_text=_(
            "Columns: given_name, family_name, former_names, birth_date, email, institution, "
            "aamc_id, partner, consent, status."
        ),
    )


class SessionForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Session
        fields = ["held_on", "title"]
        widgets = {"held_on": forms.DateInput(attrs={"type": "date"})}


class ClearinghouseRequestForm(forms.Form):
    school_code = forms.RegexField(
        regex=r"^\d{6}$", label=_("School code (6-digit OPEID)"), max_length=6
    )
    branch_code = forms.RegexField(
        regex=r"^\d{2}$", label=_("Branch code"), initial="00", max_length=2
    )
    school_name = forms.CharField(label=_("School name"), max_length=40)
    inquiry_type = forms.ChoiceField(
        label=_("Inquiry"),
        choices=[
            ("CO", _("Longitudinal cohort (CO)")),
            ("SE", _("Subsequent enrollment (SE)")),
            ("PA", _("Prior attendance (PA)")),
            ("DA", _("Declined admission (DA)")),
        ],
    )


class ReturnFileForm(forms.Form):
    file = forms.FileField(label=_("StudentTracker detail report (CSV)"))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("same", _("Same person")), ("different", _("Different people"))]
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class SelfUpdateForm(forms.Form):
    given_name = forms.CharField(label=_("Given name"), max_length=120)
    family_name = forms.CharField(label=_("Family name"), max_length=120)
    former_names = forms.CharField(
        label=_("Former names (separate with ;)"), max_length=300, required=False
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    institution = forms.CharField(label=_("High school or college"), max_length=200, required=False)
    consent_follow_up = forms.BooleanField(
        label=_("The program may follow my education and career to improve the program"),
        required=False,
    )
