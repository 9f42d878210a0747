"""The public site's pages, cached for anonymous visitors and purged when the CMS publishes.

Only GET/HEAD requests for the public site (every address outside the staff application's
segments, see ristra/core/addresses.py) from visitors who are not signed in, carry no session
and no pending message are cached; only complete 200 HTML responses that set no cookie of
their own are stored. Forms keep working: the CSRF token is cut out before storing and a
fresh one is put in for each visitor. Publishing, unpublishing or moving a page (in the
editor or on a schedule) bumps a generation number, which retires every cached page at
once, in every process. Anything else on a page (upcoming events, published figures) is at
most RISTRA_PUBLIC_CACHE_SECONDS old.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from ristra.core.addresses import is_staff_address

GENERATION_KEY = "public-cache:generation"
MARKER = "\x00ristra-form-token\x00"
_CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def _cache() -> Any:
    return caches["default"]


def _generation() -> int:
    value = _cache().get(GENERATION_KEY)
    if value is None:
        _cache().add(GENERATION_KEY, 1, timeout=None)
        value = _cache().get(GENERATION_KEY, 1)
    return int(value)


def public_cache_purge(**_: Any) -> None:
    """Retire every cached public page (called when the CMS publishes, unpublishes, moves)."""
    cache = _cache()
    if not cache.add(GENERATION_KEY, 2, timeout=None):
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            cache.set(GENERATION_KEY, 2, timeout=None)


def _cacheable_request(request: HttpRequest) -> bool:
    if request.method not in {"GET", "HEAD"} or is_staff_address(request.path):
        return False
    if settings.RISTRA_PUBLIC_CACHE_SECONDS <= 0 or request.headers.get("HX-Request"):
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def _key(request: HttpRequest) -> str:
    from ristra.core import prefs

    parts = [
        str(_generation()),
        request.get_host(),
        request.get_full_path(),
        getattr(request, "LANGUAGE_CODE", ""),
        request.COOKIES.get(prefs.COOKIE, ""),
    ]
    return "public-cache:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


class PublicPageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _cacheable_request(request):
            return self.get_response(request)
        key = _key(request)
        stored = _cache().get(key)
        if stored is not None:
            content_type, body = stored
            if MARKER in body:
                body = body.replace(MARKER, get_token(request))
            response = HttpResponse(body, content_type=content_type)
            response["X-Ristra-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if request.method == "GET" and self._storable(request, response):
            body = response.content.decode(response.charset or "utf-8")
            body = _CSRF_INPUT.sub(lambda m: m.group(1) + MARKER + m.group(2), body)
            if "csrf" not in body.lower().replace("csrfmiddlewaretoken", ""):
                _cache().set(
                    key, (response["Content-Type"], body), settings.RISTRA_PUBLIC_CACHE_SECONDS
                )
                response["X-Ristra-Cache"] = "miss"
        return response

    @staticmethod
    def _storable(request: HttpRequest, response: HttpResponse) -> bool:
        session = getattr(request, "session", None)
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and response.get("Content-Type", "").startswith("text/html")
            and "private" not in response.get("Cache-Control", "")
            and "no-cache" not in response.get("Cache-Control", "")
            and not (session is not None and session.modified)
        )
