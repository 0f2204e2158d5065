"""The demo's back-dated appeals get honest clocks: none is "met" after its deadline."""

from __future__ import annotations

from django.db.models import F

from lastmeter.appeals.choices import ClockKind, ClockState
from lastmeter.appeals.models import Appeal, Clock
from lastmeter.demo.appeals import load_appeals
from lastmeter.demo.categories import load_categories, load_clock_policies
from lastmeter.demo.communities import load_communities
from lastmeter.demo.departments import load_departments
from lastmeter.demo.organisation import load_organisation
from lastmeter.web.command_selectors import today_kpis


def test_it_marks_the_demo_clocks_met_only_when_met(db):
    organisation = load_organisation()
    categories = load_categories(load_departments())
    load_clock_policies(categories)
    load_communities(organisation.station)
    load_appeals(categories)
    assert not Clock.objects.filter(state=ClockState.MET, met_at__gt=F("due_at")).exists()
    # Filed 20 hours before the demo starts and contacted when it starts: 18 hours late.
    noisy = Appeal.objects.get(text__startswith="楼上邻居装修")
    contact = noisy.clocks.get(kind=ClockKind.CONTACT)
    assert contact.state == ClockState.MET_LATE and contact.breached_at == contact.due_at
    assert noisy.clocks.get(kind=ClockKind.LAND).state == ClockState.MET
    assert today_kpis()["contacted_late"] >= 1
