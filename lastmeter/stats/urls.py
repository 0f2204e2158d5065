"""The stats app's pages under /stats/ (namespace ``stats``); the hotspot map keeps its own module."""

from __future__ import annotations

from django.urls import path

from lastmeter.stats.report_views import report_page

app_name = "stats"
urlpatterns = [
    path("report/<str:level>/", report_page, name="report"),
]
