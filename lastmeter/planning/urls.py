"""Planner pages under /planning/."""

from django.urls import path

from lastmeter.planning import views

app_name = "planning"

urlpatterns = [
    path("", views.index, name="index"),
    path("plans/new/", views.create, name="create"),
    path("plans/<int:plan_id>/", views.plan, name="plan"),
    path("plans/<int:plan_id>/act/<str:action>/", views.act, name="act"),
    path("service-areas/", views.service_areas, name="service_areas"),
    path("platforms/", views.save_platform, name="save_platform"),
]
