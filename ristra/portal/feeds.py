"""News as RSS 2.0 and Atom 1.0; events as iCalendar (per event, per program, whole site)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import icalendar
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from ristra.portal import selectors
from ristra.portal.models import EventPage, NewsPage


class NewsFeed(Feed):
    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def title(self) -> str:
        return _("%(site)s: news") % {"site": settings.WAGTAIL_SITE_NAME}

    def link(self) -> str:
        news = selectors.news_pages().first()
        parent = news.get_parent() if news is not None else None
        return parent.url if parent is not None and parent.url else "/"

    def description(self) -> str:
        return _("News from the office.")

    def items(self) -> Iterable[NewsPage]:
        return selectors.news_pages()[:30]

    def item_title(self, item: NewsPage) -> str:
        return item.title

    def item_description(self, item: NewsPage) -> str:
        return item.summary

    def item_link(self, item: NewsPage) -> str:
        return item.get_full_url(self.request) or ""

    def item_pubdate(self, item: NewsPage) -> dt.datetime:
        return dt.datetime.combine(item.date, dt.time(9), tzinfo=timezone.get_current_timezone())

    def item_updateddate(self, item: NewsPage) -> dt.datetime | None:
        return item.last_published_at

    def item_categories(self, item: NewsPage) -> list[str]:
        return [tag.name for tag in item.tags.all()]


class AtomNewsFeed(NewsFeed):
    feed_type = Atom1Feed

    def subtitle(self) -> str:
        return self.description()


def _host() -> str:
    from urllib.parse import urlsplit

    return urlsplit(settings.SITE_URL).hostname or "localhost"


def calendar_for(events: Iterable[EventPage], *, name: str, request: HttpRequest) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Ristra//Public site//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    stamp = timezone.now()
    for page in events:
        event = icalendar.Event()
        event.add("uid", f"event-{page.pk}@{_host()}")
        event.add("dtstamp", stamp)
        event.add("dtstart", page.start.astimezone(dt.UTC))
        event.add("dtend", page.end.astimezone(dt.UTC))
        event.add("summary", page.title)
        if page.summary:
            event.add("description", page.summary)
        location = page.location or page.online_url
        if location:
            event.add("location", location)
        url = page.get_full_url(request)
        if url:
            event.add("url", url)
        if page.last_published_at:
            event.add("last-modified", page.last_published_at)
        cal.add_component(event)
    return cal.to_ical()


def ical_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
