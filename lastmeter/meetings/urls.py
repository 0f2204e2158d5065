"""The meetings pages and the one-window counter log."""

from django.urls import path

from lastmeter.meetings import views

app_name = "meetings"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("counter/", views.counter, name="counter"),
    path("counter/<int:visit_id>/<str:step>/", views.counter_step, name="counter_step"),
    path("<int:meeting_id>/", views.detail, name="detail"),
    path("<int:meeting_id>/act/<str:action>/", views.act, name="act"),
    path("<int:meeting_id>/print/", views.minutes_print, name="print"),
]
