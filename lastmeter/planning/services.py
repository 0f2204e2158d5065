"""Grid planning services: every write of a grid plan (create, edit, preview, move, adopt, discard).

The partition itself runs *outside* the transaction (it may take seconds); the result is saved under
the plan's row lock only if the plan's ``revision`` is unchanged, so two planners never overwrite
each other's work with stale results. Adoption is one transaction: the active grids are locked,
updated or created from the plan, the rest deactivated, buildings and auxiliaries follow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.choices import OrgKind, Role
from lastmeter.accounts.models import OrgUnit, Person, RoleAssignment
from lastmeter.planning.adoption import adopt_plan
from lastmeter.planning.algorithms import InfeasibleBalance, partition
from lastmeter.planning.choices import ALGORITHM_METHOD, PlanMethod, PlanState, check_plan_transition
from lastmeter.planning.locking import lock_plan, new_grid_code, plan_assignment
from lastmeter.planning.models import COUNT_PRIOR, GridPlan, PlanGrid, PlanUnit, default_weights
from lastmeter.planning.report import (
    ContiguityRefused,
    Layout,
    PlanError,
    UnitData,
    algorithm_units,
    boundary_geojson,
    community_guess,
    comparison,
    current_members,
    layout,
    load_units,
    partition_figures,
    plan_workload,
    staffing_figures,
    validate_weights,
)

MAX_K = 500
MAX_AUXILIARIES = 100_000


@dataclass
class PlanParams:
    """What a planner sets on a plan (None: keep the current value)."""

    name: str | None = None
    k: int | None = None
    method: str | None = None
    tolerance: float | None = None
    weights: dict | None = None
    auxiliaries: int | None = None
    seed: int | None = None
    time_limit_s: float | None = None
    count_prior: float | None = None
    note: str | None = None


def _check_params(p: PlanParams) -> None:
    if p.k is not None and not 1 <= p.k <= MAX_K:
        raise PlanError(_("K (the number of grids) must be between 1 and %(max)s.") % {"max": MAX_K})
    if p.method is not None and p.method not in PlanMethod.values:
        raise PlanError(
            _("The method must be one of %(methods)s.") % {"methods": ", ".join(PlanMethod.values)}
        )
    if p.tolerance is not None and not 0 <= p.tolerance < 1:
        raise PlanError(
            _("The balance tolerance must be from 0 up to (not including) 1, e.g. 0.05 for ±5 %.")
        )
    if p.weights is not None:
        validate_weights(p.weights)
    if p.auxiliaries is not None and not 0 <= p.auxiliaries <= MAX_AUXILIARIES:
        raise PlanError(
            _("The number of auxiliaries must be between 0 and %(max)s.") % {"max": MAX_AUXILIARIES}
        )
    if p.seed is not None and not 0 <= p.seed < 2**31:
        raise PlanError(_("The random seed must be a whole number from 0 to 2147483647."))
    if p.time_limit_s is not None and not 0 < p.time_limit_s <= 3600:
        raise PlanError(_("The time limit must be more than 0 and at most 3600 seconds."))
    if p.count_prior is not None and not 0 <= p.count_prior <= 100:
        raise PlanError(
            _("count_prior (events added per unit before weighing counts) must be between 0 and 100.")
        )
    if p.name is not None and not p.name.strip():
        raise PlanError(_("Give the plan a name."))
    if p.name is not None and len(p.name.strip()) > 200:
        raise PlanError(_("A plan's name has at most 200 characters."))


def do_create_plan(params: PlanParams, actor: Person | None) -> GridPlan:
    if params.k is None:
        raise PlanError(_("Say how many grids (K) the plan should have."))
    _check_params(params)
    return GridPlan.objects.create(
        name=(params.name or _("Grid plan")).strip(),
        k=params.k,
        method=params.method or PlanMethod.AUTO,
        tolerance=0.05 if params.tolerance is None else params.tolerance,
        weights=validate_weights(params.weights) if params.weights is not None else default_weights(),
        auxiliaries=params.auxiliaries or 0,
        seed=params.seed or 0,
        time_limit_s=params.time_limit_s or 30.0,
        count_prior=COUNT_PRIOR if params.count_prior is None else params.count_prior,
        note=params.note or "",
        created_by=actor,
    )


def do_update_plan(plan_id: int, params: PlanParams) -> GridPlan:
    """Change parameters. A previewed plan whose K/weights/method change goes back to draft."""
    _check_params(params)
    with transaction.atomic():
        plan = lock_plan(plan_id)
        if plan.state not in (PlanState.DRAFT, PlanState.PREVIEWED):
            check_plan_transition(plan.state, PlanState.DRAFT)  # raises: adopted/discarded are final
        fields = ["revision", "updated_at"]
        changed: list[str] = []  # parameters that change the partition or the staffing
        for name in (
            "k",
            "method",
            "tolerance",
            "weights",
            "auxiliaries",
            "seed",
            "time_limit_s",
            "count_prior",
        ):
            value = getattr(params, name)
            if value is None:
                continue
            if name == "weights":
                value = validate_weights(value)
            if getattr(plan, name) != value:
                setattr(plan, name, value)
                changed.append(name)
        fields += changed
        for name in ("name", "note"):
            value = getattr(params, name)
            if value is not None:
                setattr(plan, name, value.strip() if name == "name" else value)
                fields.append(name)
        if changed and plan.state == PlanState.PREVIEWED:
            if changed == ["auxiliaries"]:
                _restaff(plan)  # only the staffing changes: no need to partition again
                fields.append("report")
            else:
                check_plan_transition(plan.state, PlanState.DRAFT)
                plan.state = PlanState.DRAFT
                # The old result no longer matches the parameters: a draft has none.
                PlanUnit.objects.filter(plan=plan).delete()
                PlanGrid.objects.filter(plan=plan).delete()
                plan.report = {}
                fields += ["state", "report"]
        plan.revision = F("revision") + 1
        plan.save(update_fields=fields)
    plan.refresh_from_db()
    return plan


def do_discard_plan(plan_id: int) -> GridPlan:
    with transaction.atomic():
        plan = lock_plan(plan_id)
        check_plan_transition(plan.state, PlanState.DISCARDED)
        plan.state = PlanState.DISCARDED
        plan.closed_at = timezone.now()
        plan.revision += 1
        plan.save(update_fields=["state", "closed_at", "revision", "updated_at"])
    return plan


# --- preview ------------------------------------------------------------------------------------


def do_preview_plan(plan_id: int) -> GridPlan:
    """Run the partition for the plan's K, weights and method; save assignment, grids and report.

    Raises PlanError (bad input, infeasible balance, no units) or PlanTransitionError (state).
    """
    plan = GridPlan.objects.get(pk=plan_id)
    check_plan_transition(plan.state, PlanState.PREVIEWED)
    revision = plan.revision
    data = load_units()
    if plan.k > data.n:
        raise PlanError(
            _("K = %(k)s is more than the %(n)s basic units: choose a smaller K.")
            % {"k": plan.k, "n": data.n}
        )
    workload = plan_workload(data, plan.weights, plan.count_prior)
    units = algorithm_units(data, workload)
    try:
        result = partition(
            units,
            plan.k,
            method=ALGORITHM_METHOD[PlanMethod(plan.method)],
            tol=plan.tolerance,
            time_limit=plan.time_limit_s,
            seed=plan.seed,
            **_search_effort(units.n),
        )
    except InfeasibleBalance as exc:
        raise PlanError(
            _("No partition meets the balance tolerance (%(error)s): allow a larger tolerance or another K.")
            % {"error": exc}
        ) from None
    except ValueError as exc:
        raise PlanError(_("The basic units cannot be partitioned (%(error)s).") % {"error": exc}) from None
    lay = layout(data, result.assignment, plan.k, workload)
    summary = {
        "method": result.method,
        "status": result.status,
        "tol": result.tol,
        "gap": result.gap,
        "lower_bound": result.lower_bound,
        "gap_source": result.gap_source,
        "runtime_s": round(result.runtime_s, 3),
        "adjusted": False,
    }
    with transaction.atomic():
        plan = lock_plan(plan_id)
        check_plan_transition(plan.state, PlanState.PREVIEWED)
        if plan.revision != revision:
            raise PlanError(_("The plan changed while the partition ran: run it again."))
        PlanUnit.objects.filter(plan=plan).delete()
        PlanUnit.objects.bulk_create(
            PlanUnit(plan=plan, unit=u, grid_index=int(g), workload=float(w))
            for u, g, w in zip(data.units, result.assignment.tolist(), workload.tolist(), strict=True)
        )
        PlanGrid.objects.filter(plan=plan).delete()
        taken: set[int] = set()
        grids = []
        for g in range(plan.k):
            match = lay.matched[g]
            community = community_guess(lay, g)
            officer = match.responsible_officer if match else None
            if officer is None:
                officer = _free_officer(community, taken)
            if officer is not None:
                taken.add(officer.pk)
            grids.append(
                PlanGrid(
                    plan=plan,
                    index=g,
                    code=match.code if match else new_grid_code(plan, g),
                    name=match.name if match else _("New grid %(n)d") % {"n": g + 1},
                    grid=match,
                    community=community,
                    responsible_officer=officer,
                )
            )
        PlanGrid.objects.bulk_create(grids)
        plan.report = {"partition": summary, "manual_moves": []}
        _refresh_figures(plan, data, units, workload, result.assignment, lay)
        plan.state = PlanState.PREVIEWED
        plan.previewed_at = timezone.now()
        plan.revision += 1
        plan.save(update_fields=["state", "previewed_at", "revision", "report", "updated_at"])
    return plan


def _search_effort(n: int) -> dict:
    """More search for mid-sized jurisdictions (the algorithm does one pass above 200 units): on the
    282 street units of central Shanghai, K=6, 2 restarts with 20 kicks cut the p-median cost by ~7 %
    for ~2 s; 4 restarts with 30 kicks found nothing better in 5x the time."""
    return {"restarts": 2, "kicks": 20} if 200 < n <= 3000 else {}


def _free_officer(community: OrgUnit | None, taken: set[int]) -> Person | None:
    """A community police officer of ``community`` who is not yet responsible for a grid of the plan."""
    if community is None:
        return None
    ra = (
        RoleAssignment.objects.filter(role=Role.COMMUNITY_POLICE, org_unit=community, person__active=True)
        .exclude(person_id__in=taken)
        .select_related("person")
        .order_by("id")
        .first()
    )
    return ra.person if ra else None


def _refresh_figures(plan: GridPlan, data: UnitData, units, workload, assignment, lay: Layout) -> None:
    """Recompute balance, shapes, staffing and comparison; update PlanGrid rows and ``plan.report``.

    Precondition: the caller holds the plan's lock and saves ``plan.report`` afterwards.
    """
    figures = partition_figures(units, assignment, plan.k)
    staffing = staffing_figures(figures["grid_workload"], plan.auxiliaries)
    pgs = list(PlanGrid.objects.filter(plan=plan).order_by("index"))
    codes = [pg.code for pg in pgs]
    factor = {f: data.factor(f) for f in ("road_km", "accidents", "police_strength")}
    extra = []
    for pg, shape in zip(pgs, lay.shapes, strict=True):
        g = pg.index
        members = assignment == g
        pg.boundary = boundary_geojson(shape)
        pg.units = int(members.sum())
        pg.workload = figures["grid_workload"][g]
        pg.deviation = figures["deviation"][g]
        pg.compactness = figures["compactness"][g]
        pg.contiguous = figures["contiguous_grids"][g]
        pg.auxiliaries = staffing["auxiliaries"][g]
        pg.quota = staffing["quota"][g]
        extra.append({f: float(v[members].sum()) for f, v in factor.items()})
    PlanGrid.objects.bulk_update(
        pgs,
        ["boundary", "units", "workload", "deviation", "compactness", "contiguous", "auxiliaries", "quota"],
    )
    members_now = current_members([pg.grid for pg in pgs if pg.grid is not None])
    report = dict(plan.report)
    report["figures"] = figures
    report["grid_factors"] = extra
    report["staffing"] = {
        **staffing,
        "current_members": [len(members_now.get(pg.grid_id, [])) if pg.grid_id else 0 for pg in pgs],
    }
    report["comparison"] = comparison(data, lay, workload, codes)
    plan.report = report


def _restaff(plan: GridPlan) -> None:
    pgs = list(PlanGrid.objects.filter(plan=plan).order_by("index"))
    staffing = staffing_figures([pg.workload for pg in pgs], plan.auxiliaries)
    for pg in pgs:
        pg.auxiliaries = staffing["auxiliaries"][pg.index]
        pg.quota = staffing["quota"][pg.index]
    PlanGrid.objects.bulk_update(pgs, ["auxiliaries", "quota"])
    plan.report = {**plan.report, "staffing": {**plan.report.get("staffing", {}), **staffing}}


# --- hand adjustments ---------------------------------------------------------------------------


def check_move(data: UnitData, assignment: np.ndarray, unit_index: int, to: int, k: int) -> None:
    """Refuse (ContiguityRefused) a move that empties or splits the unit's grid, or lands detached."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    frm = int(assignment[unit_index])
    unit = data.units[unit_index]
    if not 0 <= to < k:
        raise PlanError(_("There is no grid %(n)s: the plan has %(k)s grids.") % {"n": to + 1, "k": k})
    if to == frm:
        raise PlanError(_("Unit %(code)s is already in grid %(n)s.") % {"code": unit.code, "n": to + 1})
    nbrs = np.concatenate(
        [data.edges[data.edges[:, 0] == unit_index, 1], data.edges[data.edges[:, 1] == unit_index, 0]]
    )
    if not (assignment[nbrs] == to).any():
        raise ContiguityRefused(
            _(
                "Unit %(code)s (%(name)s) does not touch grid %(n)s: moved there it would be cut off from that grid."
            )
            % {"code": unit.code, "name": unit.name, "n": to + 1}
        )
    rest = np.flatnonzero(assignment == frm)
    rest = rest[rest != unit_index]
    if rest.size == 0:
        raise ContiguityRefused(
            _("Unit %(code)s is the last unit of grid %(n)s; a grid cannot be empty.")
            % {"code": unit.code, "n": frm + 1}
        )
    pos = {int(u): i for i, u in enumerate(rest)}
    e = [(pos[a], pos[b]) for a, b in data.edges.tolist() if a in pos and b in pos]
    ea = np.array(e, dtype=np.int64).reshape(-1, 2)
    adj = sp.coo_array((np.ones(len(ea)), (ea[:, 0], ea[:, 1])), shape=(rest.size, rest.size))
    parts = connected_components(adj, directed=False)[0]
    if parts > 1:
        raise ContiguityRefused(
            _(
                "Moving unit %(code)s (%(name)s) out of grid %(n)s would split that grid into %(parts)s separate "
                "parts; grids must stay in one piece."
            )
            % {"code": unit.code, "name": unit.name, "n": frm + 1, "parts": parts}
        )


