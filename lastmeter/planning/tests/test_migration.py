"""The planning models moved from the grids app to the planning app without moving a row.

The database is taken back to the state before the move (grids at 0002_planning, planning not yet
migrated), rows are written through the historical models, and after migrating forward the very
same rows — ids, fields, the units' neighbour links — are read through lastmeter.planning.models
from tables that still have their grids_ names.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from lastmeter.planning import models as planning_models

BEFORE_MOVE = [("grids", "0002_planning"), ("planning", None)]
MOVED = ["AccidentRecord", "BasicUnit", "GridPlan", "PlanGrid", "PlanUnit", "Platform"]
TABLES = {
    "AccidentRecord": "grids_accidentrecord",
    "BasicUnit": "grids_basicunit",
    "GridPlan": "grids_gridplan",
    "PlanGrid": "grids_plangrid",
    "PlanUnit": "grids_planunit",
    "Platform": "grids_platform",
}
NEIGHBOURS_TABLE = "grids_basicunit_neighbours"


def _migrate(targets: list[tuple[str, str | None]] | None = None):
    """Migrate to ``targets`` (default: the latest migration of every app); the apps of the state the
    database is in afterwards (historical models)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    loader = MigrationExecutor(connection).loader
    return loader.project_state(list(loader.applied_migrations)).apps


def _rows(model) -> list[dict]:
    """Every row of ``model`` as {column attribute: value}, by primary key."""
    names = [f.attname for f in model._meta.concrete_fields]
    return list(model.objects.order_by("pk").values(*names))


def _square(lon: float, lat: float, d: float = 0.001) -> dict:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _write_rows_before_the_move(apps) -> dict[str, int]:
    """A grid, three basic units in a row, a previewed plan with its grid and units, a platform and an
    accident, written through the historical (grids app) models; returns the content type ids."""
    OrgUnit = apps.get_model("accounts", "OrgUnit")
    Person = apps.get_model("accounts", "Person")
    Grid = apps.get_model("grids", "Grid")
    BasicUnit = apps.get_model("grids", "BasicUnit")
    GridPlan = apps.get_model("grids", "GridPlan")
    PlanGrid = apps.get_model("grids", "PlanGrid")
    PlanUnit = apps.get_model("grids", "PlanUnit")
    Platform = apps.get_model("grids", "Platform")
    AccidentRecord = apps.get_model("grids", "AccidentRecord")
    ContentType = apps.get_model("contenttypes", "ContentType")

    community = OrgUnit.objects.create(kind="community", name="外滩社区", code="mig-bund")
    officer = Person.objects.create(name="王警官", phone="13800000001")
    grid = Grid.objects.create(
        code="mig-grid",
        name="外滩网格",
        community=community,
        responsible_officer=officer,
        boundary=_square(121.48, 31.23, 0.003),
    )
    units = [
        BasicUnit.objects.create(
            code=f"mig-u{i}",
            name=f"中山东一路 {i}",
            kind="segment" if i else "block",
            geometry={
                "type": "LineString",
                "coordinates": [[121.48 + i / 1000, 31.23], [121.481 + i / 1000, 31.23]],
            },
            cell=_square(121.48 + i / 1000, 31.23),
            centroid_lat=31.23,
            centroid_lon=121.4805 + i / 1000,
            area_m2=9000.0 + i,
            drivers_or_population=10.0 * i,
            road_km=0.1 + i / 10,
            accidents=float(i),
            difficulty=2.0 * i,
            police_strength=0.5,
            workload=(i + 1) / 6,
            source="test-road.osm",
        )
        for i in range(3)
    ]
    # The app's model is symmetrical and stores each link both ways; a historical model does not know
    # that (the migration names the model, not "self"), so both directions are written here.
    units[0].neighbours.add(units[1])
    units[1].neighbours.add(units[0], units[2])
    units[2].neighbours.add(units[1])
    plan = GridPlan.objects.create(
        name="迁移前的方案",
        state="previewed",
        k=1,
        method="exact",
        tolerance=0.1,
        weights={"drivers_or_population": 0.1, "road_km": 0.2, "accidents": 0.3, "difficulty": 0.4},
        auxiliaries=3,
        seed=7,
        time_limit_s=12.5,
        count_prior=1.5,
        revision=4,
        report={"partition": {"method": "milp", "gap": 0.0}, "manual_moves": []},
        note="written before the move",
        created_by=officer,
        previewed_at=datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
    )
    PlanGrid.objects.create(
        plan=plan,
        index=0,
        code="mig-grid",
        name="外滩网格",
        grid=grid,
        community=community,
        responsible_officer=officer,
        boundary=_square(121.48, 31.23, 0.003),
        units=3,
        workload=1.0,
        deviation=0.0,
        compactness=0.8,
        contiguous=True,
        auxiliaries=3,
        quota=3.0,
    )
    for u in units:
        PlanUnit.objects.create(plan=plan, unit=u, grid_index=0, workload=u.workload)
    Platform.objects.create(
        code="mig-platform",
        name="中山东一路警务平台",
        kind="station",
        lat=31.2301,
        lon=121.4812,
        road_node=123456789,
        snap_m=12.5,
        active=False,
    )
    AccidentRecord.objects.create(
        source="mig-open-data",
        external_id="2017S000123",
        lat=31.2302,
        lon=121.4813,
        occurred_at=datetime(2017, 5, 4, 18, 15, tzinfo=UTC),
        street="中山东一路",
        victims=2,
        vehicles=3,
    )
    # The test database was built at the latest state; going back relabelled these to grids.
    return {
        name: ContentType.objects.get_or_create(app_label="grids", model=name.lower())[0].pk for name in MOVED
    }


