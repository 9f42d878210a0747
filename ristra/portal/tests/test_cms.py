"""Editors work in the CMS: every page type's editor opens, and content checks apply."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from wagtail.models import Page

from ristra.portal import models as m

PAGE_TYPES = [
    m.HomePage,
    m.StandardPage,
    m.DirectoryPage,
    m.ProgramIndexPage,
    m.ProgramPage,
    m.NewsIndexPage,
    m.NewsPage,
    m.StoryIndexPage,
    m.StoryPage,
    m.EventIndexPage,
    m.EventPage,
    m.NewsletterIndexPage,
    m.NewsletterIssuePage,
    m.DataPage,
]


@pytest.fixture
def editor(client: Client, portal: Any, cast: dict[str, Any]) -> Client:
    user = cast["admin"]
    user.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(user)
    return client


@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=lambda t: t.__name__)
def test_every_page_type_opens_in_the_editor(editor: Client, page_type: type[Page]) -> None:
    page = page_type.objects.filter(locale__language_code="en").first()
    assert page is not None
    response = editor.get(f"/cms/pages/{page.pk}/edit/")
    assert response.status_code == 200


def test_an_editor_adds_a_news_item_with_tags(editor: Client) -> None:
    index = m.NewsIndexPage.objects.get()
    response = editor.get(f"/cms/pages/add/portal/newspage/{index.pk}/")
    assert response.status_code == 200


def test_the_subscribers_and_messages_lists_open(editor: Client) -> None:
    m.Subscriber.objects.create(email="a@example.org")
    m.ContactMessage.objects.create(name="A", email="a@example.org", subject="Hi", message="x")
    assert editor.get("/cms/portal_subscribers/").status_code == 200
    assert editor.get("/cms/portal_messages/").status_code == 200


def test_a_viewer_without_cms_access_is_kept_out(
    client: Client, portal: Any, cast: dict[str, Any]
) -> None:
    client.force_login(cast["viewer"])
    assert client.get("/cms/").status_code in (302, 403)
    assert client.get("/cms/portal_subscribers/").status_code in (302, 403)
