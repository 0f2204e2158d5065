"""Pages of the command centre (dispatchers) and the officer's phone (a PWA).

Both pages render their initial state into the HTML once and then follow the websocket at
ws/live/; they never poll. Writes go through the /api/v1 endpoints of the dispatching and
appeals apps with the session cookie and the CSRF header, so the rules are the API's rules.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache

from lastmeter.accounts.auth import request_scope
from lastmeter.appeals.choices import AppealState
from lastmeter.dispatching.choices import IncidentType, SosStatus, UnitStatus
from lastmeter.web import command_selectors as sel

# The API endpoints the pages call; `{id}` is filled in by the scripts. Kept in one place so
# the JS never hard-codes a path.
API = "/api/v1"
ENDPOINTS = {
    "units": f"{API}/units",
    "unit_status": f"{API}/units/{{id}}/status",
    "unit_positions": f"{API}/units/{{id}}/positions",
    "incidents": f"{API}/incidents",
    "recommendations": f"{API}/incidents/{{id}}/recommendations",
    "dispatch": f"{API}/incidents/{{id}}/dispatch",
    "arrival": f"{API}/incidents/{{id}}/arrival",
    "group_open": f"{API}/incidents/{{id}}/command-group",
    "group_messages": f"{API}/command-groups/{{id}}/messages",
    "sos": f"{API}/sos",
    "sos_ack": f"{API}/sos/{{id}}/ack",
    "roads": f"{API}/roads/network",
    "route": f"{API}/roads/route",
    "appeal": f"{API}/appeals/{{id}}",
    "appeal_action": f"{API}/appeals/{{id}}/actions/{{action}}",
    "reveal_phone": f"{API}/appeals/{{id}}/reporter-phone",
    "appeal_page": "/appeals/{id}/",
    "sos_resolve": f"{API}/sos/{{id}}/resolve",
    "kpis": "/command/kpis.json",
}


def _strings() -> dict[str, str]:
    """Texts the scripts show, translated on the server (zh-Hans by default)."""
    states = {f"state.{code}": str(label) for code, label in AppealState.choices}
    sos_states = {f"sos.{code}": str(label) for code, label in SosStatus.choices}
    return {
        **states,
        **sos_states,
        "status.available": _("Available"),
        "status.dispatched": _("Dispatched"),
        "status.en_route": _("En route"),
        "status.on_scene": _("On scene"),
        "status.returning": _("Returning"),
        "status.off_duty": _("Off duty"),
        "agency.police": _("Police"),
        "agency.traffic_police": _("Traffic police"),
        "agency.urban_management": _("Urban management"),
        "agency.fire": _("Fire"),
        "incident.open": _("Open"),
        "incident.dispatched": _("Dispatched"),
        "incident.on_scene": _("On scene"),
        "incident.closed": _("Closed"),
        "dispatch": _("Dispatch"),
        "recommended": _("Recommended units"),
        "no_recommendation": _("No available unit can reach the scene."),
        "eta": _("ETA"),
        "min": _("min"),
        "km": _("km"),
        "open_group": _("Open command group"),
        "group": _("Command group"),
        "send": _("Send"),
        "new_appeal": _("New appeal"),
        "breached": _("Deadline breached"),
        "warning": _("Deadline approaching"),
        "new_incident": _("New incident"),
        "sos": _("SOS"),
        "sos_from": _("SOS from"),
        "acknowledge": _("Acknowledge"),
        "acknowledged": _("Acknowledged"),
        "resolved": _("Resolved"),
        "dispatched_to": _("Dispatched to"),
        "order": _("Dispatch order"),
        "navigate": _("Navigate"),
        "contacted": _("Contacted"),
        "landed": _("Landed"),
        "mark_contacted": _("Mark contacted"),
        "mark_landed": _("Confirm arrival on site"),
        "do_acknowledge": _("Accept the appeal"),
        "do_resolve": _("Resolve…"),
        "resolution_hint": _("How was it resolved? The reporter is told."),
        "submit_resolution": _("Submit resolution"),
        "call": _("Call the reporter"),
        "dial": pgettext("phone number", "Dial"),
        "call_reason": _("Calling the reporter about the appeal"),
        "reporter": _("Reporter"),
        "details": _("Details and other actions"),
        "sos_hint": _("Hold the SOS button for 1.5 s to call for help"),
        "sos_holding": _("Keep holding… let go to cancel"),
        "sos_end_confirm": _("End your SOS? Only if you are safe."),
        "arrived": _("Arrived on scene"),
        "no_position": _("No position yet: share your position first."),
        "no_route": _("No road route found: showing the straight-line direction."),
        "position_shared": _("Position shared"),
        "error": _("Error"),
        "connected": _("Live"),
        "disconnected": _("Reconnecting…"),
        "left": _("left"),
        "overdue": _("overdue"),
        "route_to": _("Route to"),
        "appeals_received": _("Appeals received"),
        "landed_on_time": _("Landed on time"),
        "landed_late": _("Landed late"),
        "overdue_open": _("Overdue"),
        "incidents": _("Incidents"),
        "response_median": _("Median response"),
        "appeals_per_hour": _("Appeals per hour"),
        "incidents_per_hour": _("Incidents per hour"),
        "response_times": _("Response times (min)"),
        "sim_on": _("Simulator on"),
        "gps_on": _("GPS on"),
        "you": _("You"),
    }


def _centre_strings() -> dict[str, str]:
    """Texts only the command centre shows: its legend, chart axes and the new-incident form."""
    types = {f"itype.{code}": str(label) for code, label in IncidentType.choices}
    return {
        **types,
        "itype.unset": _("— not said —"),
        "legend.units": _("Units (status)"),
        "legend.agencies": _("Agency"),
        "legend.appeals": _("Appeals (time left on the clock)"),
        "legend.marks": _("On the map"),
        "legend.incident": _("Incident"),
        "legend.grid": _("Grid boundary"),
        "appeal_left.plenty": _("half or more left"),
        "appeal_left.half": _("less than half left"),
        "appeal_left.quarter": _("less than a quarter left"),
        "appeal_left.overdue": _("overdue"),
        "appeal_left.none": _("no deadline running"),
        "chart_today": _("Today, per hour"),
        "axis_hour": _("hour of the day"),
        "axis_count": _("count"),
        "axis_incident": _("incidents today, in order"),
        "axis_minutes": _("minutes"),
        "response_time": _("Response time (min)"),
        "new_incident_here": _("New incident here"),
        "field.title": _("Title"),
        "field.type": _("Type"),
        "field.description": _("Description"),
        "create_incident": _("Create incident"),
    }


def _config(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "ws": "/ws/live/",
        "endpoints": ENDPOINTS,
        "tile_url": settings.LASTMETER_TILE_URL,
        "attribution": _("Roads © OpenStreetMap contributors (ODbL)"),
        "strings": _strings(),
        "stale_s": settings.LASTMETER_STALE_POSITION_S,
        **extra,
    }


@never_cache
@login_required
def command_centre(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if not scope.jurisdiction_wide:
        # Officers have their own page; the board shows the whole jurisdiction.
        return redirect("web:phone")
    state = {
        "units": sel.units_state(),
        "incidents": sel.incidents_state(),
        "appeals": sel.open_appeals_state(scope),
        "grids": sel.grids_geojson(),
        "sos": sel.active_sos_state(),
        "kpis": sel.today_kpis(),
        "me": scope.person.pk if scope.person else None,
    }
    config = _config(
        request,
        strings={**_strings(), **_centre_strings()},
        incident_types=[(code, str(label)) for code, label in IncidentType.choices],
    )
    return render(request, "web/command/centre.html", {"state": state, "config": config})


@never_cache
@login_required
def command_kpis(request: HttpRequest) -> HttpResponse:
    """Today's KPIs as JSON; the board re-reads them when an event changes a figure."""
    if not request_scope(request).jurisdiction_wide:
        return JsonResponse({"detail": "forbidden"}, status=403)
    return JsonResponse(sel.today_kpis())


