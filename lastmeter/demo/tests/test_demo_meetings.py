"""The demo's meetings: a closed meeting with a done and an overdue action item, the next one with
the overdue item carried for its report-back; the counter log with its figures."""

from __future__ import annotations

from lastmeter.demo.appeals import load_appeals
from lastmeter.demo.categories import load_categories, load_clock_policies
from lastmeter.demo.communities import load_communities
from lastmeter.demo.departments import load_departments
from lastmeter.demo.meetings import load_meetings
from lastmeter.demo.organisation import load_organisation
from lastmeter.meetings.models import CounterVisit, Meeting
from lastmeter.meetings.selectors import counter_figures


def test_it_loads_meetings_and_the_counter_log(db):
    organisation = load_organisation()
    categories = load_categories(load_departments())
    load_clock_policies(categories)
    load_communities(organisation.station)
    load_appeals(categories)
    load_meetings()
    first, second = Meeting.objects.order_by("held_at")
    assert first.state == "closed" and second.state == "planned" and second.previous == first
    assert sorted(first.action_items.values_list("state", flat=True)) == ["done", "overdue"]
    carried = second.items.get(kind="report_back")
    assert carried.action_item.state == "overdue"
    figures = counter_figures(CounterVisit.objects.all())
    assert figures.visits == 7 and figures.finished == 6 and figures.median_handling_min == 10
