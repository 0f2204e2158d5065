from django.urls import path

from lastmeter.web import command_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("command/", command_views.command_centre, name="command"),
    path("command/kpis.json", command_views.command_kpis, name="command_kpis"),
    path("phone/", command_views.phone, name="phone"),
    path("phone/manifest.webmanifest", command_views.phone_manifest, name="phone_manifest"),
    path("phone/sw.js", command_views.phone_service_worker, name="phone_sw"),
]
