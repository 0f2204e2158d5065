from django.urls import path

from lastmeter.broadcasts import views

app_name = "broadcasts"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.compose, name="compose"),
    path("<int:broadcast_id>/", views.detail, name="detail"),
    path("<int:broadcast_id>/act/", views.act, name="act"),
    path("<int:broadcast_id>/edit/", views.edit, name="edit"),
    path("drafts/", views.make_drafts, name="drafts"),
    path("audiences/", views.audiences, name="audiences"),
    path("audiences/<int:audience_id>/", views.audience_edit, name="audience_edit"),
    path("alerts/new/", views.alert_new, name="alert_new"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("alerts/<int:alert_id>/act/", views.alert_act, name="alert_act"),
    path("alerts/feed.atom", views.alerts_feed, name="alerts_feed"),
    path("alerts/p/<str:token>/", views.alert_public, name="alert_public"),
    path("alerts/p/<str:token>/photo", views.alert_photo, name="alert_photo"),
    path("alerts/p/<str:token>/cap.xml", views.alert_cap, name="alert_cap"),
    path("sms/replies/", views.sms_inbound, name="sms_inbound"),
]
