"""URL map: admin, API, Open311, pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from lastmeter.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("lastmeter.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("lastmeter.ops.urls")),
    path("intake/", include("lastmeter.intake.urls")),
    path("open311/v2/", include("lastmeter.open311.urls")),
    path("planning/", include("lastmeter.planning.urls")),
    path("broadcasts/", include("lastmeter.broadcasts.urls")),
    path("complaints/", include("lastmeter.complaints.urls")),
    path("mediation/", include("lastmeter.mediation.urls")),
    path("meetings/", include("lastmeter.meetings.urls")),
    path("duty/", include("lastmeter.duty.urls")),
    path("patrols/", include("lastmeter.patrols.urls")),
    path("stats/hotspots/", include("lastmeter.stats.hotspot_views")),
    path("stats/", include("lastmeter.stats.urls")),
    path("", include("lastmeter.appeals.urls")),
    path("", include("lastmeter.web.urls")),
]
