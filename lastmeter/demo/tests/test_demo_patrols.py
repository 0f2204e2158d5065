"""The demo's patrols: today's plan from the hot cells of the demo's appeals, published, the volunteer
checked in, and the building heads' badges, tasks and points."""

from __future__ import annotations

from lastmeter.demo.appeals import load_appeals
from lastmeter.demo.categories import load_categories
from lastmeter.demo.communities import load_communities
from lastmeter.demo.departments import load_departments
from lastmeter.demo.organisation import load_organisation
from lastmeter.demo.patrols import load_patrols
from lastmeter.patrols.models import Badge, CheckIn, NetworkTask, PatrolPlan, PatrolTeam
from lastmeter.patrols.selectors import total_points


def test_it_loads_a_published_plan_and_the_network(db, road_network):
    organisation = load_organisation()
    categories = load_categories(load_departments())
    load_communities(organisation.station)
    load_appeals(categories)
    load_patrols()
    assert PatrolTeam.objects.count() == 3
    plan = PatrolPlan.objects.get()
    assert plan.state == "published" and plan.cells.exists()
    assert CheckIn.objects.filter(shift__team__name="福州路平安志愿者").count() == 1
    assert Badge.objects.count() == 6 and NetworkTask.objects.filter(state="done").count() == 1
    head = NetworkTask.objects.get(state="done").person
    assert total_points(head) == 5
