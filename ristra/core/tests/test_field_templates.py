"""The shared field templates: every aria-describedby names an element on the page."""

from __future__ import annotations

import re

from django import forms
from django.template.loader import render_to_string


class _Form(forms.Form):
    name = forms.CharField(label="Name", help_text="As it should appear.")
    notes = forms.CharField(label="Notes", widget=forms.Textarea, help_text="Optional.")
    agree = forms.BooleanField(label="Agree", help_text="Tick to agree.")
    kind = forms.ChoiceField(
        label="Kind", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect, help_text="One."
    )


def _dangling(html: str) -> set[str]:
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    described = {
        ref for refs in re.findall(r'aria-describedby="([^"]+)"', html) for ref in refs.split()
    }
    return described - ids


def test_every_hint_a_field_points_to_exists() -> None:
    for template in (
        "core/_form_fields.html",
        "mentoring/_fields.html",
        "mentoring/_fields_connect.html",
    ):
        html = render_to_string(template, {"form": _Form(), "field": _Form()["name"]})
        assert "aria-describedby" in html, template
        assert _dangling(html) == set(), template


def test_a_bound_form_with_errors_keeps_its_hints_linked() -> None:
    for template in ("core/_form_fields.html", "mentoring/_fields.html"):
        html = render_to_string(template, {"form": _Form(data={})})
        assert "usa-error-message" in html
        assert _dangling(html) == set(), template