@never_cache
@login_required
def phone(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    unit = sel.unit_for_person(scope.person)
    state = {
        "me": scope.person.pk if scope.person else None,
        "name": scope.person.name if scope.person else request.user.get_username(),
        "unit": sel.unit_row(unit) if unit else None,
        "appeals": sel.phone_appeals_state(scope, scope.person) if scope.person else [],
        "orders": sel.orders_for_unit(unit) if unit else [],
        "my_sos": sel.open_sos_of(scope.person),
        "grids": sel.grids_geojson(),
    }
    return render(
        request,
        "web/phone/phone.html",
        {
            "state": state,
            "config": _config(request, landing_radius_m=settings.LASTMETER_LANDING_RADIUS_M),
            "manifest_url": reverse("web:phone_manifest"),
            "statuses": UnitStatus.choices,
        },
    )


def phone_manifest(request: HttpRequest) -> HttpResponse:
    """The web-app manifest, so the phone page can be installed to the home screen."""
    data = {
        "name": "lastmeter " + _("Officer"),
        "short_name": "lastmeter",
        "start_url": reverse("web:phone"),
        "scope": reverse("web:phone"),
        "display": "standalone",
        "background_color": "#10253f",
        "theme_color": "#10253f",
        "icons": [
            {"src": static("web/phone/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("web/phone/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json")


def phone_service_worker(request: HttpRequest) -> HttpResponse:
    """Served under /phone/ (not /static/) so that its scope covers the phone page."""
    response = render(
        request,
        "web/phone/sw.js",
        {"assets": _sw_assets(), "version": _sw_version()},
        content_type="application/javascript",
    )
    response["Cache-Control"] = "no-cache"
    return response


SW_ASSETS = (
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "web/live/live.js",
    "web/live/mapbase.js",
    "web/live/beep.js",
    "web/phone/phone.js",
    "web/phone/phone.css",
    "web/phone/icon-192.png",
)


def _sw_assets() -> list[str]:
    return [static(path) for path in SW_ASSETS]


@lru_cache(maxsize=1)
def _sw_version() -> str:
    """A digest of the cached assets' contents. The static URLs carry no hash, so without it an
    installed phone would keep serving its cached phone.js after an update; a changed digest
    changes sw.js, which makes the browser install the new worker and drop the old cache."""
    digest = hashlib.sha256()
    for path in SW_ASSETS:
        found = finders.find(path)
        if isinstance(found, str):
            digest.update(Path(found).read_bytes())
    return digest.hexdigest()[:12]
