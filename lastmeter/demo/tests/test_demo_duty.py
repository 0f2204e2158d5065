"""The demo's duty posts and campaign: posts with hours, a shift on the intersection, the school
gate uncovered in the roster check, an active campaign with ten days of results."""

from __future__ import annotations

from django.utils import timezone

from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import scope_for
from lastmeter.demo.appeals import load_appeals
from lastmeter.demo.categories import load_categories, load_clock_policies
from lastmeter.demo.communities import load_communities
from lastmeter.demo.departments import load_departments
from lastmeter.demo.duty import load_duty_demo
from lastmeter.demo.organisation import load_organisation
from lastmeter.dispatching.models import Unit
from lastmeter.duty import selectors
from lastmeter.duty.models import Campaign, DutyPost


def test_it_loads_posts_an_uncovered_school_gate_and_an_active_campaign(db):
    organisation = load_organisation()
    categories = load_categories(load_departments())
    load_clock_policies(categories)
    load_communities(organisation.station)
    load_appeals(categories)
    # The one unit the duty demo puts on a post (demo.dispatch makes it in the full demo).
    Unit.objects.create(
        code="T-202",
        name="交警铁骑二组",
        agency="traffic_police",
        unit_type="motorbike",
        person=Person.objects.get(user__username="aux51"),
    )
    load_duty_demo()
    assert DutyPost.objects.count() == 3
    scope = scope_for(Person.objects.get(user__username="officer5"))
    gaps: dict[tuple[str, str], set[int]] = {}
    for g in selectors.roster_gaps(scope, timezone.localdate()):
        gaps.setdefault((g.post.name, g.agency), set()).update(g.hours)
    # Nobody at the school gate; the intersection's morning is covered by T-202, its evening not.
    assert {7, 15, 16} <= gaps[("格致中学门口", "police")]
    assert not {7, 8} & gaps.get(("福州路山东中路口", "traffic_police"), set())
    assert {17, 18} <= gaps[("福州路山东中路口", "traffic_police")]
    campaign = Campaign.objects.get()
    assert campaign.state == "active" and campaign.results.count() == 10
    assert selectors.campaign_totals(campaign)["cases_handled"] == sum(max(1, 12 - n) for n in range(10))
    figure = selectors.before_after(scope, campaign)
    assert figure.days == 11 and figure.before >= 0
