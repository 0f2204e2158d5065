"""A spread of appeals for the dashboard tests: several grids in both communities, several
officers, categories, channels and days, transfers to two departments (one overdue) — enough
rows per dimension that a query per grid, day, officer or department would show in the query
counts. Built on the worked month (``fixture.build_month``) so its hand-computed figures still
hold for grids A and B.
"""

from __future__ import annotations

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Department, Person, RoleAssignment
from lastmeter.appeals.choices import AppealState, ClockKind, ClockState, EventKind, TransferState
from lastmeter.appeals.models import Category, Clock, Transfer
from lastmeter.grids.models import Grid
from lastmeter.lib.geo import box_polygon
from lastmeter.stats.rollups import rebuild
from lastmeter.stats.tests.fixture import H, appeal, at, build_month, clock, event

CHANNELS = ("web", "hotline", "wecom", "walk_in")


def build_spread(world) -> dict[str, object]:
    month = build_month(world)
    officers = [Person.objects.create(name=f"网格员{i}") for i in range(3)]
    for p in officers:
        RoleAssignment.objects.create(person=p, role=Role.GRID_MEMBER, grid=world.grid_a)
    grids = [world.grid_a, world.grid_b]
    for i, community in enumerate((world.community_a, world.community_a, world.community_b)):
        grids.append(
            Grid.objects.create(
                code=f"grid-x{i}",
                name=f"X{i}网格",
                community=community,
                boundary=box_polygon(121.40 + i * 0.01, 31.20, 121.41 + i * 0.01, 31.21),
            )
        )
    categories = [world.police_category, world.department_category] + [
        Category.objects.create(code=f"cat-{i}", name=f"类别{i}") for i in range(3)
    ]
    n = 0
    for day in range(6, 18):
        for g, grid in enumerate(grids):
            n += 1
            a = appeal(
                world,
                at(day, 8 + g),
                grid=grid,
                channel=CHANNELS[n % len(CHANNELS)],
                assignee=officers[n % 3] if grid == world.grid_a else None,
                state=AppealState.LANDED,
            )
            a.category = categories[n % len(categories)]
            a.save(update_fields=["category"])
            clock(a, ClockKind.CONTACT, ClockState.MET)
            clock(a, ClockKind.LAND, ClockState.MET if n % 3 else ClockState.BREACHED)
            event(a, a.created_at + (1 + n % 4) * H, AppealState.CONTACTED)
            event(a, a.created_at + (2 + n % 7) * H, AppealState.LANDED)
            if n % 5 == 0:
                department = world.department if n % 10 else world.other_department
                t = Transfer.objects.create(appeal=a, department=department, state=TransferState.ACCEPTED)
                Transfer.objects.filter(pk=t.pk).update(
                    created_at=a.created_at + H, decided_at=a.created_at + 2 * H
                )
                clock(a, ClockKind.TRANSFER_ACCEPT, ClockState.MET, transfer=t)
                event(a, a.created_at + H, AppealState.TRANSFERRED, kind=EventKind.STATE)
    # One transfer still waiting on the department, its acceptance clock past due: overdue now.
    late = appeal(world, at(16, 9), grid=world.grid_a, state=AppealState.TRANSFERRED)
    t = Transfer.objects.create(appeal=late, department=world.department, state=TransferState.PENDING)
    Transfer.objects.filter(pk=t.pk).update(created_at=late.created_at + H)
    Clock.objects.create(
        appeal=late,
        transfer=t,
        kind=ClockKind.TRANSFER_ACCEPT,
        unit="hours",
        amount=4,
        state=ClockState.RUNNING,
        started_at=late.created_at,
        due_at=late.created_at + 4 * H,
        warn_at=late.created_at + 3 * H,
    )
    rebuild()
    return {"month": month, "grids": grids, "officers": officers, "categories": categories, "late": late}


def add_more(world, n: int = 3) -> None:
    """``n`` more grids, officers, categories and departments with an appeal each on several days:
    a dashboard's query count must not change when this runs."""
    for i in range(n):
        grid = Grid.objects.create(
            code=f"grid-more{i}",
            name=f"新增{i}网格",
            community=world.community_a,
            boundary=box_polygon(121.30 + i * 0.01, 31.10, 121.31 + i * 0.01, 31.11),
        )
        officer = Person.objects.create(name=f"新网格员{i}")
        category = Category.objects.create(code=f"more-{i}", name=f"新类别{i}")
        department = Department.objects.create(code=f"dept-more{i}", name=f"新部门{i}")
        for day in (3, 9, 21):
            a = appeal(world, at(day, 10 + i), grid=grid, assignee=officer, state=AppealState.LANDED)
            a.category = category
            a.save(update_fields=["category"])
            clock(a, ClockKind.LAND, ClockState.MET)
            event(a, a.created_at + 2 * H, AppealState.LANDED)
            t = Transfer.objects.create(appeal=a, department=department, state=TransferState.RETURNED)
            Transfer.objects.filter(pk=t.pk).update(
                created_at=a.created_at + H, decided_at=a.created_at + 3 * H
            )
    rebuild()
