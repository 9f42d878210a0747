"""CMS screens for the newsletter: compose an issue from recent news and events, send it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.admin.auth import require_admin_access

from ristra.portal import services
from ristra.portal.models import Delivery, NewsletterIndexPage, NewsletterIssuePage, Subscriber


def _issue_for(request: HttpRequest, pk: int, *, publish: bool) -> NewsletterIssuePage:
    """The issue, if this editor may edit it (and publish, to send it); 404 otherwise."""
    issue = get_object_or_404(NewsletterIssuePage, pk=pk)
    perms = issue.permissions_for_user(request.user)
    if not perms.can_edit() or (publish and not perms.can_publish()):
        raise Http404
    return issue


@require_admin_access
@require_http_methods(["GET", "POST"])
def newsletter_home(request: HttpRequest) -> HttpResponse:
    archive = NewsletterIndexPage.objects.first()
    if request.method == "POST":
        if archive is None or not archive.permissions_for_user(request.user).can_add_subpage():
            messages.error(request, _("You may not add issues to the newsletter archive."))
            return redirect("portal_newsletter")
        title = request.POST.get("title", "").strip()[:200] or _("Newsletter, %(month)s") % {
            "month": date_format(timezone.localdate(), "F Y")
        }
        issue = services.newsletter_compose(archive=archive, title=title)
        messages.success(
            request,
            _(
                "A draft issue was made from recent news and upcoming events. "
                "Edit it, publish it, then send it."
            ),
        )
        return redirect("wagtailadmin_pages:edit", issue.pk)
    issues = (
        NewsletterIssuePage.objects.all()
        .order_by("-issue_date", "-pk")
        .annotate(delivered=Count("deliveries"))[:24]
    )
    context: dict[str, Any] = {
        "archive": archive,
        "issues": issues,
        "confirmed": Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).count(),
        "pending": Subscriber.objects.filter(status=Subscriber.Status.PENDING).count(),
        "default_title": _("Newsletter, %(month)s")
        % {"month": date_format(timezone.localdate(), "F Y")},
    }
    return render(request, "portal/admin/newsletter_home.html", context)


@require_admin_access
def newsletter_issue(request: HttpRequest, pk: int) -> HttpResponse:
    issue = _issue_for(request, pk, publish=False)
    counts = dict(
        Delivery.objects.filter(issue=issue)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    context = {
        "issue": issue,
        "counts": [(label, counts.get(value, 0)) for value, label in Delivery.Status.choices],
        "failures": Delivery.objects.filter(issue=issue, status=Delivery.Status.FAILED)[:50],
        "confirmed": Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).count(),
        "can_send": issue.live and issue.permissions_for_user(request.user).can_publish(),
    }
    return render(request, "portal/admin/newsletter_issue.html", context)


@require_admin_access
@require_POST
def newsletter_issue_send(request: HttpRequest, pk: int) -> HttpResponse:
    from ristra.portal.tasks import newsletter_send_task

    issue = _issue_for(request, pk, publish=True)
    if not issue.live:
        messages.error(request, _("Publish the issue before sending it."))
    else:
        newsletter_send_task.enqueue(issue.pk)
        messages.success(
            request,
            _(
                "Sending has started. Nobody already sent to gets a second copy; "
                "failures are retried."
            ),
        )
    return redirect(reverse("portal_newsletter_issue", args=[issue.pk]))
