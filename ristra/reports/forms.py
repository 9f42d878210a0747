"""Forms for what the office defines once: category versions and benchmark files."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ristra.analytics.categories import RuleError, parse_rule
from ristra.reports.models import Category

#: Benchmark files are small tables of published counts; anything bigger is a mistake.
BENCHMARK_MAX_MB = 20
BENCHMARK_EXTENSIONS = (".csv", ".xlsx")


class CategoryMode:
    """What the category form is doing (it decides which fields may change)."""

    NEW = "new"  # a new key, or a new population of an existing key
    VERSION = "version"  # a new version of an existing key and population
    EDIT = "edit"  # a version that has not taken effect yet


class CategoryForm(forms.ModelForm):  # type: ignore[type-arg]
    """One category version.  The rule is parsed here, so the page says what is wrong.

    ``previous``: the version this one follows (new versions and edits); its start date
    bounds this one's.  Dates that would change which rule applied on a day already past
    are refused, so that reports for that day stay reproducible.
    """

    rule_error: RuleError | None = None

    class Meta:
        model = Category
        fields = ["key", "label", "population", "rule_text", "description", "effective_from"]
        widgets = {
            "rule_text": forms.Textarea(
                attrs={"rows": 8, "class": "usa-textarea ristra-code", "spellcheck": "false"}
            ),
            "description": forms.Textarea(attrs={"rows": 3, "class": "usa-textarea"}),
            "effective_from": forms.DateInput(attrs={"type": "date", "class": "usa-input"}),
            "key": forms.TextInput(attrs={"class": "usa-input", "autocomplete": "off"}),
            "label": forms.TextInput(attrs={"class": "usa-input"}),
            "population": forms.Select(attrs={"class": "usa-select"}),
        }
        help_texts = {
            "rule_text": _(
                'For example: state == "NM" and county_fips not in ("35001", "35043"). '
                "The guide on defining categories lists every answer a rule can use."
            ),
            "effective_from": _(
                "The first day this version applies. A new version ends the one before it "
                "the day before."
            ),
        }

    def __init__(
        self,
        *args: Any,
        mode: str = CategoryMode.NEW,
        previous: Category | None = None,
        today: dt.date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.mode = mode
        self.previous = previous
        self.today = today or timezone.localdate()
        if mode != CategoryMode.NEW:
            for name in ("key", "population"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Fixed for a version: add a new category to change it."
                )

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        return key.strip().lower()

    def clean_rule_text(self) -> str:
        text: str = self.cleaned_data["rule_text"]
        self.rule_error = None
        try:
            parse_rule(text)
        except RuleError as error:
            self.rule_error = error
            raise forms.ValidationError(
                _("The rule cannot be used: %(message)s"),
                code="rule",
                params={"message": error.message},
            ) from None
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: dt.date | None = data.get("effective_from")
        key, population = data.get("key"), data.get("population")
        if start is None or not key or not population:
            return data
        if self.mode == CategoryMode.NEW:
            if Category.objects.filter(key=key, population=population).exists():
                self.add_error(
                    "key",
                    _(
                        "This category already has a version for this population: "
                        "add a new version to it instead."
                    ),
                )
            elif start < self.today and Category.objects.filter(key=key).exists():
                self.add_error(
                    "effective_from",
                    _(
                        "Another population's version of this category already applied "
                        "before today; a version for a new population may start today at "
                        "the earliest, so that earlier reports stay as they were."
                    ),
                )
            return data
        if self.mode == CategoryMode.EDIT and start <= self.today:
            self.add_error(
                "effective_from",
                _("A version you edit must still start after today."),
            )
        elif self.mode == CategoryMode.VERSION and start < self.today:
            self.add_error(
                "effective_from",
                _(
                    "A new version may start today at the earliest: versions that "
                    "already applied stay as they were, so that earlier reports can be "
                    "reproduced."
                ),
            )
        if self.previous is not None and start <= self.previous.effective_from:
            self.add_error(
                "effective_from",
                _("Start after the version before it (in effect from %(date)s).")
                % {"date": self.previous.effective_from.isoformat()},
            )
        return data


class BenchmarkForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV or XLSX, one row per count: geography, year, age_band, sex, dimension, "
            "group, count (and optionally exclusive)."
        ),
        widget=forms.ClearableFileInput(
            attrs={"class": "usa-file-input", "accept": ".csv,.xlsx,text/csv"}
        ),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("For example: New Mexico population 2020."),
        widget=forms.TextInput(attrs={"class": "usa-input"}),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=300,
        help_text=_("Who published the numbers, in which table."),
        widget=forms.TextInput(attrs={"class": "usa-input"}),
    )
    citation = forms.CharField(
        label=_("Citation"),
        help_text=_("As you would write it in a report."),
        widget=forms.Textarea(attrs={"rows": 3, "class": "usa-textarea"}),
    )
    url = forms.URLField(
        label=_("Web address"),
        required=False,
        assume_scheme="https",
        help_text=_("Optional: where the table can be found."),
        widget=forms.URLInput(attrs={"class": "usa-input"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith(BENCHMARK_EXTENSIONS):
            raise forms.ValidationError(_("Upload a CSV or XLSX file."))
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        if upload.size > BENCHMARK_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("A benchmark file may be at most %(mb)s MB.") % {"mb": BENCHMARK_MAX_MB}
            )
        return upload
