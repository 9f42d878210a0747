"""News feeds (RSS 2.0, Atom 1.0) and iCalendar feeds are well-formed and complete."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import icalendar
from django.test import Client

from ristra.portal.models import EventPage, NewsPage, ProgramPage

ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_rss_feed_is_valid_rss_2(client: Client, portal: Any) -> None:
    response = client.get("/feeds/news.rss")
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    for required in ("title", "link", "description"):
        assert channel.findtext(required)
    items = channel.findall("item")
    assert len(items) == NewsPage.objects.live().count()
    first = items[0]
    assert first.findtext("link", "").startswith("http")
    assert first.findtext("pubDate")
    assert {c.text for c in first.findall("category")} == {"awards", "recognition"}


def test_the_atom_feed_is_valid_atom(client: Client, portal: Any) -> None:
    response = client.get("/feeds/news.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.findtext(f"{ATOM}{required}")
    entries = root.findall(f"{ATOM}entry")
    assert entries and all(
        e.findtext(f"{ATOM}id") and e.findtext(f"{ATOM}updated") for e in entries
    )


def test_a_draft_news_item_is_not_in_the_feed(client: Client, portal: Any) -> None:
    news = NewsPage.objects.live().first()
    assert news is not None
    news.unpublish()
    assert news.title.encode() not in client.get("/feeds/news.rss").content


def _calendar(client: Client, path: str) -> icalendar.Calendar:
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def test_the_site_calendar_has_every_event(client: Client, portal: Any) -> None:
    cal = _calendar(client, "/feeds/events.ics")
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    events = cal.walk("VEVENT")
    assert len(events) == EventPage.objects.live().count()
    uids = {str(e["UID"]) for e in events}
    assert len(uids) == len(events)
    for event in events:
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert isinstance(start, dt.datetime) and start.tzinfo is not None and end >= start
        assert event["DTSTAMP"] and str(event["SUMMARY"])


def test_one_event_has_its_own_calendar_file(client: Client, portal: Any) -> None:
    page = EventPage.objects.get(slug="summer-academy-information-night")
    cal = _calendar(client, f"/feeds/events/{page.pk}.ics")
    (event,) = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == page.title
    assert event.decoded("DTSTART") == page.start
    assert str(event["URL"]).endswith("/events/summer-academy-information-night/")
    assert str(event["LOCATION"]) == page.location
    assert f"/feeds/events/{page.pk}.ics" in client.get(page.url).content.decode()


def test_a_program_calendar_has_its_events_only(client: Client, portal: Any) -> None:
    program = ProgramPage.objects.get(slug="summer-health-careers-academy")
    cal = _calendar(client, f"/feeds/programs/{program.pk}.ics")
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Summer academy information night"]


def test_an_unpublished_event_has_no_calendar_file(client: Client, portal: Any) -> None:
    page = EventPage.objects.get(slug="summer-academy-information-night")
    page.unpublish()
    assert client.get(f"/feeds/events/{page.pk}.ics").status_code == 404
    assert client.get("/feeds/events/999999.ics").status_code == 404
