"""Forms: the survey settings, the instrument, the respondent's form, codes, imports,
benchmarks and action items."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ristra.analytics.surveys import Instrument, InstrumentError, instrument_load
from ristra.surveys.models import ActionItem, Survey
from ristra.surveys.services import Answers

MAX_UPLOAD = 20 * 1024 * 1024


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = [
            "title",
            "wave",
            "mode",
            "opens_on",
            "closes_on",
            "require_code",
            "min_group",
            "min_comments",
            "filter_split",
        ]
        widgets = {
            "opens_on": forms.DateInput(attrs={"type": "date"}),
            "closes_on": forms.DateInput(attrs={"type": "date"}),
        }


class InstrumentForm(forms.Form):
    text = forms.CharField(
        label=_("Instrument (YAML or JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}),
        help_text=_("Sections, items, factors, clusters, reverse coding and the scale."),
    )
    upload = forms.FileField(label=_("…or upload a file"), required=False)
    fmt = forms.ChoiceField(
        label=_("Format"), choices=[("yaml", "YAML"), ("json", "JSON")], initial="yaml"
    )

    instrument: Instrument | None = None

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        upload = data.get("upload")
        text = data.get("text") or ""
        if upload is not None:
            if upload.size > MAX_UPLOAD:
                raise forms.ValidationError(_("The file is larger than 20 MB."))
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
            if upload.name.lower().endswith(".json"):
                data["fmt"] = "json"
        if not text.strip():
            raise forms.ValidationError(_("Paste an instrument or upload a file."))
        try:
            self.instrument = instrument_load(text, fmt=data.get("fmt") or "yaml")
        except InstrumentError as error:
            for message in error.messages:
                self.add_error(None, message)
            return data
        data["text"] = text
        return data


class ResponseForm(forms.Form):
    """The respondent's form, built from the instrument. Every question may be skipped."""

    def __init__(self, *args: Any, instrument: Instrument, need_code: bool = False, **kw: Any):
        super().__init__(*args, **kw)
        self.instrument = instrument
        if need_code:
            self.fields["code"] = forms.CharField(
                label=_("Your one-time code"), max_length=20, required=True
            )
        for item in instrument.items:
            name = f"q_{item.key}"
            if item.kind == "likert":
                scale = instrument.scales[item.scale or ""]
                self.fields[name] = forms.TypedChoiceField(
                    label=item.text,
                    choices=[(str(v), label) for v, label in scale.pairs()],
                    coerce=int,
                    empty_value=None,
                    required=False,
                    widget=forms.RadioSelect,
                )
            elif item.kind in ("choice", "demographic"):
                self.fields[name] = forms.ChoiceField(
                    label=item.text,
                    choices=[(o, o) for o in item.options],
                    required=False,
                    widget=forms.RadioSelect,
                )
            elif item.kind == "multi":
                self.fields[name] = forms.MultipleChoiceField(
                    label=item.text,
                    choices=[(o, o) for o in item.options],
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
            else:
                self.fields[name] = forms.CharField(
                    label=item.text,
                    required=False,
                    max_length=4000,
                    widget=forms.Textarea(attrs={"rows": 4}),
                )

    def sections(self) -> list[tuple[str, list[Any]]]:
        return [
            (title, [self[f"q_{key}"] for key in keys if f"q_{key}" in self.fields])
            for title, keys in self.instrument.sections
        ]

    def answers(self) -> Answers:
        answers: dict[str, Any] = {}
        demographics: dict[str, str] = {}
        for item in self.instrument.items:
            value = self.cleaned_data.get(f"q_{item.key}")
            if value in (None, "", []):
                continue
            if item.kind == "demographic":
                demographics[item.key] = str(value)
            elif item.kind == "text":
                answers[item.key] = str(value).strip()
            else:
                answers[item.key] = value
        return Answers(answers, demographics)


class CodesForm(forms.Form):
    n = forms.IntegerField(label=_("How many codes"), min_value=1, max_value=5000, initial=100)


class ImportForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Exported from"), choices=[("qualtrics", "Qualtrics"), ("redcap", "REDCap")]
    )
    upload = forms.FileField(label=_("Export file (CSV)"))

    def clean_upload(self) -> Any:
        upload = self.cleaned_data["upload"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


class BenchmarkForm(forms.Form):
    label = forms.CharField(label=_("Benchmark name"), max_length=200)
    upload = forms.FileField(
        label=_("Benchmark file (CSV: level, key, mean, pct_favourable)"),
    )


class ActionItemForm(forms.ModelForm):
    class Meta:
        model = ActionItem
        fields = ["kind", "finding", "action", "owner", "due_on", "status"]
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ristra.accounts.models import User

        owner: Any = self.fields["owner"]
        owner.queryset = User.objects.filter(is_active=True).exclude(role="")
