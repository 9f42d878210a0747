"""Checklist templates: staff screens to list, create and edit them (writers of searches
only), and editing a template never changes the checklists searches already copied."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ristra.people.models import OrgUnit
from ristra.plans import services
from ristra.plans.models import ChecklistTemplate

WRITERS = ["admin", "analyst"]
REFUSED = ["manager", "viewer", "decider", "decider_admin", "mentor", "mentee", "outsider"]


@pytest.fixture
def template(db: Any) -> ChecklistTemplate:
    return ChecklistTemplate.objects.create(
        name="Faculty search checklist", items=["Training current", "Outreach recorded"]
    )


def _urls(template: ChecklistTemplate) -> list[str]:
    return [
        reverse("plans:checklist_templates"),
        reverse("plans:checklist_template_new"),
        reverse("plans:checklist_template_edit", args=[template.pk]),
    ]


@pytest.mark.parametrize("who", WRITERS)
def test_writers_open_every_screen(client_for: Any, template: ChecklistTemplate, who: str) -> None:
    client = client_for(who)
    for url in _urls(template):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", REFUSED)
def test_other_roles_are_refused(client_for: Any, template: ChecklistTemplate, who: str) -> None:
    client = client_for(who)
    for url in _urls(template):
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("plans:checklist_template_edit", args=[template.pk]),
        {"name": "Changed", "items_text": "One"},
    )
    assert response.status_code == 403
    template.refresh_from_db()
    assert template.name == "Faculty search checklist"


def test_anonymous_is_sent_to_sign_in(client_for: Any, template: ChecklistTemplate) -> None:
    client = client_for(None)
    for url in _urls(template):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"] or "next=" in response["Location"]


def test_unknown_template_is_404(client_for: Any) -> None:
    response = client_for("admin").get(reverse("plans:checklist_template_edit", args=[999999]))
    assert response.status_code == 404


def test_searches_page_links_to_templates_for_writers_only(client_for: Any) -> None:
    link = reverse("plans:checklist_templates")
    assert link in client_for("analyst").get(reverse("plans:searches")).content.decode()
    assert link not in client_for("viewer").get(reverse("plans:searches")).content.decode()


def test_list_shows_templates(client_for: Any, template: ChecklistTemplate) -> None:
    body = client_for("admin").get(reverse("plans:checklist_templates")).content.decode()
    assert "Faculty search checklist" in body
    assert reverse("plans:checklist_template_edit", args=[template.pk]) in body


def test_create(client_for: Any) -> None:
    response = client_for("analyst").post(
        reverse("plans:checklist_template_new"),
        {
            "name": "  Staff   selection ",
            "items_text": "Panel trained\r\n\r\n  Questions   agreed \nPanel trained\n",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:checklist_templates")
    created = ChecklistTemplate.objects.get(name="Staff selection")
    assert created.items == ["Panel trained", "Questions agreed"]


def test_edit_prefills_and_saves(client_for: Any, template: ChecklistTemplate) -> None:
    client = client_for("admin")
    url = reverse("plans:checklist_template_edit", args=[template.pk])
    body = client.get(url).content.decode()
    assert "Training current\nOutreach recorded" in body
    response = client.post(
        url, {"name": "Faculty search checklist", "items_text": "Training current\nPool reviewed"}
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.items == ["Training current", "Pool reviewed"]


def test_editing_leaves_existing_search_checklist_unchanged(
    client_for: Any, template: ChecklistTemplate, cast: dict[str, Any]
) -> None:
    unit = OrgUnit.objects.create(name="Surgery", code="surg", kind="department")
    search = services.search_create(
        position="Chair of Surgery",
        unit=unit,
        cycle="2026-27",
        opens_on=dt.date(2026, 9, 1),
        template=template,
    )
    first = search.checklist.order_by("position").first()
    assert first is not None
    services.checklist_item_set(item=first, done=True, user=cast["admin"], note="All current")
    before = list(search.checklist.values_list("pk", "text", "position", "done_on", "note"))

    response = client_for("admin").post(
        reverse("plans:checklist_template_edit", args=[template.pk]),
        {"name": "Renamed checklist", "items_text": "Something else entirely\nTraining current"},
    )
    assert response.status_code == 302

    after = list(search.checklist.values_list("pk", "text", "position", "done_on", "note"))
    assert after == before
    assert [t for _pk, t, *_rest in after] == ["Training current", "Outreach recorded"]
    # A search created afterwards copies the new items.
    later = services.search_create(
        position="Chair of Medicine",
        unit=unit,
        cycle="2026-27",
        opens_on=dt.date(2026, 10, 1),
        template=ChecklistTemplate.objects.get(pk=template.pk),
    )
    assert list(later.checklist.values_list("text", flat=True)) == [
        "Something else entirely",
        "Training current",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "items_text": "One"}, "Give the checklist a name."),
        ({"name": "   ", "items_text": "One"}, "Give the checklist a name."),
        ({"name": "faculty SEARCH checklist", "items_text": "One"}, "already a checklist"),
        ({"name": "Another", "items_text": ""}, "Give at least one item, one per line."),
        ({"name": "Another", "items_text": "\n  \n"}, "Give at least one item, one per line."),
        ({"name": "Another", "items_text": "x" * 301}, "at most 300 characters"),
    ],
)
def test_invalid_input_shows_a_clear_message(
    client_for: Any, template: ChecklistTemplate, data: dict[str, str], message: str
) -> None:
    response = client_for("admin").post(reverse("plans:checklist_template_new"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "error-summary" in body
    assert message in body
    assert ChecklistTemplate.objects.count() == 1


def test_invalid_edit_keeps_the_template(client_for: Any, template: ChecklistTemplate) -> None:
    ChecklistTemplate.objects.create(name="Staff selection", items=["A"])
    response = client_for("analyst").post(
        reverse("plans:checklist_template_edit", args=[template.pk]),
        {"name": "Staff selection", "items_text": "New item"},
    )
    assert response.status_code == 400
    assert "already a checklist" in response.content.decode()
    template.refresh_from_db()
    assert template.name == "Faculty search checklist"
    assert template.items == ["Training current", "Outreach recorded"]
