"""The portal's own addresses, under the public site's prefix (see docs/portal.md)."""

from __future__ import annotations

from django.urls import path, re_path

from ristra.portal import views

app_name = "portal"

urlpatterns = [
    path("feeds/news.rss", views.news_rss, name="news_rss"),
    path("feeds/news.atom", views.news_atom, name="news_atom"),
    path("feeds/events.ics", views.events_ical, name="events_ical"),
    path("feeds/events/<int:pk>.ics", views.event_ical, name="event_ical"),
    path("feeds/programs/<int:pk>.ics", views.program_ical, name="program_ical"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/confirm/<str:token>/", views.subscribe_confirm, name="subscribe_confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("contact/", views.contact, name="contact"),
    re_path(r"^register/(?P<kind>program|event)/(?P<pk>[0-9]+)/$", views.register, name="register"),
]
