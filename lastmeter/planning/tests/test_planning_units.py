"""Basic units from the road network, their factors from the database, accidents from open data.

The hand-checkable network: three streets east-west (A路 y=0, B路 y=200, C路 y=400) and three
north-south (X街 x=0, Y街 x=200, Z街 x=400) crossing at 9 intersections, with a pass-through node in
the middle of every 200 m stretch, plus a detached lane far away.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from lastmeter.appeals.models import Category
from lastmeter.planning.choices import PlanState
from lastmeter.planning.models import AccidentRecord, BasicUnit, GridPlan
from lastmeter.planning.report import PlanError
from lastmeter.planning.services import PlanParams, do_create_plan
from lastmeter.planning.street_units import street_units
from lastmeter.planning.unit_services import do_build_units, do_recount_factors, import_accidents
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.roads.algorithms.osm import read_osm
from lastmeter.roads.services import use_network
from lastmeter.testing.roads import graph, latlon

NAMES = ["A路", "B路", "C路", "X街", "Y街", "Z街"]


def lattice():
    pts, index = [], {}
    for y in (0, 100, 200, 300, 400):
        for x in (0, 100, 200, 300, 400):
            if x % 200 == 0 or y % 200 == 0:
                index[(x, y)] = len(pts)
                pts.append((float(x), float(y)))
    roads = []
    for row, y in enumerate((0, 200, 400)):
        roads += [(index[(x, y)], index[(x + 100, y)], row) for x in (0, 100, 200, 300)]
    for col, x in enumerate((0, 200, 400)):
        roads += [(index[(x, y)], index[(x, y + 100)], 3 + col) for y in (0, 100, 200, 300)]
    far = len(pts)
    pts += [(5000.0, 5000.0), (5100.0, 5000.0)]
    roads.append((far, far + 1, -1))
    return graph(pts, roads, NAMES)


def test_it_merges_street_stretches_and_links_units_at_intersections():
    su = street_units(lattice(), target_length_m=400, min_length_m=60)
    assert su.dropped_segments == 1  # the detached lane
    assert sorted(u.street for u in su.units) == sorted(NAMES)
    assert all(u.length_m == pytest.approx(400) for u in su.units)
    names = {u.street: u.name for u in su.units}
    assert names["A路"] == "A路 (X街 – Z街)"
    # Every east-west street crosses every north-south one; parallel streets never meet.
    street = [u.street for u in su.units]
    pairs = {frozenset((street[a], street[b])) for a, b in su.adjacency}
    assert len(su.adjacency) == 9 and all(len({s[0] for s in p}) == 2 for p in pairs)
    # Catchment cells tile the area: no overlap, and together one polygon covering every street.
    cells = [shape(u.cell) for u in su.units]
    union = shapely.union_all(cells, grid_size=1e-7)
    assert union.area == pytest.approx(sum(c.area for c in cells), rel=1e-6)
    assert union.geom_type == "Polygon"
    for u in su.units:
        assert shape(u.cell).covers(shape(u.geometry).interpolate(0.3, normalized=True))
    # Shorter target: the 200 m stretches stay separate units.
    assert len(street_units(lattice(), target_length_m=250).units) == 12


def test_it_builds_units_and_counts_accidents_and_order_appeals(world, new_appeal):
    accident = Category.objects.create(code="traffic_accident", name="交通事故")
    s = do_build_units(lattice(), source="lattice")
    assert (s.units, s.created, s.adjacencies) == (6, 6, 9)
    a_road = BasicUnit.objects.get(name__startswith="A路")
    assert a_road.road_km == pytest.approx(0.4) and a_road.neighbours.count() == 3
    assert a_road.area_m2 > 0 and a_road.drivers_or_population == pytest.approx(0.4)
    lat, lon = latlon(120, 15)  # on A路
    new_appeal(lat=lat, lon=lon, category=accident)
    new_appeal(lat=lat, lon=lon)  # illegal parking: order-maintenance demand
    lat2, lon2 = latlon(3000, 3000)  # far from every road: counts for none
    new_appeal(lat=lat2, lon=lon2, category=accident)
    lat3, lon3 = latlon(400, 330)  # on Z街
    import_accidents(f"Id,Latitude,Longitude\nx1,{lat3},{lon3}\n", source="test")
    do_recount_factors()
    counts = {u.name.split(" ")[0]: (u.accidents, u.difficulty) for u in BasicUnit.objects.all()}
    assert counts["A路"] == (1, 1) and counts["Z街"] == (1, 0) and counts["B路"] == (0, 0)
    total = sum(BasicUnit.objects.values_list("workload", flat=True))
    assert total == pytest.approx(1.0)
    # Rebuilding keeps the codes; an open plan blocks it unless forced (and is then discarded).
    plan = do_create_plan(PlanParams(name="p", k=2), world.leader)
    with pytest.raises(PlanError, match="个未完成的方案在使用当前基本单元"):
        do_build_units(lattice())
    s = do_build_units(lattice(), force=True)
    assert (s.created, s.updated, s.removed, s.discarded_plans) == (0, 6, 0, 1)
    assert GridPlan.objects.get(pk=plan.pk).state == PlanState.DISCARDED
    assert BasicUnit.objects.get(pk=a_road.pk).accidents == 1


def test_it_imports_open_data_accidents_once(db):
    text = (
        "Id,DistrictName,Street,Victims,Vehiclesinvolved,Longitude,Latitude\n"
        "2017S1 ,Eixample,Aragó,2,2,2.1625,41.3921\n"
        "2017S2 ,Gràcia,Verdi,1,1,2.1570,41.4040\n"
        "2017S3 ,Unknown,?,0,1,,\n"
        "2017S4 ,Unknown,?,0,1,0,0\n"
    )
    s = import_accidents(text, source="barcelona-2017")
    assert (s.read, s.imported, s.skipped) == (4, 2, 2)
    rec = AccidentRecord.objects.get(external_id="2017S1")
    assert (rec.victims, rec.vehicles, rec.street) == (2, 2, "Aragó")
    assert import_accidents(text, source="barcelona-2017").imported == 0
    assert AccidentRecord.objects.count() == 2
    with pytest.raises(PlanError, match="中没有纬度/经度列"):
        import_accidents("a,b\n1,2\n", source="x")


def test_it_builds_units_and_plans_from_the_command_line(world, tmp_path, capsys):
    road = tmp_path / "lattice.npz"
    lattice().save_npz(road)
    call_command("grids", "build-units", "--road-file", str(road))
    assert "6 basic units from lattice.npz" in capsys.readouterr().out
    csv_file = tmp_path / "acc.csv"
    lat, lon = latlon(200, 250)
    csv_file.write_text(f"id,lat,lon\n1,{lat},{lon}\n", encoding="utf-8")
    call_command("grids", "import-accidents", str(csv_file), "--source", "demo")
    assert "1 accidents imported as 'demo'" in capsys.readouterr().out
    assert BasicUnit.objects.filter(accidents=1).count() == 1
    call_command("grids", "plan", "--k", "2", "--method", "exact", "--tolerance", "0.5")
    out = capsys.readouterr().out
    assert "milp optimal" in out and "contiguous True" in out
    with pytest.raises(CommandError) as err:
        call_command("grids", "import-accidents", str(tmp_path / "missing.csv"))
    assert err.value.returncode == 2
    with pytest.raises(CommandError, match="K = 7 超过了基本单元总数 6"):
        call_command("grids", "plan", "--k", "7")


def test_it_divides_the_shipped_central_shanghai_extract():
    extract = Path(__file__).resolve().parents[2] / "roads" / "data" / "shanghai_central_osmnx_drive.osm.gz"
    su = street_units(read_osm(extract))
    n = len(su.units)
    assert 200 <= n <= 600
    a = np.array(su.adjacency)
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    adj = sp.coo_array((np.ones(len(a)), (a[:, 0], a[:, 1])), shape=(n, n))
    assert connected_components(adj, directed=False)[0] == 1
    assert len({u.code for u in su.units}) == n
    assert any(u.street == "福州路" for u in su.units)


def test_it_loads_the_planning_demo_once(world):
    from lastmeter.demo.planning import load_planning_demo

    with use_network(RoadNetwork(lattice(), warm=False)):
        plan = load_planning_demo()
        assert plan is not None and plan.state == PlanState.PREVIEWED and plan.k == 2
        assert load_planning_demo() == plan and BasicUnit.objects.count() == 6
