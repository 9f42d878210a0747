# Wagtail ships no type hints, so django-stubs cannot infer the fields of Page subclasses.
# mypy: disable-error-code="var-annotated"
"""The public site: Wagtail pages edited by office staff, and the portal's own records.

Page types
----------
* :class:`HomePage` - the site root: welcome text, latest news, upcoming events.
* :class:`StandardPage` - the diversity statement and other policies. A page with a review
  cycle is a *policy*: it names an owner, is reviewed every N months, and keeps its review
  history (:class:`PolicyReview`); owners are reminded before a review is due.
* :class:`DirectoryPage` - offices and resources, each for one audience.
* :class:`ProgramIndexPage` / :class:`ProgramPage` - the programs catalogue.
* :class:`NewsIndexPage` / :class:`NewsPage` - news with tags (RSS and Atom feeds).
* :class:`StoryIndexPage` / :class:`StoryPage` - people's stories.
* :class:`EventIndexPage` / :class:`EventPage` - events (iCalendar per event, per program and
  for the whole site).
* :class:`NewsletterIndexPage` / :class:`NewsletterIssuePage` - the newsletter archive.
* :class:`DataPage` - headline measures from the internal dashboards, suppressed.

Records that are not pages: newsletter :class:`Subscriber` and :class:`Delivery`, contact
:class:`ContactMessage`, :class:`PolicyReminder` (one per policy, due date and lead time).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Locale, Orderable, Page
from wagtail.search import index

from ristra.core.addresses import STAFF_SEGMENTS
from ristra.portal.blocks import RICH_TEXT_FEATURES, BodyBlock

#: Addresses served by the portal's own views and by the staff application (see
#: ristra/core/addresses.py): no page may take these slugs at the top of the site.
RESERVED_SLUGS = STAFF_SEGMENTS


class Audience(models.TextChoices):
    """Who a directory entry is for (the source offices' own headings)."""

    MD_PROGRAM = "md_program", _("MD program")
    STUDENTS = "students", _("Students")
    INTERNATIONAL_STUDENTS = "international_students", _("International students")
    RESIDENTS_FELLOWS = "residents_fellows", _("Residents and fellows")
    MANAGERS_EMPLOYEES = "managers_employees", _("Managers and employees")
    FACULTY = "faculty", _("Faculty")


class ProgramAudience(models.TextChoices):
    HIGH_SCHOOL = "high_school", _("High school students")
    UNDERGRADUATE = "undergraduate", _("College students")
    POST_BACCALAUREATE = "post_baccalaureate", _("Post-baccalaureate")
    MEDICAL_STUDENTS = "medical_students", _("Medical students")
    RESIDENTS_FELLOWS = "residents_fellows", _("Residents and fellows")
    FACULTY = "faculty", _("Faculty")
    COMMUNITY = "community", _("Community members")


# ------------------------------------------------------------------------------ pages


class PortalPage(Page):
    """What every public page shares: a short summary used in listings and feeds."""

    summary = models.TextField(
        _("summary"),
        blank=True,
        help_text=_("One or two sentences shown in listings, search results and feeds."),
    )

    search_fields = [*Page.search_fields, index.SearchField("summary")]

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        parent = self.get_parent()
        if self.slug in RESERVED_SLUGS and parent is not None and parent.specific_class is HomePage:
            raise ValidationError(
                {"slug": _("This address is used by the site itself; choose another slug.")}
            )


class HomePage(PortalPage):
    intro = RichTextField(_("welcome text"), features=RICH_TEXT_FEATURES, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]
    parent_page_types = ["wagtailcore.Page"]
    template = "portal/home_page.html"

    class Meta:
        verbose_name = _("home page")

    def route(self, request: HttpRequest, path_components: list[str]) -> Any:
        """A page not yet translated is served from the default language's tree."""
        try:
            return super().route(request, path_components)
        except Http404:
            default = self.get_translation_or_none(Locale.get_default())
            if default is None or default.pk == self.pk:
                raise
            return Page.route(default.specific, request, path_components)

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        from ristra.portal import selectors

        context["latest_news"] = selectors.news_pages(locale=self.locale)[:3]
        context["upcoming_events"] = selectors.upcoming_events(locale=self.locale)[:3]
        return context


class StandardPage(PortalPage):
    """A page of text; with a review cycle it is a policy (e.g. the diversity statement)."""

    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)
    policy_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("policy owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Who is reminded before the next review is due."),
    )
    review_cycle_months = models.PositiveSmallIntegerField(
        _("review cycle (months)"),
        null=True,
        blank=True,
        help_text=_("Leave blank for a page that is not a policy. 24 = every two years."),
    )
    last_reviewed = models.DateField(_("last reviewed"), null=True, blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [
                        FieldPanel("policy_owner"),
                        FieldPanel("review_cycle_months"),
                        FieldPanel("last_reviewed"),
                    ]
                ),
                InlinePanel("reviews", label=_("Review history")),
            ],
            heading=_("Policy review"),
        ),
    ]
    template = "portal/standard_page.html"

    class Meta:
        verbose_name = _("standard page or policy")

    @property
    def is_policy(self) -> bool:
        return bool(self.review_cycle_months)

    @property
    def next_review_due(self) -> dt.date | None:
        if not self.review_cycle_months or self.last_reviewed is None:
            return None
        return add_months(self.last_reviewed, self.review_cycle_months)

    def clean(self) -> None:
        super().clean()
        if self.review_cycle_months and self.last_reviewed is None:
            raise ValidationError(
                {"last_reviewed": _("A policy with a review cycle needs its last review date.")}
            )
        if self.last_reviewed and self.last_reviewed > timezone.localdate():
            raise ValidationError({"last_reviewed": _("The last review cannot be in the future.")})


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, on the last day of a shorter month when needed."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


