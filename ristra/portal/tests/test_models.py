"""Editors' rules: alt text on images, sensible dates, reserved addresses, review dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from wagtail.blocks import StreamBlockValidationError
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file

from ristra.portal.blocks import BodyBlock
from ristra.portal.models import (
    EventPage,
    HomePage,
    StandardPage,
    StoryPage,
    add_months,
)


@pytest.fixture
def image(db: Any, settings: Any, tmp_path: Any) -> Image:
    settings.MEDIA_ROOT = tmp_path
    return Image.objects.create(title="Ristra", file=get_test_image_file())


def test_an_image_block_needs_alt_text_or_decorative(image: Image) -> None:
    block = BodyBlock()
    value = block.to_python(
        [{"type": "image", "value": {"image": image.pk, "alt_text": "", "decorative": False}}]
    )
    with pytest.raises(StreamBlockValidationError):
        block.clean(value)
    for alt, decorative in (("A red chile ristra", False), ("", True)):
        ok = block.to_python(
            [
                {
                    "type": "image",
                    "value": {"image": image.pk, "alt_text": alt, "decorative": decorative},
                }
            ]
        )
        block.clean(ok)


def test_a_rendered_image_carries_its_alt_text(client: Any, portal: Any, image: Image) -> None:
    page = StandardPage.objects.get(slug="action-plan")
    page.body = [("image", {"image": image, "alt_text": "A red chile ristra", "decorative": False})]
    page.save_revision().publish()
    html = client.get("/action-plan/").content.decode()
    assert 'alt="A red chile ristra"' in html


def test_a_story_portrait_needs_alt_text(portal: Any, image: Image) -> None:
    story = StoryPage.objects.first()
    assert story is not None
    story.portrait = image
    story.portrait_alt = ""
    with pytest.raises(ValidationError) as caught:
        story.full_clean()
    assert "portrait_alt" in caught.value.message_dict


def test_an_event_cannot_end_before_it_starts(portal: Any) -> None:
    event = EventPage.objects.first()
    assert event is not None
    event.end = event.start - dt.timedelta(hours=1)
    with pytest.raises(ValidationError) as caught:
        event.full_clean()
    assert "end" in caught.value.message_dict


def test_a_top_level_page_cannot_take_a_reserved_address(portal: Any) -> None:
    home = HomePage.objects.get(locale__language_code="en")
    page = StandardPage(title="Contact", slug="contact")
    with pytest.raises(ValidationError):
        home.add_child(instance=page)


def test_a_policy_needs_its_last_review_date(portal: Any) -> None:
    page = StandardPage.objects.get(slug="action-plan")
    page.review_cycle_months = 12
    page.last_reviewed = None
    with pytest.raises(ValidationError):
        page.full_clean()


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2025, 3, 14), 24, dt.date(2027, 3, 14)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2025, 11, 30), 3, dt.date(2026, 2, 28)),
        (dt.date(2025, 12, 1), 12, dt.date(2026, 12, 1)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected
