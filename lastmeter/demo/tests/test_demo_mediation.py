"""The demo's mediation cases: every outcome is there, the follow-ups and the recurrence show."""

from __future__ import annotations

from datetime import date

from lastmeter.demo.appeals import load_appeals
from lastmeter.demo.categories import load_categories, load_clock_policies
from lastmeter.demo.communities import load_communities
from lastmeter.demo.departments import load_departments
from lastmeter.demo.mediation import load_mediation
from lastmeter.demo.organisation import load_organisation
from lastmeter.mediation.models import MediationCase
from lastmeter.stats import community_work
from lastmeter.stats.measures import Slice


def test_it_loads_mediation_cases_with_every_outcome(db):
    organisation = load_organisation()
    categories = load_categories(load_departments())
    load_clock_policies(categories)
    load_communities(organisation.station)
    load_appeals(categories)
    load_mediation()
    assert set(MediationCase.objects.values_list("state", flat=True)) == {
        "agreed",
        "referred",
        "open",
        "partial",
    }
    from_appeal = MediationCase.objects.get(source="appeal")
    assert from_appeal.appeal.reporter_name == "郑先生" and from_appeal.follow_ups.count() == 3
    family = MediationCase.objects.get(dispute_type="family")
    assert list(family.follow_ups.values_list("state", flat=True)) == ["done", "overdue", "scheduled"]
    noise = MediationCase.objects.get(dispute_type="noise")
    assert noise.recurrence_flag and noise.recurrences.get().reason == "same_address"
    ever = Slice(date(2020, 1, 1), date(2030, 12, 31))
    assert community_work.recurrence_within_90_days(ever)["recurred_in_90d"] == 1
    assert community_work.mediation_success_rate(ever)["failed"] == 1