class PolicyReview(Orderable):
    page = ParentalKey(StandardPage, related_name="reviews", on_delete=models.CASCADE)
    reviewed_on = models.DateField(_("reviewed on"))
    reviewed_by = models.CharField(_("reviewed by"), max_length=200)
    outcome = models.TextField(
        _("outcome"), blank=True, help_text=_("What changed, or 'no changes'.")
    )

    panels = [FieldPanel("reviewed_on"), FieldPanel("reviewed_by"), FieldPanel("outcome")]

    class Meta(Orderable.Meta):
        verbose_name = _("review")
        ordering = ["-reviewed_on"]


class DirectoryPage(PortalPage):
    """Offices, organisations and resources, each for an audience (filterable)."""

    intro = RichTextField(_("introduction"), features=RICH_TEXT_FEATURES, blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("intro"),
        InlinePanel("entries", label=_("Offices and resources")),
    ]
    template = "portal/directory_page.html"

    class Meta:
        verbose_name = _("offices and resources directory")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        chosen = request.GET.get("audience", "")
        entries = list(self.entries.all())
        if chosen in Audience.values:
            entries = [e for e in entries if e.audience == chosen]
        else:
            chosen = ""
        groups = []
        for value, label in Audience.choices:
            items = [e for e in entries if e.audience == value]
            if items:
                groups.append({"value": value, "label": label, "entries": items})
        context.update(audiences=Audience.choices, chosen=chosen, groups=groups)
        return context


