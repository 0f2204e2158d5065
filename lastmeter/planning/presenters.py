"""JSON shapes of plans and platforms, shared by the API and the pages."""

from __future__ import annotations

from lastmeter.lib.text import mask_phone
from lastmeter.planning.models import GridPlan, Platform
from lastmeter.planning.selectors import plan_grids


def plan_row(p: GridPlan) -> dict:
    return {
        "id": p.pk,
        "name": p.name,
        "state": p.state,
        "k": p.k,
        "method": p.method,
        "created_by": p.created_by.name if p.created_by else None,
        "created_at": p.created_at.isoformat(),
        "previewed_at": p.previewed_at.isoformat() if p.previewed_at else None,
        "adopted_at": p.adopted_at.isoformat() if p.adopted_at else None,
    }


def plan_detail(p: GridPlan) -> dict:
    """Parameters, state, the partition report and every grid with its staffing."""
    report = p.report or {}
    factors = report.get("grid_factors", [])
    current = report.get("staffing", {}).get("current_members", [])
    grids = []
    for pg in plan_grids(p):
        officer = pg.responsible_officer
        row = {
            "number": pg.index + 1,
            "code": pg.code,
            "name": pg.name,
            "continues_grid": {"id": pg.grid_id, "code": pg.grid.code} if pg.grid else None,
            "community": {"id": pg.community_id, "name": pg.community.name} if pg.community else None,
            "responsible_officer": (
                {"id": officer.pk, "name": officer.name, "phone": mask_phone(officer.phone)}
                if officer
                else None
            ),
            "units": pg.units,
            "workload": pg.workload,
            "deviation_pct": round(100 * pg.deviation, 2),
            "compactness": round(pg.compactness, 4),
            "contiguous": pg.contiguous,
            "staffing": {
                "officers": 1,
                "auxiliaries": pg.auxiliaries,
                "quota": round(pg.quota, 3),
                "current_auxiliaries": current[pg.index] if pg.index < len(current) else 0,
            },
        }
        if pg.index < len(factors):
            row["factors"] = factors[pg.index]
        grids.append(row)
    figures = report.get("figures", {})
    partition = report.get("partition", {})
    return {
        **plan_row(p),
        "tolerance": p.tolerance,
        "weights": p.weights,
        "auxiliaries": p.auxiliaries,
        "seed": p.seed,
        "time_limit_s": p.time_limit_s,
        "count_prior": p.count_prior,
        "revision": p.revision,
        "note": p.note,
        "report": {
            "method": partition.get("method"),
            "status": "adjusted" if partition.get("adjusted") else partition.get("status"),
            "gap": partition.get("gap"),
            "gap_source": partition.get("gap_source"),
            "lower_bound": partition.get("lower_bound"),
            "runtime_s": partition.get("runtime_s"),
            "target": figures.get("target"),
            "max_deviation_pct": figures.get("max_deviation_pct"),
            "mean_compactness": figures.get("mean_compactness"),
            "contiguous": figures.get("contiguous"),
            "cost": figures.get("cost"),
            "manual_moves": report.get("manual_moves", []),
        }
        if figures
        else None,
        "grids": grids,
        "comparison": report.get("comparison"),
        "adoption": report.get("adoption"),
    }


def platform_row(p: Platform) -> dict:
    return {
        "id": p.pk,
        "code": p.code,
        "name": p.name,
        "kind": p.kind,
        "lat": p.lat,
        "lon": p.lon,
        "road_node": p.road_node,
        "snap_m": p.snap_m,
        "active": p.active,
    }
