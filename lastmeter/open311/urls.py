from django.urls import path, re_path

from lastmeter.open311 import views

app_name = "open311"
F = r"\.(?P<fmt>[a-z0-9]+)$"
# Ids are anything but a slash: the view answers an unknown one with the spec's error list (a
# narrower pattern sent odd ids to the site's HTML 404 page — found by the fuzzer).
ID = r"[^/]+"

urlpatterns = [
    path("", views.discovery, {"fmt": "json"}, name="root"),
    re_path(r"^discovery" + F, views.discovery, name="discovery"),
    re_path(r"^services" + F, views.services, name="services"),
    re_path(r"^services/(?P<code>" + ID + ")" + F, views.service_definition, name="service"),
    re_path(r"^requests" + F, views.requests_, name="requests"),
    # The written spec says /requests/{id}, the Open311 Swagger file /request/{id}: serve both.
    re_path(r"^requests/(?P<request_id>" + ID + ")" + F, views.request_detail, name="request"),
    re_path(r"^request/(?P<request_id>" + ID + ")" + F, views.request_detail, name="request_singular"),
    re_path(r"^tokens/(?P<token_id>" + ID + ")" + F, views.token, name="token"),
    re_path(r"^servicerequestupdates" + F, views.updates, name="updates"),
    # Anything else under /open311/v2/ is the spec's 404 error list, not the site's HTML page.
    re_path(r"^(?P<rest>.+)$", views.unknown, name="unknown"),
]