class DirectoryEntry(Orderable):
    page = ParentalKey(DirectoryPage, related_name="entries", on_delete=models.CASCADE)
    audience = models.CharField(_("audience"), max_length=40, choices=Audience.choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    url = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telephone"), max_length=40, blank=True)

    panels = [
        FieldPanel("audience"),
        FieldPanel("name"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("url"), FieldPanel("email"), FieldPanel("phone")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("office or resource")


class ProgramIndexPage(PortalPage):
    intro = RichTextField(_("introduction"), features=RICH_TEXT_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("intro")]
    subpage_types = ["portal.ProgramPage"]
    template = "portal/program_index_page.html"

    class Meta:
        verbose_name = _("programs catalogue")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        programs = ProgramPage.objects.child_of(self).live().public().order_by("title")
        chosen = request.GET.get("audience", "")
        if chosen in ProgramAudience.values:
            programs = programs.filter(audience=chosen)
        else:
            chosen = ""
        context.update(programs=programs, audiences=ProgramAudience.choices, chosen=chosen)
        return context


class ProgramPage(PortalPage):
    audience = models.CharField(_("audience"), max_length=40, choices=ProgramAudience.choices)
    grade_level = models.CharField(
        _("grade or level"), max_length=120, blank=True, help_text=_("e.g. 'Grades 10-12'.")
    )
    eligibility = RichTextField(_("eligibility"), features=RICH_TEXT_FEATURES)
    start_date = models.DateField(_("starts"), null=True, blank=True)
    end_date = models.DateField(_("ends"), null=True, blank=True)
    application_deadline = models.DateField(_("application deadline"), null=True, blank=True)
    length = models.CharField(_("length"), max_length=120, blank=True)
    stipend = models.DecimalField(
        _("stipend (USD)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    cost = models.DecimalField(
        _("cost to participants (USD)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    cost_note = models.CharField(
        _("about the cost"), max_length=200, blank=True, help_text=_("e.g. 'Housing provided'.")
    )
    how_to_apply = RichTextField(_("how to apply"), features=RICH_TEXT_FEATURES)
    apply_url = models.URLField(_("application address"), blank=True)
    applications_open = models.BooleanField(
        _("take applications on this site"),
        default=False,
        help_text=_("Shows a short form; each answer is kept for the pathways records."),
    )
    body = StreamField(BodyBlock(), verbose_name=_("more about the program"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldRowPanel([FieldPanel("audience"), FieldPanel("grade_level")]),
        FieldPanel("eligibility"),
        FieldRowPanel(
            [FieldPanel("start_date"), FieldPanel("end_date"), FieldPanel("application_deadline")]
        ),
        FieldPanel("length"),
        FieldRowPanel([FieldPanel("stipend"), FieldPanel("cost"), FieldPanel("cost_note")]),
        FieldPanel("how_to_apply"),
        FieldRowPanel([FieldPanel("apply_url"), FieldPanel("applications_open")]),
        FieldPanel("body"),
        InlinePanel("outcomes", label=_("Published outcomes")),
    ]
    parent_page_types = ["portal.ProgramIndexPage"]
    template = "portal/program_page.html"
    search_fields = [*PortalPage.search_fields, index.SearchField("eligibility")]

    class Meta:
        verbose_name = _("program")

    def clean(self) -> None:
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("A program cannot end before it starts.")})

    def structured_data(self, request: HttpRequest | None = None) -> str:
        """schema.org EducationalOccupationalProgram as JSON-LD (safe in a script element)."""
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "EducationalOccupationalProgram",
            "name": self.title,
            "description": self.summary,
            "url": self.get_full_url(request),
            "programPrerequisites": self.grade_level or str(self.get_audience_display()),
        }
        if self.start_date:
            data["startDate"] = self.start_date.isoformat()
        if self.end_date:
            data["endDate"] = self.end_date.isoformat()
        if self.application_deadline:
            data["applicationDeadline"] = self.application_deadline.isoformat()
        if self.length:
            data["timeToComplete"] = self.length
        if self.cost is not None:
            data["offers"] = {"@type": "Offer", "price": str(self.cost), "priceCurrency": "USD"}
        if self.stipend is not None:
            data["financialAidEligible"] = _("Stipend of %(amount)s USD") % {"amount": self.stipend}
        text = json.dumps(data, ensure_ascii=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class ProgramOutcome(Orderable):
    page = ParentalKey(ProgramPage, related_name="outcomes", on_delete=models.CASCADE)
    measure = models.CharField(_("outcome"), max_length=200)
    value = models.CharField(_("result"), max_length=100)
    cohorts = models.CharField(_("cohorts"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    panels = [
        FieldPanel("measure"),
        FieldPanel("value"),
        FieldPanel("cohorts"),
        FieldPanel("source"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("published outcome")


class NewsIndexPage(PortalPage):
    intro = RichTextField(_("introduction"), features=RICH_TEXT_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("intro")]
    subpage_types = ["portal.NewsPage"]
    template = "portal/news_index_page.html"

    class Meta:
        verbose_name = _("news index")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        news = NewsPage.objects.child_of(self).live().public().order_by("-date", "-pk")
        tag = request.GET.get("tag", "").strip()[:100]
        if tag:
            news = news.filter(tags__slug=tag)
        context.update(news=news, tag=tag)
        return context


class NewsPageTag(TaggedItemBase):
    content_object = ParentalKey(
        "portal.NewsPage", related_name="tagged_items", on_delete=models.CASCADE
    )


class NewsPage(PortalPage):
    date = models.DateField(_("date"), default=timezone.localdate)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)
    tags = ClusterTaggableManager(through=NewsPageTag, blank=True, verbose_name=_("tags"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("tags"),
    ]
    parent_page_types = ["portal.NewsIndexPage"]
    template = "portal/news_page.html"
    search_fields = [*PortalPage.search_fields, index.SearchField("body")]

    class Meta:
        verbose_name = _("news item")


class StoryIndexPage(PortalPage):
    intro = RichTextField(_("introduction"), features=RICH_TEXT_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("intro")]
    subpage_types = ["portal.StoryPage"]
    template = "portal/story_index_page.html"

    class Meta:
        verbose_name = _("stories index")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["stories"] = StoryPage.objects.child_of(self).live().public().order_by("title")
        return context


class StoryPage(PortalPage):
    person_name = models.CharField(_("person"), max_length=200)
    person_role = models.CharField(_("role"), max_length=200, blank=True)
    portrait = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("portrait"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    portrait_alt = models.CharField(
        _("portrait alt text"),
        max_length=250,
        blank=True,
        help_text=_("Describe the picture for people who cannot see it (required with a picture)."),
    )
    body = StreamField(BodyBlock(), verbose_name=_("story"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldRowPanel([FieldPanel("person_name"), FieldPanel("person_role")]),
        FieldPanel("portrait"),
        FieldPanel("portrait_alt"),
        FieldPanel("body"),
    ]
    parent_page_types = ["portal.StoryIndexPage"]
    template = "portal/story_page.html"

    class Meta:
        verbose_name = _("story")

    def clean(self) -> None:
        super().clean()
        if self.portrait_id and not self.portrait_alt.strip():
            raise ValidationError(
                {"portrait_alt": _("Describe the portrait: alt text is required.")}
            )


class EventIndexPage(PortalPage):
    intro = RichTextField(_("introduction"), features=RICH_TEXT_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("intro")]
    subpage_types = ["portal.EventPage"]
    template = "portal/event_index_page.html"

    class Meta:
        verbose_name = _("events calendar")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        events = EventPage.objects.child_of(self).live().public()
        now = timezone.now()
        context["upcoming"] = events.filter(end__gte=now).order_by("start")
        context["past"] = events.filter(end__lt=now).order_by("-start")[:10]
        return context


class EventPage(PortalPage):
    start = models.DateTimeField(_("starts"))
    end = models.DateTimeField(_("ends"))
    location = models.CharField(_("place"), max_length=250, blank=True)
    online_url = models.URLField(_("online address"), blank=True)
    registration_url = models.URLField(
        _("registration address"),
        blank=True,
        help_text=_("An outside registration page; or open registration on this site below."),
    )
    registration_open = models.BooleanField(_("take registrations on this site"), default=False)
    program = models.ForeignKey(
        ProgramPage,
        verbose_name=_("program"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    body = StreamField(BodyBlock(), verbose_name=_("about the event"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldRowPanel([FieldPanel("start"), FieldPanel("end")]),
        FieldPanel("location"),
        FieldPanel("online_url"),
        FieldRowPanel([FieldPanel("registration_url"), FieldPanel("registration_open")]),
        FieldPanel("program"),
        FieldPanel("body"),
    ]
    parent_page_types = ["portal.EventIndexPage"]
    template = "portal/event_page.html"

    class Meta:
        verbose_name = _("event")

    def clean(self) -> None:
        super().clean()
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("An event cannot end before it starts.")})

    @property
    def ical_url(self) -> str:
        return reverse("portal:event_ical", args=[self.pk])


class NewsletterIndexPage(PortalPage):
    """The newsletter archive and the subscription form."""

    intro = RichTextField(_("introduction"), features=RICH_TEXT_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("intro")]
    subpage_types = ["portal.NewsletterIssuePage"]
    template = "portal/newsletter_index_page.html"

    class Meta:
        verbose_name = _("newsletter archive")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from ristra.portal.forms import SubscribeForm

        context = super().get_context(request, *args, **kwargs)
        context["issues"] = (
            NewsletterIssuePage.objects.child_of(self).live().public().order_by("-issue_date")
        )
        context["form"] = SubscribeForm()
        return context


class NewsletterIssuePage(PortalPage):
    issue_date = models.DateField(_("issue date"), default=timezone.localdate)
    intro = RichTextField(_("opening note"), features=RICH_TEXT_FEATURES, blank=True)
    news = ParentalManyToManyField(NewsPage, verbose_name=_("news"), blank=True, related_name="+")
    events = ParentalManyToManyField(
        EventPage, verbose_name=_("events"), blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)

    content_panels = [
        *Page.content_panels,
        FieldPanel("issue_date"),
        FieldPanel("summary"),
        FieldPanel("intro"),
        FieldPanel("news", widget=forms.CheckboxSelectMultiple),
        FieldPanel("events", widget=forms.CheckboxSelectMultiple),
    ]
    parent_page_types = ["portal.NewsletterIndexPage"]
    template = "portal/newsletter_issue_page.html"

    class Meta:
        verbose_name = _("newsletter issue")

    def items(self) -> tuple[list[NewsPage], list[EventPage]]:
        news = list(self.news.live().order_by("-date"))
        events = list(self.events.live().order_by("start"))
        return news, events


class DataPage(PortalPage):
    """Headline measures, straight from the internal dashboards (published numbers only)."""

    intro = RichTextField(_("introduction"), features=RICH_TEXT_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("intro")]
    template = "portal/data_page.html"

    class Meta:
        verbose_name = _("public data page")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from ristra.portal import selectors

        context = super().get_context(request, *args, **kwargs)
        context["headlines"] = selectors.public_headlines()
        return context


# ------------------------------------------------------------------------------ settings


@register_setting(icon="mail")
class PortalSettings(BaseSiteSetting):
    office_name = models.CharField(_("office name"), max_length=200, blank=True)
    office_email = models.EmailField(
        _("office e-mail"), blank=True, help_text=_("Contact-form messages are sent here.")
    )
    phone = models.CharField(_("telephone"), max_length=40, blank=True)
    address = models.TextField(_("address"), blank=True)

    class Meta:
        verbose_name = _("public site settings")


# ------------------------------------------------------------------------------ records


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")

    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    language = models.CharField(_("language"), max_length=10, default="en")
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)

    class Meta:
        verbose_name = _("newsletter subscriber")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")),
                name="portal_subscriber_email_lowercase",
            )
        ]

    def __str__(self) -> str:
        return self.email


class Delivery(models.Model):
    """One issue to one subscriber: sent at most once, failures kept and retried."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        #: Handed to the mail server; if the process dies now the outcome is unknown, and
        #: the row is never retried (a second copy is worse than a missing one).
        SENDING = "sending", _("sending (outcome unknown if it stays)")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    issue = models.ForeignKey(
        NewsletterIssuePage, on_delete=models.CASCADE, related_name="deliveries"
    )
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    email = models.EmailField(_("e-mail"), max_length=254)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("newsletter delivery")
        verbose_name_plural = _("newsletter deliveries")
        constraints = [
            models.UniqueConstraint(fields=["issue", "subscriber"], name="portal_delivery_once"),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="portal_delivery_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.status}"


class ContactMessage(models.Model):
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    subject = models.CharField(_("subject"), max_length=200)
    message = models.TextField(_("message"))
    language = models.CharField(max_length=10, default="en")
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("contact message")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.email})"


class Registration(models.Model):
    """Someone registering for an event or applying to a program from the public site.

    Kept as the participant record the pathways module links to a person later.
    """

    program = models.ForeignKey(
        ProgramPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.ForeignKey(
        EventPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    what = models.CharField(_("for"), max_length=255)
    given_name = models.CharField(_("first name"), max_length=100)
    family_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"))
    school = models.CharField(_("school or organisation"), max_length=200, blank=True)
    grade_level = models.CharField(_("grade or year"), max_length=60, blank=True)
    language = models.CharField(max_length=10, default="en")
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("registration or application")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(program__isnull=False) | models.Q(event__isnull=False),
                name="portal_registration_has_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}: {self.what}"


class PolicyReminder(models.Model):
    """A reminder sent to a policy's owner: one per page, due date and lead time."""

    page = models.ForeignKey(StandardPage, on_delete=models.CASCADE, related_name="reminders")
    due_on = models.DateField()
    days_before = models.SmallIntegerField()
    email = models.EmailField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["page", "due_on", "days_before"], name="portal_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.due_on} ({self.days_before} days before)"
