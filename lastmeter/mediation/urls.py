"""The mediation pages."""

from django.urls import path

from lastmeter.mediation import views

app_name = "mediation"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.new, name="new"),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/act/<str:action>/", views.act, name="act"),
]
