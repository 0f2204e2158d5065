"""A patrol plan generated from a real hotspot set: the San Francisco incidents of December 2018
committed with the stats tests (lastmeter/stats/tests/data, public domain, see its README), loaded
as incidents of one community whose grid covers the city. The evening plan's coverage is measured
on a simulated set of check-ins: each team walks its route but skips every third cell."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from django.utils import timezone

from lastmeter.accounts.choices import OrgKind, Role
from lastmeter.accounts.models import OrgUnit
from lastmeter.accounts.selectors import scope_for
from lastmeter.dispatching.models import Incident
from lastmeter.grids.models import Grid
from lastmeter.lib.geo import box_polygon
from lastmeter.patrols import services
from lastmeter.patrols.choices import Band, PlanState, TeamKind
from lastmeter.patrols.models import PatrolTeam, TeamMember
from lastmeter.patrols.tests.conftest import new_person

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "stats" / "tests" / "data" / "sf_incidents_2018-12_sample.csv"
SF_BOX = (-122.52, 37.70, -122.35, 37.83)  # lon0, lat0, lon1, lat1


def load_sf() -> int:
    tz = timezone.get_current_timezone()
    rows = []
    with SAMPLE.open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            at = datetime.strptime(f"{r['Incident Date']} {r['Incident Time']}", "%Y/%m/%d %H:%M").replace(
                tzinfo=tz
            )
            rows.append(
                Incident(
                    title=r["Incident Category"][:200],
                    lat=float(r["Latitude"]),
                    lon=float(r["Longitude"]),
                    alarm_at=at,
                )
            )
    Incident.objects.bulk_create(rows)
    return len(rows)


def test_an_evening_plan_from_san_franciscos_incidents_and_its_coverage(capsys) -> None:
    assert load_sf() == 2000
    station = OrgUnit.objects.create(kind=OrgKind.STATION, name="SF station", code="sf")
    city = OrgUnit.objects.create(
        kind=OrgKind.COMMUNITY, name="San Francisco", code="sf-city", parent=station
    )
    Grid.objects.create(code="sf", name="SF", community=city, boundary=box_polygon(*SF_BOX))
    officer = new_person("officer", "sf_officer", Role.COMMUNITY_POLICE, org_unit=city)
    members = []
    for i in range(3):
        team = PatrolTeam.objects.create(name=f"team {i}", kind=TeamKind.VOLUNTEERS, community=city)
        members.append(new_person(f"volunteer {i}", f"sf_v{i}", Role.VOLUNTEER, org_unit=city))
        TeamMember.objects.create(team=team, person=members[-1])
    now = datetime(2019, 1, 1, tzinfo=timezone.get_current_timezone())
    req = services.PlanRequest(
        community=city, day=date(2019, 1, 2), band=Band.EVENING, history_days=31, cell_m=500, max_cells=12
    )
    plan = services.do_generate_plan(scope_for(officer), req, now=now)
    cells = list(plan.cells.order_by("shift", "order"))
    evening_pts = plan.points
    assert 300 < evening_pts < 2000, "only the evening's incidents (18–24 h) feed the plan"
    assert len(cells) == 12, "San Francisco's evening has at least twelve significant hot cells"
    assert all(c.z > 1.96 for c in cells)
    # The strongest evening cell is downtown (Tenderloin / SoMa / Market Street).
    top = max(cells, key=lambda c: c.z)
    assert 37.77 < top.lat < 37.80 and -122.43 < top.lon < -122.39
    shifts = list(plan.shifts.all())
    assert len(shifts) == 3 and sum(s.cells.count() for s in shifts) == 12
    services.do_move_plan(scope_for(officer), plan.pk, PlanState.PUBLISHED)
    # Simulated check-ins: each member checks in at the first cell and reports a position in
    # every cell but every third one, during the shift.
    t = datetime(2019, 1, 2, 19, tzinfo=timezone.get_current_timezone())
    for shift, person in zip(shifts, members, strict=True):
        me = scope_for(person)
        own = list(shift.cells.order_by("order"))
        services.do_check(me, shift.pk, "in", own[0].lat, own[0].lon, now=t)
        for i, c in enumerate(own):
            if i % 3 != 2:
                services.do_check(me, shift.pk, "position", c.lat, c.lon, now=t)
    visited, share = services.plan_coverage(plan)
    expected = sum(len([i for i in range(s.cells.count()) if i % 3 != 2]) for s in shifts)
    with capsys.disabled():
        print(
            f"\nSF evening plan: {evening_pts} evening incidents, {len(cells)} hot cells, coverage {share:.0%}"
        )
    assert len(visited) == expected and share == pytest.approx(expected / 12)
