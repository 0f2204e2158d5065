"""The patrol pages."""

from django.urls import path

from lastmeter.patrols import views

app_name = "patrols"

urlpatterns = [
    path("", views.index, name="index"),
    path("plans/new/", views.new_plan, name="new_plan"),
    path("plans/<int:patrol_plan_id>/", views.plan_detail, name="plan"),
    path("plans/<int:patrol_plan_id>/state/", views.plan_state, name="plan_state"),
    path("plans/<int:patrol_plan_id>/assign/", views.assign_team, name="assign"),
    path("shifts/<int:shift_id>/", views.shift_phone, name="shift"),
    path("shifts/<int:shift_id>/check/", views.check, name="check"),
    path("shifts/<int:shift_id>/sighting/", views.sighting, name="sighting"),
    path("me/", views.my_network, name="me"),
    path("tasks/<int:task_id>/done/", views.task_done, name="task_done"),
]
