"""The public site's additions to the CMS: newsletter screens, subscribers, messages."""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet

from ristra.portal import admin_views
from ristra.portal.models import ContactMessage, Registration, Subscriber


@hooks.register("register_admin_urls")
def register_admin_urls() -> list[Any]:
    return [
        path("newsletter/", admin_views.newsletter_home, name="portal_newsletter"),
        path("newsletter/<int:pk>/", admin_views.newsletter_issue, name="portal_newsletter_issue"),
        path(
            "newsletter/<int:pk>/send/",
            admin_views.newsletter_issue_send,
            name="portal_newsletter_issue_send",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_newsletter_menu_item() -> MenuItem:
    return MenuItem(_("Newsletter"), reverse("portal_newsletter"), icon_name="mail", order=250)


class SubscriberViewSet(ModelViewSet):
    model = Subscriber
    icon = "group"
    menu_label = _("Subscribers")
    add_to_admin_menu = True
    menu_order = 260
    list_display = ["email", "status", "language", "created_at", "confirmed_at"]
    list_filter = ["status", "language"]
    search_fields = ["email"]
    form_fields = ["status"]
    copy_view_enabled = False


class ContactMessageViewSet(ModelViewSet):
    model = ContactMessage
    icon = "mail"
    menu_label = _("Messages")
    add_to_admin_menu = True
    menu_order = 270
    list_display = ["subject", "name", "email", "created_at", "emailed_at"]
    search_fields = ["subject", "name", "email", "message"]
    inspect_view_enabled = True
    form_fields = ["subject"]
    copy_view_enabled = False


class RegistrationViewSet(ModelViewSet):
    model = Registration
    icon = "form"
    menu_label = _("Registrations")
    add_to_admin_menu = True
    menu_order = 280
    list_display = ["what", "given_name", "family_name", "email", "school", "created_at"]
    search_fields = ["what", "given_name", "family_name", "email", "school"]
    inspect_view_enabled = True
    form_fields = ["school", "grade_level"]
    copy_view_enabled = False


@hooks.register("register_admin_viewset")
def register_viewsets() -> list[ModelViewSet]:
    return [
        SubscriberViewSet("portal_subscribers"),
        ContactMessageViewSet("portal_messages"),
        RegistrationViewSet("portal_registrations"),
    ]
