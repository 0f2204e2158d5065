"""The planner's city-wide analyses of fixed platforms: a review district by district, and the
containment of a fleeing vehicle (CUMCM 2011 B, part 2, as general capabilities).

Built on planning.platforms (the analysis of the current road network and platforms, snapping, incident
rates); the algorithms are planning.algorithms.districts and planning.algorithms.containment.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext

from lastmeter.grids.models import Grid
from lastmeter.planning.algorithms import NoContainment, containment_plan, review_districts, separates
from lastmeter.planning.algorithms.containment import boundary_exits
from lastmeter.planning.algorithms.districts import finite, label_points, onto_nearest
from lastmeter.planning.platforms import (
    BOUNDARY_M,
    MAX_EXITS,
    Analysis,
    analysis,
    check_speed,
    exit_nodes,
    incident_rates,
)
from lastmeter.planning.report import PlanError

# --- the city-wide review, district by district ---------------------------------------------------


def _districts(by: str) -> list[tuple[str, str, object]]:
    """(key, name, shapely geometry) per district: the active grids, or each community's grids merged."""
    import shapely
    from shapely.geometry import shape

    if by not in ("community", "grid"):
        raise PlanError(gettext("Review the districts by community or by grid."))
    groups: dict[str, tuple[str, list]] = {}
    for grid in Grid.objects.filter(active=True).select_related("community").order_by("code"):
        key, name = (
            (grid.community.code, grid.community.name) if by == "community" else (grid.code, grid.name)
        )
        try:
            geom = shape(grid.boundary)
        except (AttributeError, KeyError, TypeError, ValueError):
            raise PlanError(
                gettext("Grid %(code)s has no valid boundary: fix it in the admin.") % {"code": grid.code}
            ) from None
        groups.setdefault(key, (name, []))[1].append(geom)
    if not groups:
        raise PlanError(
            gettext(
                "There are no grids in force to divide the intersections into districts: adopt a grid plan first."
            )
        )
    return [(key, name, shapely.union_all(geoms)) for key, (name, geoms) in groups.items()]


def _intersection_rates(a: Analysis, source: str) -> tuple[np.ndarray, str]:
    """``incident_rates`` moved onto intersections: the review's demand points are intersections."""
    r, src = incident_rates(a, source)
    x, y = a.graph.xy
    return onto_nearest(r, np.column_stack([x[a.nodes], y[a.nodes]]), a.intersections), src


def district_review_report(
    *,
    by: str = "community",
    speed_kmh: float = 60.0,
    target_min: float = 3.0,
    rates: str = "appeals",
    max_moves: int = 2,
    max_add: int = 5,
    max_candidates: int = 150,
    time_limit_s: float = 20.0,
) -> dict:
    """Each district answered by its own platforms: figures, findings and a relocate-then-add proposal.

    A platform belongs to the district its position falls in (platforms outside every district are listed
    and serve nobody here); new and moved platforms go to intersections of their district (an even spread
    of at most ``max_candidates`` per district).
    """
    check_speed(speed_kmh, target_min)
    if not 0 <= max_moves <= 20 or not 0 <= max_add <= 50:
        raise PlanError(gettext("Moves per district must be 0 to 20 and additions 0 to 50."))
    if not 1 <= max_candidates <= 2000:
        raise PlanError(
            gettext("The number of candidate intersections must be between 1 and %(max)s.") % {"max": 2000}
        )
    a = analysis()
    districts = _districts(by)
    polys = [geom for _, _, geom in districts]
    g, inter = a.graph, a.intersections
    label = label_points(g.lon[a.nodes[inter]], g.lat[a.nodes[inter]], polys)
    node_district = np.full(a.nodes.size, -1, dtype=np.int64)
    node_district[inter] = label
    station_district = label_points(
        np.array([p.lon for p in a.platforms]), np.array([p.lat for p in a.platforms]), polys
    )
    r, rate_source = _intersection_rates(a, rates)
    cand = []
    for d in range(len(districts)):
        mine = inter[label == d]
        if mine.size > max_candidates:  # nodes are stored along a space-filling curve: every n-th spreads
            mine = mine[np.linspace(0, mine.size - 1, max_candidates).round().astype(np.int64)]
        cand.append(mine)
    try:
        review = review_districts(
            a.matrix,
            a.stations,
            station_district,
            node_district,
            r,
            candidates=np.concatenate(cand),
            speed_kmh=speed_kmh,
            target_min=target_min,
            max_moves=max_moves,
            max_add=max_add,
            time_limit=time_limit_s,
        )
    except (ValueError, RuntimeError) as exc:
        raise PlanError(gettext("The districts cannot be reviewed (%(error)s).") % {"error": exc}) from None
    at = {int(s): p for s, p in zip(a.stations.tolist(), a.platforms, strict=True)}
    rows = []
    for prop in review.proposals:
        key, name, _ = districts[prop.district]
        codes = [p.code for p, d in zip(a.platforms, station_district, strict=True) if d == prop.district]
        rows.append(
            {
                "key": key,
                "name": name,
                "platforms": codes,
                "workload": dict(zip(codes, prop.before.workload.round(3).tolist(), strict=True)),
                "before": prop.before.as_dict(),
                "findings": [
                    {"kind": f.kind, "value": finite(f.value, 3), "detail": f.detail}
                    for f in review.findings
                    if f.district == prop.district
                ],
                "moves": [
                    {"platform": at[u].code, "name": at[u].name, "to": a.node_row(v)} for u, v in prop.moves
                ],
                "after_moves": prop.relocated.as_dict(),
                "needed_for_target": prop.needed_for_target if prop.needed_for_target < 10**9 else None,
                "added": [a.node_row(int(v)) for v in prop.added.tolist()],
                "after": prop.after.as_dict(),
            }
        )
    worst = [p.before.worst_time_min for p in review.proposals]
    worst_after = [p.after.worst_time_min for p in review.proposals]
    return {
        "by": by,
        "speed_kmh": speed_kmh,
        "target_min": target_min,
        "rates": rate_source,
        "incidents_per_platform": finite(review.city_rate_per_platform, 3),
        "outside_intersections": int((label < 0).sum()),
        "unassigned_platforms": [p.code for p, d in zip(a.platforms, station_district, strict=True) if d < 0],
        "districts": rows,
        "totals": {
            "beyond_before": sum(p.before.beyond_target for p in review.proposals),
            "beyond_after": sum(p.after.beyond_target for p in review.proposals),
            "worst_before_min": finite(max(worst, default=0.0)),
            "worst_after_min": finite(max(worst_after, default=0.0)),
            "moved": sum(len(p.moves) for p in review.proposals),
            "added": sum(int(p.added.size) for p in review.proposals),
            "unreasonable": [districts[d][1] for d in sorted({f.district for f in review.findings})],
        },
    }


