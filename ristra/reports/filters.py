"""The filter form shared by dashboards and reports (GET parameters -> Filters)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ristra.reports import dashboards as d

MIN_YEAR, MAX_YEAR = 1990, 2100


class FilterForm(forms.Form):
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "usa-input"}),
        help_text=_("Headcounts and shares are counted on this date."),
    )
    first_year = forms.IntegerField(
        label=_("First academic year"),
        required=False,
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        widget=forms.NumberInput(attrs={"class": "usa-input usa-input--small"}),
    )
    last_year = forms.IntegerField(
        label=_("Last academic year"),
        required=False,
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        widget=forms.NumberInput(attrs={"class": "usa-input usa-input--small"}),
    )
    dimension = forms.ChoiceField(
        label=_("Count by"), required=False, widget=forms.Select(attrs={"class": "usa-select"})
    )
    unit = forms.ChoiceField(
        label=_("Unit"), required=False, widget=forms.Select(attrs={"class": "usa-select"})
    )
    version = forms.ChoiceField(
        label=_("Category definitions"),
        required=False,
        widget=forms.Select(attrs={"class": "usa-select"}),
        help_text=_("Which version of the school's categories to apply."),
    )

    def __init__(
        self,
        data: Any,
        *,
        population: str,
        source: d.SnapshotSource | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.population = population
        self.source = source
        self._choices("dimension", d.dimension_choices(source, population))
        units = d.unit_choices(source, population) if source is not None else []
        names = d.unit_names()
        self._choices("unit", [("", _("All units"))] + [(u, names.get(u, u)) for u in units])
        from ristra.reports.models import Category

        versions = Category.objects.version_dates()
        self._choices(
            "version",
            [("", _("Current definitions"))]
            + [
                (v.isoformat(), _("In effect on %(date)s") % {"date": v.isoformat()})
                for v in versions
            ],
        )
        if not d.POPULATIONS[population].by_unit:
            del self.fields["unit"]
        defaults = d.default_filters(population, snapshot=source)
        self.initial = {
            "as_of": defaults.as_of,
            "first_year": defaults.first_year,
            "last_year": defaults.last_year,
            "dimension": defaults.dimension,
            **self.initial,
        }

    def _choices(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("first_year"), cleaned.get("last_year")
        if first and last and first > last:
            self.add_error("first_year", _("The first year must not be after the last year."))
        if first and last and last - first > 30:
            self.add_error("first_year", _("Choose at most 30 academic years."))
        return cleaned

    def filters(self) -> d.Filters:
        """The filters asked for, the defaults for anything not given."""
        base = d.default_filters(self.population, snapshot=self.source)
        data = self.cleaned_data if self.is_valid() else {}
        version = data.get("version") or ""
        changes: dict[str, Any] = {}
        if data.get("as_of"):
            changes["as_of"] = data["as_of"]
        if data.get("first_year"):
            changes["first_year"] = data["first_year"]
        if data.get("last_year"):
            changes["last_year"] = data["last_year"]
        if "first_year" not in changes and "last_year" in changes:
            changes["first_year"] = changes["last_year"] - 9
        if "last_year" not in changes and "first_year" in changes:
            changes["last_year"] = min(changes["first_year"] + 9, base.last_year)
        if data.get("dimension"):
            changes["dimension"] = data["dimension"]
        if data.get("unit"):
            changes["unit"] = data["unit"]
        if version:
            changes["version"] = dt.date.fromisoformat(version)
        changes["min_cell"] = settings.RISTRA_MIN_CELL
        return d.with_filters(base, **changes)
