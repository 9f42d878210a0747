"""Text size and contrast, chosen by the visitor and kept in a cookie.

The cookie is read on the server, so the very first render already has the right classes
on <html>: no flash of the wrong contrast, and it works without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

TEXT_SIZES = ("small", "medium", "large", "x-large")
CONTRASTS = ("light", "dark", "high")
COOKIE = "ristra_display"


@dataclass(frozen=True)
class DisplayPrefs:
    text_size: str = "medium"
    contrast: str = "light"

    @property
    def html_class(self) -> str:
        return f"text-size-{self.text_size} contrast-{self.contrast}"

    def cookie_value(self) -> str:
        return f"{self.text_size}.{self.contrast}"


def parse(value: str | None) -> DisplayPrefs:
    if not value or "." not in value:
        return DisplayPrefs()
    size, _, contrast = value.partition(".")
    return DisplayPrefs(
        text_size=size if size in TEXT_SIZES else "medium",
        contrast=contrast if contrast in CONTRASTS else "light",
    )


def display_prefs(request: HttpRequest) -> DisplayPrefs:
    return parse(request.COOKIES.get(COOKIE))
