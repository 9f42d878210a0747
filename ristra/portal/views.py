"""The portal's own screens beside the Wagtail pages: feeds, subscription, contact."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ristra.portal import feeds, selectors, services
from ristra.portal.forms import ContactForm, RegistrationForm, SubscribeForm, form_stamp
from ristra.portal.models import EventPage, ProgramPage

news_rss = feeds.NewsFeed()
news_atom = feeds.AtomNewsFeed()

#: (requests, seconds) allowed per visitor address.
RATE_LIMITS = {"contact": (5, 3600), "subscribe": (10, 3600), "register": (10, 3600)}


def _client_key(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:32]


def rate_limited(request: HttpRequest, kind: str) -> bool:
    """Count this request; True when the visitor has used up the allowance for ``kind``."""
    limit, window = RATE_LIMITS[kind]
    key = f"portal:rate:{kind}:{_client_key(request)}"
    if cache.add(key, 1, timeout=window):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return False
    return count > limit


def _live_event(pk: int) -> EventPage:
    page = get_object_or_404(EventPage.objects.live().public(), pk=pk)
    return page


def events_ical(request: HttpRequest) -> HttpResponse:
    events = EventPage.objects.live().public().order_by("start")
    body = feeds.calendar_for(
        events, name=_("%(site)s events") % {"site": settings.WAGTAIL_SITE_NAME}, request=request
    )
    return feeds.ical_response(body, "events.ics")


def event_ical(request: HttpRequest, pk: int) -> HttpResponse:
    page = _live_event(pk)
    return feeds.ical_response(
        feeds.calendar_for([page], name=page.title, request=request), f"event-{page.pk}.ics"
    )


def program_ical(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_object_or_404(ProgramPage.objects.live().public(), pk=pk)
    body = feeds.calendar_for(
        selectors.program_events(program), name=program.title, request=request
    )
    return feeds.ical_response(body, f"program-{program.pk}.ics")


def _public(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST or None)
    if request.method == "POST":
        if rate_limited(request, "subscribe"):
            form.add_error(
                None, _("Too many sign-ups from your connection. Please try again in an hour.")
            )
            return _public(request, "portal/subscribe.html", {"form": form}, status=429)
        if form.is_valid():
            if not form.is_spam():
                services.subscriber_subscribe(
                    email=form.cleaned_data["email"], language=get_language() or "en"
                )
            # The same answer whatever happened: the form never reveals who is subscribed.
            return _public(
                request, "portal/subscribe_done.html", {"email": form.cleaned_data["email"]}
            )
        return _public(request, "portal/subscribe.html", {"form": form}, status=400)
    return _public(request, "portal/subscribe.html", {"form": form})


def subscribe_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = services.subscriber_confirm(token=token)
    except services.BadToken as exc:
        return _public(
            request, "portal/link_problem.html", {"expired": exc.expired, "kind": "confirm"}, 400
        )
    return _public(request, "portal/subscribe_confirmed.html", {"subscriber": subscriber})


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without our form or cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            subscriber = services.subscriber_unsubscribe(token=token)
            return _public(request, "portal/unsubscribed.html", {"subscriber": subscriber})
        subscriber = services.subscriber_for_unsubscribe(token=token)
    except services.BadToken as exc:
        return _public(
            request,
            "portal/link_problem.html",
            {"expired": exc.expired, "kind": "unsubscribe"},
            400,
        )
    # A GET only asks: link checkers and previews must not unsubscribe anyone.
    return _public(request, "portal/unsubscribe.html", {"subscriber": subscriber})


@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _public(
            request, "portal/contact.html", {"form": ContactForm(), "portal_section": "contact"}
        )
    form = ContactForm(request.POST)
    if rate_limited(request, "contact"):
        form.is_valid()
        form.add_error(
            None, _("You have sent several messages in the last hour. Please try again later.")
        )
        return _public(request, "portal/contact.html", {"form": form}, status=429)
    if not form.is_valid():
        return _public(request, "portal/contact.html", {"form": form}, status=400)
    reason = form.spam_reason()
    if reason == "honeypot":
        return _public(request, "portal/contact_done.html", {})
    if reason:
        # A person may have been quick or left the page open: keep what they wrote, with a
        # fresh time stamp so that sending again works.
        data = request.POST.copy()
        data["started"] = form_stamp()
        fresh = ContactForm(data)
        fresh.is_valid()
        fresh.add_error(
            None,
            _("Please check your message and send it again.")
            if reason == "too-fast"
            else _("This form was open for a long time. Please send it again."),
        )
        return _public(request, "portal/contact.html", {"form": fresh}, status=400)
    services.contact_message_receive(
        name=form.cleaned_data["name"],
        email=form.cleaned_data["email"],
        subject=form.cleaned_data["subject"],
        message=form.cleaned_data["message"],
        language=get_language() or "en",
    )
    return _public(request, "portal/contact_done.html", {})


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Register for an event, or apply to a program, that takes them on this site."""
    target: ProgramPage | EventPage
    if kind == "program":
        target = get_object_or_404(
            ProgramPage.objects.live().public(), pk=pk, applications_open=True
        )
    else:
        target = get_object_or_404(EventPage.objects.live().public(), pk=pk, registration_open=True)
    form = RegistrationForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "target": target, "kind": kind}
    if request.method == "POST":
        if rate_limited(request, "register"):
            form.add_error(None, _("Too many forms from your connection. Please try again later."))
            return _public(request, "portal/register.html", context, status=429)
        if not form.is_valid():
            return _public(request, "portal/register.html", context, status=400)
        if not form.cleaned_data.get("website"):
            services.registration_create(
                target=target, data=form.cleaned_data, language=get_language() or "en"
            )
        return _public(request, "portal/register_done.html", context)
    return _public(request, "portal/register.html", context)
