"""Reads for the public pages: live, public pages in the visitor's language, and the data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from wagtail.models import Locale

from ristra.portal.models import EventPage, NewsPage, ProgramPage

#: The populations whose headline table the public data page shows, in this order.
PUBLIC_POPULATIONS = ("students", "residents", "faculty")


def _in_locale(qs: QuerySet[Any], locale: Locale | None) -> QuerySet[Any]:
    return qs.filter(locale=locale) if locale is not None else qs


def news_pages(*, locale: Locale | None = None) -> QuerySet[NewsPage]:
    return _in_locale(NewsPage.objects.live().public(), locale).order_by("-date", "-pk")


def upcoming_events(
    *, locale: Locale | None = None, now: dt.datetime | None = None
) -> QuerySet[EventPage]:
    now = now or timezone.now()
    return (
        _in_locale(EventPage.objects.live().public(), locale).filter(end__gte=now).order_by("start")
    )


def program_events(program: ProgramPage) -> QuerySet[EventPage]:
    return EventPage.objects.live().public().filter(program=program).order_by("start")


def recent_news_for_issue(*, days: int = 45, today: dt.date | None = None) -> list[NewsPage]:
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=days)
    return list(news_pages().filter(date__gte=since, date__lte=today))


def events_for_issue(*, days: int = 60, now: dt.datetime | None = None) -> list[EventPage]:
    now = now or timezone.now()
    return list(upcoming_events(now=now).filter(start__lte=now + dt.timedelta(days=days)))


@dataclass(frozen=True)
class Headline:
    """One population's headline: the internal dashboard's first published table."""

    population: str
    label: str
    table: Any  # ristra.reports.published.PublishedTable
    as_of: dt.date


@dataclass(frozen=True)
class Headlines:
    items: tuple[Headline, ...]
    notes: tuple[str, ...]
    snapshot_date: dt.date | None


def public_headlines() -> Headlines:
    """The published (suppressed) headline tables of the internal dashboards.

    Nothing is counted here: the tables are the very objects the staff dashboards show, built
    with the same default filters, so the two can never disagree.
    """
    from ristra.reports import dashboards as d

    try:
        source = d.open_snapshot()
    except d.NoSnapshot:
        return Headlines(items=(), notes=(), snapshot_date=None)
    items = []
    notes: list[str] = []
    for key in PUBLIC_POPULATIONS:
        filters = d.default_filters(key, snapshot=source)
        report = d.build_dashboard(filters, source=source)
        if not report.sections:
            continue
        items.append(
            Headline(
                population=key,
                label=str(d.POPULATIONS[key].label),
                table=report.sections[0],
                as_of=filters.as_of,
            )
        )
        if not notes:
            notes = report.suppression_notes()[:2]
    return Headlines(items=tuple(items), notes=tuple(notes), snapshot_date=source.created.date())
