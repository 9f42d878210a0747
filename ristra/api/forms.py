from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

LIFETIME_CHOICES = [
    ("30", _("30 days")),
    ("90", _("90 days")),
    ("365", _("One year")),
    ("never", _("Until revoked")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. 'nightly export script'."),
        widget=forms.TextInput(attrs={"class": "usa-input"}),
    )
    lifetime = forms.ChoiceField(
        label=_("Expires after"),
        choices=LIFETIME_CHOICES,
        initial="90",
        widget=forms.Select(attrs={"class": "usa-select"}),
    )

    def days(self) -> int | None:
        value = self.cleaned_data["lifetime"]
        return None if value == "never" else int(value)