def do_move_unit(plan_id: int, unit_code: str, to_index: int, actor: Person | None = None) -> GridPlan:
    """Move one basic unit to another grid of a previewed plan (refused if contiguity breaks)."""
    with transaction.atomic():
        plan = lock_plan(plan_id)
        if plan.state != PlanState.PREVIEWED:
            check_plan_transition(plan.state, PlanState.PREVIEWED)
            raise PlanError(_("Run the partition before adjusting the plan by hand."))
        data = load_units()
        assignment, workload = plan_assignment(plan, data)
        idx = next((i for i, u in enumerate(data.units) if u.code == unit_code), None)
        if idx is None:
            raise PlanError(_("There is no basic unit with the code “%(code)s”.") % {"code": unit_code})
        frm = int(assignment[idx])
        check_move(data, assignment, idx, to_index, plan.k)
        assignment[idx] = to_index
        PlanUnit.objects.filter(plan=plan, unit=data.units[idx]).update(grid_index=to_index)
        units = algorithm_units(data, workload)
        lay = _layout_keeping_matches(plan, data, assignment, workload)
        report = dict(plan.report)
        report["partition"] = {**report.get("partition", {}), "adjusted": True, "gap": None}
        report["manual_moves"] = [
            *report.get("manual_moves", []),
            {
                "unit": unit_code,
                "from": frm,
                "to": to_index,
                "by": actor.pk if actor else None,
                "at": timezone.now().isoformat(),
            },
        ]
        plan.report = report
        _refresh_figures(plan, data, units, workload, assignment, lay)
        plan.revision += 1
        plan.save(update_fields=["report", "revision", "updated_at"])
    return plan


