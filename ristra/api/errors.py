"""Errors the API answers with a JSON ``detail`` and per-field ``errors``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _


class BadRequest(Exception):
    """400 with a sentence and the fields at fault."""

    def __init__(self, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


def form_errors(form: Any, fields: Iterable[str] | None = None) -> list[dict[str, str]]:
    wanted = set(fields) if fields is not None else None
    return [
        {"field": field, "message": str(message)}
        for field, messages in form.errors.items()
        if wanted is None or field in wanted
        for message in messages
    ]


def reject_unknown_query(request: HttpRequest, allowed: Iterable[str] = ()) -> None:
    """A misspelt filter is an error, not silently the default (400 naming it)."""
    known = set(allowed)
    unknown = sorted(name for name in request.GET if name not in known)
    if unknown:
        raise BadRequest(
            _("Unknown query parameters: %(names)s.") % {"names": ", ".join(unknown)},
            [
                {
                    "field": name,
                    "message": _("Not a parameter of this operation. Known: %(known)s.")
                    % {"known": ", ".join(sorted(known)) or "-"},
                }
                for name in unknown
            ],
        )
