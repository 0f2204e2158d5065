"""Applying a plan's staffing at adoption: grid members (auxiliaries) follow the apportionment.

Nobody is deleted or invented. Members of retired grids move to the grids furthest below their
apportioned number; members above a grid's number move only where another grid is short. What is
still missing is reported as vacancies, to be filled by recruiting or by hand.
"""

from __future__ import annotations

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import RoleAssignment
from lastmeter.grids.models import Grid


def apply_staffing(adopted: list[Grid], targets: list[int], retired: list[Grid]) -> dict:
    """Re-assign GRID_MEMBER role assignments towards ``targets`` (one number per adopted grid).

    Precondition: inside the adoption transaction (the grids are locked). Returns a report with the
    moves, the vacancies per grid and the members above establishment.
    """
    index = {g.pk: i for i, g in enumerate(adopted)}
    retired_ids = {g.pk for g in retired}
    ras = list(
        RoleAssignment.objects.filter(
            role=Role.GRID_MEMBER, grid_id__in=[*index, *retired_ids], person__active=True
        )
        .select_related("person")
        .order_by("id")
    )
    on_grid: list[list[RoleAssignment]] = [[] for _ in adopted]
    pool: list[RoleAssignment] = []
    for ra in ras:
        if ra.grid_id in index:
            on_grid[index[ra.grid_id]].append(ra)
        else:
            pool.append(ra)
    assigned = [len(x) for x in on_grid]
    moves: list[tuple[RoleAssignment, int]] = []

    def neediest() -> int:
        return max(range(len(adopted)), key=lambda g: (targets[g] - assigned[g], -g))

    for ra in pool:  # members of retired grids must go somewhere
        g = neediest()
        moves.append((ra, g))
        assigned[g] += 1
    surplus = [ra for g, x in enumerate(on_grid) for ra in x[targets[g] :]]
    for ra in reversed(surplus):  # the most recently assigned move first
        src = index[int(ra.grid_id or 0)]
        if assigned[src] <= targets[src]:
            continue
        g = neediest()
        if targets[g] - assigned[g] <= 0:
            continue
        moves.append((ra, g))
        assigned[g] += 1
        assigned[src] -= 1
    report_moves = []
    for ra, g in moves:
        grid = adopted[g]
        report_moves.append(
            {"person": ra.person_id, "name": ra.person.name, "from": ra.grid_id, "to": grid.pk}
        )
        duplicate = (
            RoleAssignment.objects.filter(
                person_id=ra.person_id,
                role=Role.GRID_MEMBER,
                grid=grid,
                org_unit=ra.org_unit_id,
                department=ra.department_id,
            )
            .exclude(pk=ra.pk)
            .exists()
        )
        if duplicate:
            ra.delete()  # the person already holds this grid's role; only the stale copy goes
        else:
            ra.grid = grid
            ra.save(update_fields=["grid"])
    return {
        "applied": True,
        "moves": report_moves,
        "members": dict(zip([g.code for g in adopted], assigned, strict=True)),
        "vacancies": {
            g.code: targets[i] - assigned[i] for i, g in enumerate(adopted) if targets[i] > assigned[i]
        },
        "over_establishment": {
            g.code: assigned[i] - targets[i] for i, g in enumerate(adopted) if assigned[i] > targets[i]
        },
    }
