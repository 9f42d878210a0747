from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from ristra.core import views as core_views

handler403 = "ristra.core.views.forbidden"
handler404 = "ristra.core.views.not_found"
handler500 = "ristra.core.views.server_error"

urlpatterns = [
    # The staff application: its home, then each section under its own prefix.
    path("office/", core_views.home, name="home"),
    path("display/", core_views.display_settings, name="display_settings"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("ristra.accounts.sso_urls")),  # before allauth (single sign-on)
    path("accounts/", include("allauth.urls")),
    path("people/", include("ristra.people.urls")),
    path("audit/", include("ristra.audit.urls")),
    path("measures/", include(("ristra.reports.urls", "reports"))),
    path("users/", include("ristra.accounts.urls")),
    path("mentoring/", include(("ristra.mentoring.urls", "mentoring"))),
    path("plans/", include(("ristra.plans.urls", "plans"))),
    path("pathways/", include(("ristra.pathways.urls", "pathways"))),
    path("surveys/", include(("ristra.surveys.urls", "surveys"))),
    path("health/", core_views.health, name="health"),
    path("api/", include("ristra.api.urls")),
    # Public site (docs/portal.md): the CMS for office staff, the site's forms and feeds,
    # then (last, below) the pages themselves at the root of the address.
    path("cms/login/", RedirectView.as_view(url="/accounts/login/", query_string=True)),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # Addresses under /site/ from before the public site moved to the root keep working.
    re_path(r"^site/(?P<rest>.*)$", core_views.old_site_address),
    path("", include(("ristra.portal.urls", "portal"))),
]

if settings.DEBUG or settings.ADMIN_ENABLED:
    urlpatterns.append(path("django-admin/", admin.site.urls))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves every other address as a public page: keep this last.
urlpatterns.append(path("", include(wagtail_urls)))