@pytest.mark.django_db(transaction=True)
def test_it_moves_the_planning_models_to_the_planning_app_without_moving_a_row():
    try:
        old = _migrate(BEFORE_MOVE)
        content_types = _write_rows_before_the_move(old)
        before = {name: _rows(old.get_model("grids", name)) for name in MOVED}
        old_links = old.get_model("grids", "BasicUnit").neighbours.through
        links_before = sorted(old_links.objects.values_list("from_basicunit_id", "to_basicunit_id"))
        assert {name: len(rows) for name, rows in before.items()} == {
            "AccidentRecord": 1,
            "BasicUnit": 3,
            "GridPlan": 1,
            "PlanGrid": 1,
            "PlanUnit": 3,
            "Platform": 1,
        }
        assert len(links_before) == 4  # symmetrical: both directions of the two links

        new = _migrate()
    finally:
        _migrate()  # leave the database at the latest state whatever happened

    assert not any(m._meta.app_label == "grids" and m.__name__ in MOVED for m in new.get_models())
    ContentType = new.get_model("contenttypes", "ContentType")
    for name in MOVED:
        model = getattr(planning_models, name)
        assert model._meta.app_label == "planning"
        assert model._meta.db_table == TABLES[name]
        old_columns = list(before[name][0])  # later migrations may add columns (0002: accident details)
        assert [{k: r[k] for k in old_columns} for r in _rows(model)] == before[name], name
        # The content type (and so its permissions and admin log entries) followed the model.
        assert ContentType.objects.get(pk=content_types[name]).app_label == "planning"
    through = planning_models.BasicUnit.neighbours.through
    assert through._meta.db_table == NEIGHBOURS_TABLE
    assert sorted(through.objects.values_list("from_basicunit_id", "to_basicunit_id")) == links_before
    assert set(TABLES.values()) | {NEIGHBOURS_TABLE} <= set(connection.introspection.table_names())
    assert not [t for t in connection.introspection.table_names() if t.startswith("planning_")]

    # The rows are whole objects again: relations resolve through the new models.
    plan = planning_models.GridPlan.objects.get()
    assert plan.state == "previewed" and plan.created_by.name == "王警官"
    assert [pg.grid.code for pg in plan.grids.all()] == ["mig-grid"]
    assert sorted(pu.unit.code for pu in plan.assignments.all()) == ["mig-u0", "mig-u1", "mig-u2"]
    assert sorted(u.code for u in planning_models.BasicUnit.objects.get(code="mig-u1").neighbours.all()) == [
        "mig-u0",
        "mig-u2",
    ]
