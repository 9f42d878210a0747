"""URLs of the category and benchmark screens (included under /measures/, namespace "reports")."""

from __future__ import annotations

from django.urls import path

from ristra.reports import views_definitions as views

urlpatterns = [
    path("categories/", views.categories, name="categories"),
    path("categories/new/", views.category_new, name="category_new"),
    path("categories/check/", views.category_check, name="category_check"),
    path("categories/<int:category_id>/edit/", views.category_edit, name="category_edit"),
    path(
        "categories/<int:category_id>/new-version/",
        views.category_version,
        name="category_version",
    ),
    path("benchmarks/", views.benchmarks, name="benchmarks"),
    path("benchmarks/new/", views.benchmark_new, name="benchmark_new"),
    path("benchmarks/<int:benchmark_id>/", views.benchmark_detail, name="benchmark_detail"),
]
