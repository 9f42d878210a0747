"""Clear answers when the database is busy or gone, and when an upload is too large."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger("ristra.requests")


class BusyDatabaseMiddleware:
    """Turn "database is locked" into a 503 page that says to try again shortly.

    On SQLite one writer works at a time: while a large import commits, a page that must
    write (every audited view does) waits up to the busy timeout and then fails. Nothing is
    lost; the person only needs to try again. PostgreSQL does not have this limit.

    A lost database connection (the server restarted, the connection was killed) gets a
    503 page of its own that needs no database to render. The request's transaction was
    rolled back by the database, so nothing is half-written; the broken connection is
    closed so the next request opens a fresh one.
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
        if isinstance(exception, OperationalError | InterfaceError) and (
            _connection_lost() or _says_connection_lost(exception)
        ):
            logger.error(
                "Database connection lost during %s %s: %s",
                request.method,
                request.path,
                exception,
            )
            html = render_to_string(
                "core/unavailable.html", {"path": request.get_full_path()}, request=None
            )
            response = HttpResponse(html, status=503)
            response["Retry-After"] = "30"
            return response
        return None


_LOST = (
    "terminating connection",
    "server closed the connection",
    "connection already closed",
    "connection is closed",
    "connection is lost",
    "could not connect",
    "connection refused",
    "no connection to the server",
)


def _says_connection_lost(exception: Exception) -> bool:
    text = f"{exception} {exception.__cause__ or ''}".lower()
    return any(phrase in text for phrase in _LOST)


def _connection_lost() -> bool:
    """Close every connection that can no longer be used; True if there was one."""
    lost = False
    for connection in connections.all(initialized_only=True):
        if connection.connection is None:
            continue
        try:
            usable = connection.is_usable()
        except DatabaseError:
            usable = False
        if not usable:
            lost = True
            connection.close()
    return lost


class UploadSizeLimitMiddleware:
    """Refuse a request body larger than the import limit with a 413 before reading it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.RISTRA_MAX_UPLOAD_MB * 1024 * 1024 + 1024 * 1024  # + form fields
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            logger.warning(
                "Refused a %.1f MB upload to %s (limit %s MB, RISTRA_MAX_UPLOAD_MB)",
                length / 1024 / 1024,
                request.path,
                settings.RISTRA_MAX_UPLOAD_MB,
            )
            message = _(
                "The file is larger than %(mb)s MB, the most Ristra accepts through the "
                "browser. Import it with the command line (ristra import) or ask an "
                "administrator to raise RISTRA_MAX_UPLOAD_MB."
            ) % {"mb": settings.RISTRA_MAX_UPLOAD_MB}
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class ProxiedClientAddressMiddleware:
    """Behind the reverse proxy, take the visitor's address from X-Forwarded-For.

    Every request reaches gunicorn from the proxy (127.0.0.1), so per-visitor limits (sign-in
    lockout by address, the public forms' rate limits) would otherwise treat all visitors as
    one. With RISTRA_TRUSTED_PROXY_COUNT = N, the N-th address from the right of
    X-Forwarded-For is the one the outermost trusted proxy saw; anything left of it is
    supplied by the client and ignored.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = settings.RISTRA_TRUSTED_PROXY_COUNT
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if count > 0 and forwarded:
            addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
            if len(addresses) >= count:
                request.META["REMOTE_ADDR"] = addresses[-count]
        return self.get_response(request)
