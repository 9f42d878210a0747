"""The public site's shell: its home page and menu in the visitor's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from wagtail.models import Page, Site

register = template.Library()


def _default_root(request: HttpRequest | None) -> Page | None:
    site = Site.find_for_request(request) if request is not None else None
    if site is None:
        site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    return site.root_page if site is not None else None


def site_root(request: HttpRequest | None) -> Page | None:
    """The home page in the visitor's language (the default language's when untranslated)."""
    root = _default_root(request)
    return root.localized if root is not None else None


@register.simple_tag(takes_context=True)
def portal_home(context: dict[str, Any]) -> Page | None:
    return site_root(context.get("request"))


@register.simple_tag(takes_context=True)
def portal_menu(context: dict[str, Any]) -> list[dict[str, Any]]:
    """The home page's menu children, each marked when the current page is in its section."""
    root = _default_root(context.get("request"))
    if root is None:
        return []
    current = context.get("page")
    path = getattr(current, "path", "") if isinstance(current, Page) else ""
    menu = []
    for item in root.get_children().live().public().in_menu():
        item = item.localized  # the translation when there is one, else the original
        menu.append(
            {
                "page": item,
                "section": bool(path) and path.startswith(item.path),
                "here": path == item.path,
            }
        )
    return menu


@register.simple_tag
def public_data_table(table: Any, prefix: str) -> SafeString:
    """The internal dashboards' table HTML, with its caption id made unique on the page
    (the public page shows the same section of several populations)."""
    from ristra.reports.templatetags.report_tags import data_table

    html = str(data_table(table))
    key = conditional_escape(table.key)
    unique = f'id="cap-t-{conditional_escape(prefix)}-{key}"'
    return mark_safe(html.replace(f'id="cap-t-{key}"', unique, 1))  # noqa: S308 - escaped
