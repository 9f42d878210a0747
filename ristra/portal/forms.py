"""Public forms: newsletter subscription and the contact form (spam-protected)."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

#: A human takes at least this long to fill in the contact form; a bot posts at once.
MIN_SECONDS = 3
#: A form older than this is stale (its time stamp is refused; the visitor just resends).
MAX_SECONDS = 24 * 3600
MAX_MESSAGE = 5000
_SALT = "ristra.portal.form-started"


def form_stamp(now: float | None = None) -> str:
    return signing.dumps(int(now if now is not None else time.time()), salt=_SALT)


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "usa-input", "autocomplete": "email"}),
    )
    # Honeypot: hidden from people (and from screen readers); bots fill every field.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class ContactForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "usa-input", "autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "usa-input", "autocomplete": "email"}),
    )
    subject = forms.CharField(
        label=_("Subject"), max_length=200, widget=forms.TextInput(attrs={"class": "usa-input"})
    )
    message = forms.CharField(
        label=_("Message"),
        max_length=MAX_MESSAGE,
        help_text=_("Up to %(n)d characters.") % {"n": MAX_MESSAGE},
        widget=forms.Textarea(attrs={"class": "usa-textarea", "rows": 8}),
    )
    website = forms.CharField(required=False, label=_("Leave this field empty"))
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, now: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now if now is not None else time.time()
        if not self.is_bound:
            self.initial["started"] = form_stamp(self.now)

    def spam_reason(self) -> str:
        """Why the message looks automated ('' when it does not)."""
        if self.cleaned_data.get("website"):
            return "honeypot"
        try:
            started = signing.loads(self.cleaned_data.get("started") or "", salt=_SALT)
        except signing.BadSignature:
            return "no-stamp"
        elapsed = self.now - int(started)
        if elapsed < MIN_SECONDS:
            return "too-fast"
        if elapsed > MAX_SECONDS:
            return "stale"
        return ""


class RegistrationForm(forms.Form):
    given_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        widget=forms.TextInput(attrs={"class": "usa-input", "autocomplete": "given-name"}),
    )
    family_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        widget=forms.TextInput(attrs={"class": "usa-input", "autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "usa-input", "autocomplete": "email"}),
    )
    school = forms.CharField(
        label=_("School or organisation"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "usa-input", "autocomplete": "organization"}),
    )
    grade_level = forms.CharField(
        label=_("Grade or year"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"class": "usa-input"}),
    )
    consent = forms.BooleanField(
        label=_(
            "The office may keep these details to run the program and to follow how "
            "participants do later (never published with your name)."
        ),
        widget=forms.CheckboxInput(attrs={"class": "usa-checkbox__input"}),
    )
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()
