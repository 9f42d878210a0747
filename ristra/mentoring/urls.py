from __future__ import annotations

from django.urls import path

from ristra.mentoring import views

urlpatterns = [
    path("", views.home, name="home"),
    path("programs/new/", views.program_new, name="program_new"),
    path("programs/<slug:slug>/", views.program_detail, name="program"),
    path("programs/<slug:slug>/form/", views.form_builder, name="form"),
    path("programs/<slug:slug>/form/<int:question_id>/", views.question_edit, name="question"),
    path(
        "programs/<slug:slug>/form/<int:question_id>/move/",
        views.question_move,
        name="question_move",
    ),
    path(
        "programs/<slug:slug>/form/<int:question_id>/delete/",
        views.question_delete,
        name="question_delete",
    ),
    path("programs/<slug:slug>/cycles/new/", views.cycle_new, name="cycle_new"),
    path("cycles/<int:cycle_id>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:cycle_id>/status/", views.cycle_status, name="cycle_status"),
    path("cycles/<int:cycle_id>/enrol/", views.enrol, name="enrol"),
    path("cycles/<int:cycle_id>/withdraw/", views.withdraw, name="withdraw"),
    path("cycles/<int:cycle_id>/matching/", views.matching, name="matching"),
    path(
        "cycles/<int:cycle_id>/constraints/<int:constraint_id>/delete/",
        views.constraint_delete,
        name="constraint_delete",
    ),
    path("cycles/<int:cycle_id>/rank/", views.rank_mentors, name="rank"),
    path("cycles/<int:cycle_id>/suggestions/", views.suggestions, name="suggestions"),
    path("cycles/<int:cycle_id>/health/", views.health, name="health"),
    path("cycles/<int:cycle_id>/equity/", views.equity, name="equity"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/publish/", views.run_publish, name="run_publish"),
    path("requests/<int:request_id>/answer/", views.request_respond, name="request_respond"),
    path("pairs/<int:pair_id>/", views.pair_detail, name="pair"),
    path("service-record.<str:fmt>", views.service_record, name="service_record"),
    path("connect/<slug:slug>/", views.connect, name="connect"),
    path("connect/<slug:slug>/thanks/", views.connect_thanks, name="connect_thanks"),
    path("programs/<slug:slug>/volunteer/", views.volunteer, name="volunteer"),
    path("programs/<slug:slug>/outcomes/", views.outcomes, name="outcomes"),
    path("programs/<slug:slug>/connections/", views.connections, name="connections"),
    path("connections/<int:connection_id>/", views.connection_detail, name="connection"),
]