def _layout_keeping_matches(plan: GridPlan, data: UnitData, assignment, workload) -> Layout:
    """The layout after a hand move, keeping the planner's grid ↔ current-grid matches."""
    lay = layout(data, assignment, plan.k, workload)
    pgs = list(PlanGrid.objects.filter(plan=plan).select_related("grid").order_by("index"))
    lay.matched = [pg.grid for pg in pgs]
    return lay


def do_update_plan_grid(
    plan_id: int,
    index: int,
    *,
    name: str | None = None,
    officer_id: int | None = None,
    community_id: int | None = None,
    clear_officer: bool = False,
) -> PlanGrid:
    """Set a plan grid's name, community or responsible officer before adoption."""
    with transaction.atomic():
        plan = lock_plan(plan_id)
        if plan.state != PlanState.PREVIEWED:
            raise PlanError(_("Only the grids of a plan that has been run (and not adopted) can be edited."))
        pg = PlanGrid.objects.filter(plan=plan, index=index).first() if 0 <= index < plan.k else None
        if pg is None:
            raise PlanError(_("The plan has no grid %(n)s.") % {"n": index + 1})
        fields = []
        if name is not None:
            if not name.strip() or len(name.strip()) > 200:
                raise PlanError(_("A grid needs a name of at most 200 characters."))
            pg.name = name.strip()
            fields.append("name")
        for value in (community_id, officer_id):
            if value is not None and not 0 < value < 2**63:
                raise PlanError(_("No community or person has the id %(id)s.") % {"id": value})
        if community_id is not None:
            community = OrgUnit.objects.filter(pk=community_id, kind=OrgKind.COMMUNITY).first()
            if community is None:
                raise PlanError(_("There is no community with the id %(id)s.") % {"id": community_id})
            pg.community = community
            fields.append("community")
        if clear_officer:
            pg.responsible_officer = None
            fields.append("responsible_officer")
        elif officer_id is not None:
            officer = Person.objects.filter(pk=officer_id, active=True).first()
            if officer is None:
                raise PlanError(_("There is no active person with the id %(id)s.") % {"id": officer_id})
            other = PlanGrid.objects.filter(plan=plan, responsible_officer=officer).exclude(pk=pg.pk).first()
            if other is not None:
                raise PlanError(
                    _("%(name)s is already responsible for grid %(n)s of this plan: choose someone else.")
                    % {"name": officer.name, "n": other.index + 1}
                )
            pg.responsible_officer = officer
            fields.append("responsible_officer")
        if fields:
            pg.save(update_fields=fields)
            plan.revision += 1
            plan.save(update_fields=["revision", "updated_at"])
    return pg


# --- adoption ----------------------------------------------------------------------------------


def do_adopt_plan(plan_id: int, actor: Person | None = None, *, apply_staffing: bool = True) -> GridPlan:
    """Make a previewed plan the active grids, in one transaction (see planning.adoption)."""
    return adopt_plan(plan_id, actor, apply_staffing=apply_staffing)
