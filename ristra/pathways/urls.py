from __future__ import annotations

from django.urls import path

from ristra.pathways import views

urlpatterns = [
    path("", views.home, name="home"),
    path("programs/new/", views.program_new, name="program_new"),
    path("programs/<slug:slug>/", views.program_detail, name="program"),
    path("programs/<slug:slug>/edit/", views.program_edit, name="program_edit"),
    path("programs/<slug:slug>/partners/", views.partner_new, name="partner_new"),
    path(
        "programs/<slug:slug>/partners/<int:partner_id>/link/",
        views.partner_link,
        name="partner_link",
    ),
    path("programs/<slug:slug>/cohorts/", views.cohort_new, name="cohort_new"),
    path("programs/<slug:slug>/link/", views.link_start, name="link_start"),
    path("programs/<slug:slug>/review/", views.review, name="review"),
    path("programs/<slug:slug>/outcomes/", views.outcomes, name="outcomes"),
    path(
        "programs/<slug:slug>/clearinghouse/",
        views.clearinghouse_return,
        name="clearinghouse_return",
    ),
    path("cohorts/<int:cohort_id>/", views.cohort_detail, name="cohort"),
    path("cohorts/<int:cohort_id>/import/", views.participants_import, name="participants_import"),
    path("cohorts/<int:cohort_id>/sessions/", views.session_new, name="session_new"),
    path(
        "cohorts/<int:cohort_id>/clearinghouse/",
        views.clearinghouse_request,
        name="clearinghouse_request",
    ),
    path("imports/<int:batch_id>/", views.import_detail, name="import"),
    path("sessions/<int:session_id>/", views.attendance, name="attendance"),
    path("participants/<int:participant_id>/", views.participant_detail, name="participant"),
    path(
        "participants/<int:participant_id>/invite/",
        views.participant_invite,
        name="participant_invite",
    ),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("links/<int:link_id>/decide/", views.decide, name="decide"),
    path("returns/<int:return_id>/", views.return_detail, name="return"),
    path("partner/<str:token>/", views.partner_page, name="partner_page"),
    path("me/<str:token>/", views.self_update, name="self_update"),
]
