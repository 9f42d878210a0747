"""Which addresses belong to the staff application and which to the public site.

The public site's pages live at the root of the address (``/``, ``/news/``, ...); the staff
application and the CMS live under the first path segments listed here. A public page may
not take one of these as its slug, or the staff section would hide it.
"""

from __future__ import annotations

#: First path segments the staff application, the CMS and the API answer for.
STAFF_SEGMENTS: frozenset[str] = frozenset(
    {
        "accounts",
        "api",
        "audit",
        "cms",
        "display",
        "django-admin",
        "documents",
        "health",
        "i18n",
        "measures",
        "mentoring",
        "office",
        "pathways",
        "people",
        "plans",
        "site",
        "static",
        "surveys",
        "users",
        # the public site's own forms and feeds (ristra/portal/urls.py)
        "contact",
        "feeds",
        "register",
        "subscribe",
        "unsubscribe",
    }
)


#: Segments served by the public site's own views (not Wagtail pages) but public all the same.
PUBLIC_FORM_SEGMENTS: frozenset[str] = frozenset(
    {"contact", "feeds", "register", "subscribe", "unsubscribe", "site"}
)


def first_segment(path: str) -> str:
    return path.lstrip("/").split("/", 1)[0]


def is_staff_address(path: str) -> bool:
    """True for the staff application's addresses; False for the public site's pages."""
    segment = first_segment(path)
    return segment in STAFF_SEGMENTS and segment not in PUBLIC_FORM_SEGMENTS
