"""A database that is busy (SQLite while a large import commits) gets a clear answer."""

from __future__ import annotations

from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class BusyDatabaseMiddleware:
    """Turn "database is locked" into a 503 page that says to try again shortly.

    On SQLite one writer works at a time: while a large import commits, a page that must
    write (every audited view does) waits up to the busy timeout and then fails. Nothing is
    lost; the person only needs to try again. PostgreSQL does not have this limit.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError) and "locked" in str(exception).lower():
            response = render(request, "core/busy.html", status=503)
            response["Retry-After"] = "30"
            return response
        return None
