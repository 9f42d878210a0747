from __future__ import annotations

from django.urls import path

from ristra.plans import views

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.plan_new, name="plan_new"),
    path("<int:plan_id>/", views.plan_detail, name="plan"),
    path("<int:plan_id>/edit/", views.plan_edit, name="plan_edit"),
    path("<int:plan_id>/goals/new/", views.goal_new, name="goal_new"),
    path("<int:plan_id>/recompute/", views.plan_recompute, name="recompute"),
    path("<int:plan_id>/export/<str:fmt>/", views.plan_export, name="export"),
    path("<int:plan_id>/evidence-pack/", views.evidence_pack, name="evidence_pack"),
    path("goals/<int:goal_id>/actions/new/", views.action_new, name="action_new"),
    path("goals/<int:goal_id>/indicators/new/", views.indicator_edit, name="indicator_new"),
    path("actions/<int:action_id>/", views.action_edit, name="action"),
    path("indicators/<int:indicator_id>/", views.indicator_detail, name="indicator"),
    path("indicators/<int:indicator_id>/edit/", views.indicator_edit, name="indicator_edit"),
    path("trainings/", views.trainings, name="trainings"),
    path("trainings/new/", views.training_new, name="training_new"),
    path("trainings/remind/", views.training_remind, name="training_remind"),
    path("trainings/<int:training_id>/who/", views.requirement_new, name="requirement_new"),
    path("trainings/<int:training_id>/overdue/", views.training_overdue, name="overdue"),
    path("trainings/<int:training_id>/upload/", views.completion_upload, name="upload"),
    path("trainings/batches/<int:batch_id>/", views.completion_batch, name="batch"),
    path("searches/", views.searches, name="searches"),
    path("searches/new/", views.search_new, name="search_new"),
    path("searches/checklists/", views.checklist_templates, name="checklist_templates"),
    path("searches/checklists/new/", views.checklist_template_edit, name="checklist_template_new"),
    path(
        "searches/checklists/<int:template_id>/",
        views.checklist_template_edit,
        name="checklist_template_edit",
    ),
    path("searches/<int:search_id>/", views.search_detail, name="search"),
    path("checklist/<int:item_id>/", views.checklist_toggle, name="checklist_toggle"),
]
