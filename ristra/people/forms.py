from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ristra.analytics.importspec import KINDS
from ristra.analytics.profiles import ProfileError, load_profile
from ristra.people.models import MappingProfile


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What does the file contain?"),
        choices=[(name, _(kind.label)) for name, kind in KINDS.items()],
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("A CSV (any delimiter; UTF-8 or Windows-1252) or XLSX export."),
    )
    profile = forms.ModelChoiceField(
        label=_("Mapping profile"),
        queryset=MappingProfile.objects.all(),
        required=False,
        empty_label=_("None yet: suggest a mapping from the column names"),
    )
    source_label = forms.CharField(
        label=_("Source (shown with every self-identification answer)"),
        required=False,
        max_length=120,
        help_text=_("For example: HR self-identification, AMCAS application."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.RISTRA_MAX_UPLOAD_MB * 1024 * 1024
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        if upload.size > limit:
            raise forms.ValidationError(
                _(
                    "The file is larger than %(mb)s MB. Import it with the command line "
                    "(ristra import) or ask an administrator to raise RISTRA_MAX_UPLOAD_MB."
                )
                % {"mb": settings.RISTRA_MAX_UPLOAD_MB}
            )
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        profile = data.get("profile")
        if profile and data.get("kind") and profile.kind != data["kind"]:
            self.add_error(
                "profile",
                _("This profile is for %(kind)s imports.") % {"kind": profile.kind},
            )
        return data


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = MappingProfile
        fields = ["name", "yaml"]
        widgets = {"yaml": forms.Textarea(attrs={"rows": 24, "class": "usa-textarea ristra-code"})}

    def clean_yaml(self) -> str:
        text: str = self.cleaned_data["yaml"]
        try:
            profile = load_profile(text)
        except ProfileError as exc:
            raise forms.ValidationError(list(exc.messages)) from None
        self.instance.kind = profile.kind
        return text
