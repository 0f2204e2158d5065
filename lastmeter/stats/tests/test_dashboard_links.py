"""The queue filters the dashboards link to (appeals.filters): each narrows to the appeals behind
one figure, in local days, and never beyond what the viewer may see."""

from __future__ import annotations

from datetime import date

from lastmeter.accounts.auth import issue_token
from lastmeter.appeals.filters import QueueFilter, filtered_queue
from lastmeter.stats.tests.dashboard_fixture import build_spread


def ids(scope, **filters) -> set[int]:
    return set(filtered_queue(scope, QueueFilter(**filters)).values_list("pk", flat=True))


def test_it_filters_the_queue_by_the_figures_dimensions(world):
    spread = build_spread(world)
    month, leader = spread["month"], world.scope(world.leader)
    # Local days: A2 was received at 00:30 on 5 March in Shanghai (4 March in UTC).
    assert month.a2.pk in ids(leader, received_from=date(2024, 3, 5), received_to=date(2024, 3, 5))
    assert month.a2.pk not in ids(leader, received_from=date(2024, 3, 4), received_to=date(2024, 3, 4))
    assert month.a7.pk not in ids(leader, received_from=date(2024, 3, 1))
    assert ids(leader, community=world.community_b.pk, received_to=date(2024, 3, 5)) == {month.a4.pk}
    assert month.a2.pk in ids(leader, channel="hotline") and month.a1.pk not in ids(leader, channel="hotline")
    officer = spread["officers"][0]
    assert ids(leader, assignee=officer.pk) and all(
        a.assignee_id == officer.pk for a in filtered_queue(leader, QueueFilter(assignee=officer.pk))
    )
    # Breached: a clock breached or met late (A2's contact clock was met late).
    breached = ids(leader, breached=True, received_to=date(2024, 3, 31))
    assert {month.a2.pk, month.a4.pk, month.a6.pk} <= breached and month.a1.pk not in breached
    # Transfers to a department made on these days; overdue ones now.
    assert ids(
        leader,
        department=world.department.pk,
        transferred_from=date(2024, 3, 5),
        transferred_to=date(2024, 3, 5),
    ) == {month.a4.pk}
    assert ids(leader, department=world.department.pk, transfer_overdue=True) == {spread["late"].pk}
    assert ids(leader, department=world.other_department.pk, transfer_overdue=True) == set()


def test_it_never_widens_the_viewers_scope(world):
    spread = build_spread(world)
    other = world.scope(world.other_officer)
    assert ids(other, community=world.community_a.pk) == set()
    assert ids(other, department=world.department.pk, transfer_overdue=True) == set()
    liaison = world.scope(world.liaison)
    assert ids(liaison, department=world.department.pk, transfer_overdue=True) == {spread["late"].pk}
    assert ids(world.scope(world.other_liaison), department=world.department.pk) == set()


def test_it_takes_the_same_filters_in_the_api(world, client):
    spread = build_spread(world)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(world.leader, 't')}"}
    r = client.get(f"/api/v1/appeals?department={world.department.pk}&transfer_overdue=true", **auth)
    assert r.status_code == 200 and [a["id"] for a in r.json()] == [spread["late"].pk]
