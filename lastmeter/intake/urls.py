from django.urls import path

from lastmeter.intake import views, webhooks

app_name = "intake"

urlpatterns = [
    path("hooks/<str:kind>/", webhooks.hook, name="hook"),
    path("report/", views.report, name="report"),
    path("report/roads.geojson", views.report_roads, name="report_roads"),
    path("call/", views.record_call, name="call"),
    path("on-behalf/", views.on_behalf, name="on_behalf"),
    path("inbox/", views.inbox, name="inbox"),
    path("items/<int:item_id>/", views.item_detail, name="item"),
    path("items/<int:item_id>/reverse/", views.reverse_item, name="reverse"),
    path("items/<int:item_id>/retry/", views.retry_item, name="retry"),
    path("locate/", views.locate, name="locate"),
    path("locate/<int:appeal_id>/", views.set_location, name="set_location"),
    path("appeals/<int:appeal_id>/category/", views.correct_category, name="correct_category"),
]
