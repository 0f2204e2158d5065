"""The complaint pages."""

from django.urls import path

from lastmeter.complaints import views

app_name = "complaints"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.new, name="new"),
    path("statements/", views.statements, name="statements"),
    path("<int:complaint_id>/", views.detail, name="detail"),
    path("<int:complaint_id>/statement/", views.statement, name="statement"),
    path("<int:complaint_id>/act/<str:action>/", views.act, name="act"),
    path("<int:complaint_id>/letters/<int:round>/", views.letter, name="letter"),
    path("<int:complaint_id>/evidence/<int:evidence_id>/", views.evidence_file, name="evidence_file"),
    path("t/<str:ctoken>/", views.track, name="track"),
    path("t/<str:ctoken>/letters/<int:round>/", views.track_letter, name="track_letter"),
]
