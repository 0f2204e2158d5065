"""The appeal pages: the queue, an appeal with its actions, the resident's tracking page."""

from django.urls import path

from lastmeter.appeals import views

app_name = "appeals"

urlpatterns = [
    path("appeals/", views.queue, name="queue"),
    path("appeals/<int:appeal_id>/", views.detail, name="detail"),
    path("appeals/<int:appeal_id>/act/<str:action>/", views.act, name="act"),
    path("departments/inbox/", views.department_inbox, name="department_inbox"),
    path("t/<str:token>/", views.track, name="track"),
    path("t/<str:token>/feedback/", views.track_feedback, name="track_feedback"),
    path("t/<str:token>/code/", views.track_code, name="track_code"),
    path("f/<str:signed>/", views.follow, name="follow"),
    path("appeals/<int:appeal_id>/media/<int:media_id>/", views.media, name="media"),
]
