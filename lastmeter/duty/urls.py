"""The duty and campaign pages."""

from django.urls import path

from lastmeter.duty import views

app_name = "duty"

urlpatterns = [
    path("", views.index, name="index"),
    path("posts/new/", views.new_post, name="new_post"),
    path("posts/<int:post_id>/", views.post_detail, name="post"),
    path("posts/<int:post_id>/<str:action>/", views.post_act, name="post_act"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("campaigns/new/", views.new_campaign, name="new_campaign"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/result/", views.campaign_result, name="campaign_result"),
    path("campaigns/<int:campaign_id>/move/", views.campaign_move, name="campaign_move"),
]