# --- containment of a fleeing vehicle ---------------------------------------------------------------


def containment_report(
    incident: dict,
    *,
    head_start_min: float = 3.0,
    police_speed_kmh: float = 60.0,
    suspect_speed_kmh: float = 60.0,
    margin_min: float = 0.0,
    exits: list[dict] | None = None,
    time_limit_s: float = 20.0,
    region_limit: int = 3000,
) -> dict:
    """The cordon around ``incident`` ({node} or {lat, lon}) complete earliest, fewest platforms next.

    The suspect left ``head_start_min`` before the alarm reached the platforms. ``exits`` default to the
    road extract's edge (dead ends within ``BOUNDARY_M`` of its hull).
    """
    check_speed(police_speed_kmh, 1.0)
    check_speed(suspect_speed_kmh, 1.0)
    if not 0 <= head_start_min <= 60 or not 0 <= margin_min <= 30:
        raise PlanError(
            gettext("The head start must be 0 to 60 minutes and the safety margin 0 to 30 minutes.")
        )
    if exits is not None and len(exits) > MAX_EXITS:
        raise PlanError(gettext("Give at most %(n)s exits.") % {"n": MAX_EXITS})
    a = analysis()
    (inc,) = exit_nodes(a, [incident], what=gettext("the incident"))
    if exits:
        ex, exits_source = exit_nodes(a, exits), "given"
    else:
        x, y = a.graph.xy
        xy = np.column_stack([x[a.nodes], y[a.nodes]])
        ex, exits_source = boundary_exits(xy, np.diff(a.matrix.indptr), BOUNDARY_M), "boundary"
    if ex.size == 0:
        raise PlanError(gettext("The road network has no exits at its edge: give the exits to seal."))
    try:
        plan = containment_plan(
            a.matrix,
            int(inc),
            a.stations,
            ex,
            head_start_min=head_start_min,
            police_speed_kmh=police_speed_kmh,
            suspect_speed_kmh=suspect_speed_kmh,
            margin_min=margin_min,
            time_limit=time_limit_s,
        )
    except NoContainment:
        raise PlanError(
            gettext(
                "No cordon can contain the suspect: they reach an exit before any platform can seal it. "
                "Try a shorter head start, faster police or more platforms."
            )
        ) from None
    except (ValueError, RuntimeError) as exc:
        raise PlanError(gettext("The containment cannot be planned (%(error)s).") % {"error": exc}) from None
    g = a.graph
    region = a.nodes[plan.region[:region_limit]]
    return {
        "incident": a.node_row(int(inc)),
        "head_start_min": head_start_min,
        "police_speed_kmh": police_speed_kmh,
        "suspect_speed_kmh": suspect_speed_kmh,
        "margin_min": margin_min,
        "exits_source": exits_source,
        "exits": [a.node_row(int(e)) for e in ex.tolist()],
        "cordon_size": int(plan.cordon.size),
        "platforms_used": int(np.unique(plan.station).size),
        "completion_min": round(plan.completion_min, 2),
        "completion_after_alarm_min": round(max(plan.completion_min - head_start_min, 0.0), 2),
        "total_min": round(plan.total_min, 2),
        "cut_valid": bool(plan.cordon.size == 0 or separates(a.matrix, int(inc), ex, plan.cordon)),
        "assignments": [
            a.node_row(
                int(v),
                {
                    "platform": a.platforms[int(j)].code,
                    "platform_name": a.platforms[int(j)].name,
                    "platform_lat": a.platforms[int(j)].lat,
                    "platform_lon": a.platforms[int(j)].lon,
                    "police_min": round(float(t), 2),
                    "suspect_min": round(float(u), 2),
                },
            )
            for v, j, t, u in zip(plan.cordon, plan.station, plan.police_min, plan.suspect_min, strict=True)
        ],
        "contained_intersections": int(np.isin(plan.region, a.intersections).sum()),
        "region": [[round(float(g.lat[i]), 6), round(float(g.lon[i]), 6)] for i in region.tolist()],
    }
