from django.urls import path, re_path

from lastmeter.open311 import views

app_name = "open311"
F = r"\.(?P<fmt>[a-z0-9]+)$"

urlpatterns = [
    path("", views.discovery, {"fmt": "json"}, name="root"),
    re_path(r"^discovery" + F, views.discovery, name="discovery"),
    re_path(r"^services" + F, views.services, name="services"),
    re_path(r"^services/(?P<code>[-\w]+)" + F, views.service_definition, name="service"),
    re_path(r"^requests" + F, views.requests_, name="requests"),
    # The written spec says /requests/{id}, the Open311 Swagger file /request/{id}: serve both.
    re_path(r"^requests/(?P<request_id>[-\w]+)" + F, views.request_detail, name="request"),
    re_path(r"^request/(?P<request_id>[-\w]+)" + F, views.request_detail, name="request_singular"),
    re_path(r"^tokens/(?P<token_id>[-\w]+)" + F, views.token, name="token"),
    re_path(r"^servicerequestupdates" + F, views.updates, name="updates"),
]
