"""The public site's pages, cached for anonymous visitors and purged when the CMS publishes.

The middleware sits early in the stack (after the security, CSP and static-file middleware,
before sessions, locale, CSRF, authentication and messages), so a page served from the cache
costs a cookie parse, a language choice and one cache read: it never reaches the session,
the database-backed user, the URL resolver or a template.

Rules (each has a test in ristra/portal/tests/test_public_cache.py):

* Only GET/HEAD requests for the public site (every address outside the staff application's
  segments, see ristra/core/addresses.py) are answered or stored, and only for visitors who
  carry no session cookie (so are not signed in, staff or otherwise), no pending message,
  no ``Authorization`` header, and are not an htmx request.
* The key holds everything such a page varies on: the generation (below), scheme, host,
  path with query string, the language exactly as Django's LocaleMiddleware chooses it (URL
  prefix when used, language cookie, Accept-Language), and the text-size/contrast
  preference (ristra/core/prefs.py) as the page renders it.
* Only complete 200 HTML responses are stored, and only if nothing per-visitor is in them:
  no cookie other than the CSRF cookie (which is never stored: each visitor gets their own),
  no session change, no CSP nonce, no ``private``/``no-cache``/``no-store``. Form tokens are
  cut out before storing and a fresh one for the visitor is put in on each hit (with the
  CSRF cookie when the visitor has none). A page that shows the visitor's CSRF token in any
  other form is not stored at all.
* The Content-Security-Policy has no per-request nonce (settings.py), and the CSP and
  security middleware sit outside this one, so every hit gets the current headers.

Pages are kept in the "public-pages" cache (settings.CACHES: each process's own memory by
default, so a hit touches neither the database nor a file). Publishing, unpublishing or
moving a page (in the editor or on a schedule) bumps a generation number in the shared
"default" cache, which is part of every key: the process that published sees it at once,
every other process within GENERATION_RECHECK_SECONDS (each reads the shared number at most
that often). Anything else on a page (upcoming events, published figures) is at most
RISTRA_PUBLIC_CACHE_SECONDS old.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware import csrf as django_csrf
from django.middleware.csrf import CSRF_SECRET_LENGTH, CsrfViewMiddleware, get_token
from django.middleware.locale import LocaleMiddleware

from ristra.core import prefs
from ristra.core.addresses import is_staff_address

GENERATION_KEY = "public-cache:generation"
MARKER = "\x00ristra-form-token\x00"
_CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
# Django's own unmasking of a form token (private in 5.2 LTS; the cache tests exercise it).
unmask_form_token: Callable[[str], str] = django_csrf._unmask_cipher_token  # type: ignore[attr-defined]
_TOKEN_LIKE = re.compile(rf"[a-zA-Z0-9]{{{2 * CSRF_SECRET_LENGTH}}}")
# Headers never stored: the length is recomputed, and the cache's own marker is per answer.
_NOT_STORED = {"content-length", "x-ristra-cache"}


GENERATION_RECHECK_SECONDS = 1.0
# This process's copy of the shared generation: (when it was read, monotonic; its value).
_seen: tuple[float, int] = (float("-inf"), 0)


def _pages() -> Any:
    return caches["public-pages"]


def _shared() -> Any:
    return caches["default"]


def _shared_generation() -> int:
    value = _shared().get(GENERATION_KEY)
    if value is None:
        _shared().add(GENERATION_KEY, 1, timeout=None)
        value = _shared().get(GENERATION_KEY, 1)
    return int(value)


def _generation() -> int:
    """The shared generation, read from the shared cache at most once a recheck interval."""
    global _seen
    read_at, value = _seen
    now = time.monotonic()
    if now - read_at >= GENERATION_RECHECK_SECONDS:
        value = _shared_generation()
        _seen = (now, value)
    return value


def public_cache_purge(**_: Any) -> None:
    """Retire every cached public page (called when the CMS publishes, unpublishes, moves)."""
    global _seen
    cache = _shared()
    if cache.add(GENERATION_KEY, 2, timeout=None):
        value = 2
    else:
        try:
            value = cache.incr(GENERATION_KEY)
        except ValueError:
            value = 2
            cache.set(GENERATION_KEY, value, timeout=None)
    _seen = (time.monotonic(), value)


def public_cache_forget() -> None:
    """Drop this process's pages and its copy of the generation (used by the tests)."""
    global _seen
    _seen = (float("-inf"), 0)
    _pages().clear()


