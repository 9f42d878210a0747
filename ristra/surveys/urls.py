from __future__ import annotations

from django.urls import path

from ristra.surveys import views

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.survey_new, name="new"),
    path("<int:survey_id>/", views.survey_detail, name="detail"),
    path("<int:survey_id>/instrument/", views.instrument_edit, name="instrument"),
    path("<int:survey_id>/builder/", views.instrument_builder, name="builder"),
    path("<int:survey_id>/builder/details/", views.builder_details, name="builder_details"),
    path("<int:survey_id>/builder/labels/", views.builder_labels, name="builder_labels"),
    path("<int:survey_id>/builder/add-item/", views.builder_item, name="builder_item_new"),
    path("<int:survey_id>/builder/items/<str:key>/", views.builder_item, name="builder_item"),
    path(
        "<int:survey_id>/builder/items/<str:key>/remove/",
        views.builder_item_remove,
        name="builder_item_remove",
    ),
    path(
        "<int:survey_id>/builder/sections/<int:index>/",
        views.builder_section,
        name="builder_section",
    ),
    path(
        "<int:survey_id>/builder/sections/<int:index>/remove/",
        views.builder_section_remove,
        name="builder_section_remove",
    ),
    path("<int:survey_id>/builder/add-scale/", views.builder_scale, name="builder_scale_new"),
    path("<int:survey_id>/builder/scales/<str:key>/", views.builder_scale, name="builder_scale"),
    path("<int:survey_id>/preview/", views.preview, name="preview"),
    path("<int:survey_id>/status/", views.survey_status, name="status"),
    path("<int:survey_id>/invite/", views.invite, name="invite"),
    path("<int:survey_id>/codes/", views.codes, name="codes"),
    path("<int:survey_id>/import/", views.import_responses, name="import"),
    path("<int:survey_id>/imports/<int:batch_id>/", views.import_detail, name="import_detail"),
    path("<int:survey_id>/benchmark/", views.benchmark, name="benchmark"),
    path("<int:survey_id>/actions/new/", views.action_new, name="action_new"),
    path("<int:survey_id>/actions/<int:action_id>/", views.action_edit, name="action"),
    path("<int:survey_id>/results/", views.results, name="results"),
    path("s/<str:link_key>/", views.respond_link, name="respond_link"),
    path("r/<str:token>/", views.respond_invitation, name="respond_invitation"),
    path("thanks/", views.thanks, name="thanks"),
]
