"""The patrol pages."""

from django.urls import path

from lastmeter.patrols import team_views, views

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
    path("teams/new/", team_views.new_team, name="new_team"),
    path("teams/<int:team_id>/", team_views.team_detail, name="team"),
    path("teams/<int:team_id>/members/", team_views.add_member, name="add_member"),
    path("teams/<int:team_id>/members/<int:member_id>/", team_views.update_member, name="update_member"),
    path(
        "teams/<int:team_id>/members/<int:member_id>/remove/", team_views.remove_member, name="remove_member"
    ),
    path("me/", views.my_network, name="me"),
    path("tasks/<int:task_id>/done/", views.task_done, name="task_done"),
]