def _not_needed(request: HttpRequest) -> HttpResponse:
    raise AssertionError("only the request/response hooks of this middleware are used")


# Django's own middleware, used for their hooks only: the language is chosen exactly as
# LocaleMiddleware chooses it, and a hit's form token and cookie exactly as CSRF does.
_LOCALE = LocaleMiddleware(_not_needed)
_CSRF = CsrfViewMiddleware(_not_needed)


def _cacheable_request(request: HttpRequest) -> bool:
    if request.method not in {"GET", "HEAD"} or is_staff_address(request.path):
        return False
    if settings.RISTRA_PUBLIC_CACHE_SECONDS <= 0 or settings.CSRF_USE_SESSIONS:
        return False
    if "HTTP_HX_REQUEST" in request.META or "HTTP_AUTHORIZATION" in request.META:
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def _key(request: HttpRequest, language: str) -> str:
    parts = [
        str(_generation()),
        request.scheme or "",
        request.get_host(),
        request.get_full_path(),
        language,
        prefs.display_prefs(request).cookie_value(),
    ]
    return "public-cache:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _shows_secret(body: str, secret: str) -> bool:
    """True if the page shows the visitor's CSRF secret, plain or masked, anywhere."""
    if secret in body:
        return True
    return any(unmask_form_token(found) == secret for found in _TOKEN_LIKE.findall(body))


class PublicPageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _cacheable_request(request):
            return self.get_response(request)
        _LOCALE.process_request(request)
        key = _key(request, request.LANGUAGE_CODE)
        stored = _pages().get(key)
        if stored is not None:
            return self._hit(request, stored)
        response = self.get_response(request)
        if request.method == "GET":
            entry = self._entry(request, response)
            if entry is not None:
                _pages().set(key, entry, settings.RISTRA_PUBLIC_CACHE_SECONDS)
                response["X-Ristra-Cache"] = "miss"
        return response

    @staticmethod
    def _hit(request: HttpRequest, stored: tuple[list[tuple[str, str]], str]) -> HttpResponse:
        headers, body = stored
        response = HttpResponse()
        for name, value in headers:
            response[name] = value
        response["X-Ristra-Cache"] = "hit"
        if MARKER not in body:
            response.content = body  # encoded in the stored Content-Type's charset
            return response
        _CSRF.process_request(request)  # the visitor's own CSRF secret, from their cookie
        response.content = body.replace(MARKER, get_token(request))
        _CSRF.process_response(request, response)  # sets the cookie if the visitor has none
        return response

    @staticmethod
    def _entry(
        request: HttpRequest, response: HttpResponse
    ) -> tuple[list[tuple[str, str]], str] | None:
        """What to store for this response, or None if it must not be stored."""
        cache_control = response.get("Cache-Control", "")
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if (
            response.status_code != 200
            or response.streaming
            or not response.get("Content-Type", "").startswith("text/html")
            or any(word in cache_control for word in ("private", "no-cache", "no-store"))
            or set(response.cookies) - {settings.CSRF_COOKIE_NAME}
            or (session is not None and session.modified)
            or (user is not None and user.is_authenticated)
            or bool(getattr(request, "csp_nonce", None))  # evaluated: the page used a nonce
        ):
            return None
        body = response.content.decode(response.charset or "utf-8")
        body = _CSRF_INPUT.sub(lambda m: m.group(1) + MARKER + m.group(2), body)
        secret = request.META.get("CSRF_COOKIE")
        if secret and _shows_secret(body, secret):
            return None
        headers = [(k, v) for k, v in response.items() if k.lower() not in _NOT_STORED]
        return headers, body
