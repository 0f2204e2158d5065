"""The stats app's pages under /stats/ (namespace ``stats``): the dashboards and their exports, and
the printable reports; the hotspot map keeps its own module."""

from __future__ import annotations

from django.urls import path

from lastmeter.stats import views
from lastmeter.stats.community_views import complaint_figures, mediation_figures
from lastmeter.stats.report_views import report_page

app_name = "stats"

urlpatterns = [
    path("report/<str:level>/", report_page, name="report"),
    path("", views.landing, name="landing"),
    path("complaints/", complaint_figures, name="complaint_figures"),
    path("mediation/", mediation_figures, name="mediation_figures"),
    path("leadership/", views.dashboard, {"level": "leadership"}, name="leadership"),
    path("community/<int:community_id>/", views.dashboard, {"level": "community"}, name="community"),
    path("grid/<int:grid_id>/", views.dashboard, {"level": "grid"}, name="grid"),
    path("department/<int:department_id>/", views.dashboard, {"level": "department"}, name="department"),
    path("leadership/export/", views.export, {"level": "leadership"}, name="leadership_export"),
    path(
        "community/<int:community_id>/export/", views.export, {"level": "community"}, name="community_export"
    ),
    path("grid/<int:grid_id>/export/", views.export, {"level": "grid"}, name="grid_export"),
    path(
        "department/<int:department_id>/export/",
        views.export,
        {"level": "department"},
        name="department_export",
    ),
]
