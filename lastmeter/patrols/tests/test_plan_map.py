"""The patrol plan's map data: every planned hot cell as a GeoJSON polygon with its z-score and
team, every shift's route as [lat, lon] points, embedded with json_script (no inline script)."""

# ruff: noqa: F811 — a fixture imported from another test module is redefined as an argument.
from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.utils.timezone import localtime

from lastmeter.patrols.tests.test_pages_and_api import plan  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def test_the_plan_page_embeds_the_cells_and_the_routes_for_the_map(world, teams, plan) -> None:
    c = Client()
    assert c.login(username="officer_a", password="pass-officer_a")
    html = c.get(f"/patrols/plans/{plan.pk}/").content.decode()
    found = re.search(r'<script id="plan-map-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the map's data is embedded with json_script"
    data = json.loads(found.group(1))
    cells = list(plan.cells.all())
    assert [f["properties"]["key"] for f in data["cells"]["features"]] == [c.key for c in cells]
    first = data["cells"]["features"][0]
    assert first["geometry"]["type"] == "Polygon" and first["geometry"]["coordinates"][0] == [
        list(p) for p in cells[0].ring
    ]
    assert first["properties"]["team"] == teams.a.name and first["properties"]["visited"] is False
    shift = plan.shifts.get()
    assert data["shifts"] == [
        {
            "id": shift.pk,
            "team": teams.a.name,
            "hours": f"{localtime(shift.starts_at):%H:%M}–{localtime(shift.ends_at):%H:%M}",
            "route": shift.route,
            "route_m": round(shift.route_m),
            "on_roads": shift.on_roads,
        }
    ]
    assert len(shift.route) >= 2
    assert 'id="plan-map"' in html and "patrols/plan_map.js" in html and "vendor/leaflet/leaflet.js" in html
