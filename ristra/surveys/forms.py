"""Forms: the survey settings, the instrument, the respondent's form, codes, imports,
benchmarks and action items."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ristra.analytics.surveys import KEY_PATTERN, Instrument, InstrumentError, instrument_load
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
            "carry_unit",
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


# --------------------------------------------------------------------- instrument builder
NEW = "__new__"
KIND_CHOICES = [
    ("likert", _("Likert statement (answered on a scale)")),
    ("choice", _("Single choice")),
    ("multi", _("Multiple choice")),
    ("text", _("Free text")),
    ("demographic", _("Demographic question")),
]


def _key_problem(value: str) -> str | None:
    if not KEY_PATTERN.match(value):
        return str(
            _(
                "Use a letter first, then letters, digits or underscores (at most 63), "
                "for example “con1”."
            )
        )
    return None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class BuilderItemForm(forms.Form):
    """One item of the instrument, with its factor and the factor's cluster."""

    section = forms.ChoiceField(label=_("Section"))
    new_section_title = forms.CharField(
        label=_("Title of the new section"),
        required=False,
        max_length=300,
        help_text=_("Only when the item starts a new section."),
    )
    key = forms.CharField(
        label=_("Key"),
        max_length=63,
        help_text=_("Unique; the column name in results and exports. Keep it from year to year."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES, initial="likert")
    text = forms.CharField(
        label=_("Text"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The statement or question as respondents see it."),
    )
    options = forms.CharField(
        label=_("Options (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("For single choice, multiple choice and demographic questions."),
    )
    category = forms.CharField(
        label=_("School category it reuses"),
        required=False,
        max_length=63,
        help_text=_(
            "Demographic questions only, optional: the key of a school category whose "
            "groups the answers use, for example “role” or “gender”."
        ),
    )
    scale = forms.ChoiceField(label=_("Scale"), required=False, help_text=_("Likert only."))
    factor = forms.ChoiceField(
        label=_("Factor"), required=False, help_text=_("Likert only, optional.")
    )
    new_factor_key = forms.CharField(label=_("New factor: key"), required=False, max_length=63)
    new_factor_label = forms.CharField(label=_("New factor: label"), required=False, max_length=300)
    cluster = forms.ChoiceField(
        label=_("Cluster of the factor"),
        required=False,
        help_text=_("Changing it moves the whole factor to that cluster."),
    )
    new_cluster_key = forms.CharField(label=_("New cluster: key"), required=False, max_length=63)
    new_cluster_label = forms.CharField(
        label=_("New cluster: label"), required=False, max_length=300
    )
    reverse = forms.BooleanField(
        label=_("Reverse-coded (negatively worded: agreeing is unfavourable)"), required=False
    )

    def __init__(
        self, *args: Any, document: dict[str, Any], old_key: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.document = document
        self.old_key = old_key
        choice: Any
        if old_key is not None:
            del self.fields["section"], self.fields["new_section_title"]
        else:
            choice = self.fields["section"]
            choice.choices = [
                (str(i), s["title"] or _("Section %(n)d") % {"n": i + 1})
                for i, s in enumerate(document["sections"])
            ] + [(NEW, _("A new section"))]
        from ristra.reports.models import Category

        school = sorted(set(Category.objects.values_list("key", flat=True)))
        if school:
            self.fields["category"].help_text = _(
                "Demographic questions only, optional: the key of a school category whose "
                "groups the answers use. This school defines: %(keys)s."
            ) % {"keys": ", ".join(school)}
        choice = self.fields["scale"]
        choice.choices = [("", _("(none)"))] + [(k, k) for k in document["scales"]]
        choice = self.fields["factor"]
        choice.choices = (
            [("", _("(none)"))]
            + [(k, f"{f['label']} ({k})") for k, f in document["factors"].items()]
            + [(NEW, _("A new factor"))]
        )
        choice = self.fields["cluster"]
        choice.choices = (
            [("", _("(none)"))]
            + [(k, f"{label} ({k})") for k, label in document["clusters"].items()]
            + [(NEW, _("A new cluster"))]
        )

    @classmethod
    def initial_for(cls, document: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
        factor = item.get("factor") or ""
        return {
            "key": item["key"],
            "kind": item["kind"],
            "text": item["text"],
            "options": "\n".join(item.get("options", [])),
            "category": item.get("category", ""),
            "scale": item.get("scale", ""),
            "factor": factor,
            "cluster": document["factors"].get(factor, {}).get("cluster", "") if factor else "",
            "reverse": bool(item.get("reverse")),
        }

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        key = (data.get("key") or "").strip()
        if key:
            problem = _key_problem(key)
            if problem:
                self.add_error("key", problem)
            elif key != self.old_key and any(
                item["key"] == key for s in self.document["sections"] for item in s["items"]
            ):
                self.add_error(
                    "key", _("Another item already has the key “%(key)s”.") % {"key": key}
                )
        if data.get("section") == NEW and not (data.get("new_section_title") or "").strip():
            self.add_error("new_section_title", _("Give the new section a title."))
        kind = data.get("kind") or "likert"
        options = _lines(data.get("options") or "")
        if kind == "likert":
            if not data.get("scale"):
                self.add_error("scale", _("A Likert statement needs a scale."))
            self._clean_new(
                "factor",
                self.document["factors"],
                (
                    _("Give the new factor a key."),
                    _("The factor “%(key)s” exists already; choose it from the list."),
                    _("Give the new factor a label."),
                ),
            )
            if data.get("factor"):
                self._clean_new(
                    "cluster",
                    self.document["clusters"],
                    (
                        _("Give the new cluster a key."),
                        _("The cluster “%(key)s” exists already; choose it from the list."),
                        _("Give the new cluster a label."),
                    ),
                )
        else:
            if kind in ("choice", "multi") and not options:
                self.add_error("options", _("List the options, one per line."))
            if kind == "demographic" and not options and not (data.get("category") or "").strip():
                self.add_error("options", _("Give the options, a school category, or both."))
            category = (data.get("category") or "").strip()
            if kind == "demographic" and category and (problem := _key_problem(category)):
                self.add_error("category", problem)
        if len({o.casefold() for o in options}) != len(options):
            self.add_error("options", _("Each option may appear only once."))
        return data

    def _clean_new(self, name: str, defined: dict[str, Any], texts: tuple[Any, Any, Any]) -> None:
        """A new factor or cluster chosen: its key and label are required, the key new."""
        no_key, exists, no_label = texts
        data = self.cleaned_data
        if data.get(name) != NEW:
            return
        key = (data.get(f"new_{name}_key") or "").strip()
        if not key:
            self.add_error(f"new_{name}_key", no_key)
        elif problem := _key_problem(key):
            self.add_error(f"new_{name}_key", problem)
        elif key in defined:
            self.add_error(f"new_{name}_key", exists % {"key": key})
        if not (data.get(f"new_{name}_label") or "").strip():
            self.add_error(f"new_{name}_label", no_label)

    def apply(self, document: dict[str, Any]) -> None:
        """Write the item (and its factor and cluster) into ``document``."""
        data = self.cleaned_data
        kind = data["kind"]
        item: dict[str, Any] = {"key": data["key"].strip(), "kind": kind, "text": data["text"]}
        if kind == "likert":
            item["scale"] = data["scale"]
            factor = data.get("factor") or ""
            if factor == NEW:
                factor = data["new_factor_key"].strip()
                document["factors"][factor] = {"label": data["new_factor_label"].strip()}
            if factor:
                item["factor"] = factor
                cluster = data.get("cluster") or ""
                if cluster == NEW:
                    cluster = data["new_cluster_key"].strip()
                    document["clusters"][cluster] = data["new_cluster_label"].strip()
                spec = dict(document["factors"][factor])
                spec.pop("cluster", None)
                if cluster:
                    spec["cluster"] = cluster
                document["factors"][factor] = spec
            if data.get("reverse"):
                item["reverse"] = True
        else:
            options = _lines(data.get("options") or "")
            if options:
                item["options"] = options
            category = (data.get("category") or "").strip()
            if kind == "demographic" and category:
                item["category"] = category
        from ristra.surveys import builder

        section = data.get("section")
        builder.item_put(
            document,
            old_key=self.old_key,
            item=item,
            section=None if section is None or section == NEW else int(section),
            new_section_title=(data.get("new_section_title") or "").strip(),
        )


class BuilderDetailsForm(forms.Form):
    key = forms.CharField(
        label=_("Instrument key"),
        max_length=63,
        help_text=_(
            "Surveys with the same key are compared year over year and form one indicator "
            "series: keep last wave's key. It cannot change once responses exist."
        ),
    )
    title = forms.CharField(label=_("Instrument title"), max_length=300)
    version = forms.CharField(
        label=_("Version"),
        max_length=60,
        help_text=_("Change it when you revise the instrument, for example “1.1”."),
    )

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"].strip()
        problem = _key_problem(key)
        if problem:
            raise forms.ValidationError(problem)
        return key


class BuilderLabelsForm(forms.Form):
    """The label of every factor and cluster (their keys, which answers and benchmarks
    refer to, stay)."""

    def __init__(self, *args: Any, document: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.document = document
        for key, label in document["clusters"].items():
            self.fields[f"cluster_{key}"] = forms.CharField(
                label=_("Cluster “%(key)s”") % {"key": key},
                max_length=300,
                initial=label,
            )
        for key, factor in document["factors"].items():
            self.fields[f"factor_{key}"] = forms.CharField(
                label=_("Factor “%(key)s”") % {"key": key},
                max_length=300,
                initial=factor.get("label", ""),
                help_text=_("In cluster “%(cluster)s”.") % {"cluster": factor["cluster"]}
                if factor.get("cluster")
                else "",
            )

    def apply(self, document: dict[str, Any]) -> None:
        for key in document["clusters"]:
            document["clusters"][key] = self.cleaned_data[f"cluster_{key}"].strip()
        for key, factor in document["factors"].items():
            document["factors"][key] = {
                **factor,
                "label": self.cleaned_data[f"factor_{key}"].strip(),
            }


class BuilderSectionForm(forms.Form):
    title = forms.CharField(label=_("Section title"), max_length=300, required=False)


class BuilderScaleForm(forms.Form):
    """A response scale and which of its values count as favourable."""

    key = forms.CharField(label=_("Key"), max_length=63, help_text=_("For example “agree5”."))
    labels = forms.CharField(
        label=_("Labels (one per line, in order)"),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    values = forms.CharField(
        label=_("Values"),
        required=False,
        help_text=_("Whole numbers separated by commas, one per label; leave empty for 1, 2, 3, …"),
    )
    favourable = forms.CharField(
        label=_("Favourable values"),
        help_text=_("The values that count as favourable, separated by commas, e.g. 4, 5."),
    )

    def __init__(
        self, *args: Any, document: dict[str, Any], old_key: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.document = document
        self.old_key = old_key
        if old_key is not None:
            del self.fields["key"]

    @staticmethod
    def initial_for(spec: dict[str, Any]) -> dict[str, Any]:
        return {
            "labels": "\n".join(spec["labels"]),
            "values": ", ".join(map(str, spec["values"])),
            "favourable": ", ".join(map(str, spec["favourable"])),
        }

    def _numbers(self, name: str) -> list[int] | None:
        raw = (self.cleaned_data.get(name) or "").replace(";", ",")
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        try:
            return [int(p) for p in parts]
        except ValueError:
            bad = next(p for p in parts if not p.lstrip("-").isdigit())
            self.add_error(name, _("“%(value)s” is not a whole number.") % {"value": bad})
            return None

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if "key" in self.fields and data.get("key"):
            key = data["key"].strip()
            problem = _key_problem(key)
            if problem:
                self.add_error("key", problem)
            elif key in self.document["scales"]:
                self.add_error("key", _("A scale “%(key)s” exists already.") % {"key": key})
        labels = _lines(data.get("labels") or "")
        if "labels" in data and len(labels) < 2:
            self.add_error("labels", _("A scale needs at least two labels."))
        values = self._numbers("values")
        favourable = self._numbers("favourable")
        if values is not None and not values:
            values = list(range(1, len(labels) + 1))
        if values is not None and labels and len(values) != len(labels):
            self.add_error(
                "values",
                _("There are %(labels)d labels but %(values)d values.")
                % {"labels": len(labels), "values": len(values)},
            )
        if values is not None and len(set(values)) != len(values):
            self.add_error("values", _("Each value may appear only once."))
        if favourable is not None and "favourable" in data:
            outside = [v for v in favourable if values is not None and v not in values]
            if not favourable:
                self.add_error("favourable", _("Say which values count as favourable."))
            elif outside:
                self.add_error(
                    "favourable",
                    _("%(values)s not on the scale.") % {"values": ", ".join(map(str, outside))},
                )
        data["spec"] = {
            "labels": labels,
            "values": values or [],
            "favourable": sorted(set(favourable or [])),
        }
        return data

    def apply(self, document: dict[str, Any]) -> None:
        key = self.old_key or self.cleaned_data["key"].strip()
        document["scales"][key] = self.cleaned_data["spec"]
