"""The demo's complaints: every stage is there, the clocks are honest, and no reviewer reviews
a complaint about someone they command or their own earlier decision."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import F

from lastmeter.appeals.choices import ClockState
from lastmeter.complaints.models import Complaint, ComplaintClock
from lastmeter.complaints.selectors import chain_of_command
from lastmeter.demo.communities import load_communities
from lastmeter.demo.complaints import load_complaints
from lastmeter.demo.organisation import load_organisation
from lastmeter.stats import community_work
from lastmeter.stats.measures import Slice


@pytest.fixture
def demo_complaints(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    organisation = load_organisation()
    load_communities(organisation.station)
    load_complaints(organisation.station)


def test_it_loads_complaints_in_every_stage(demo_complaints):
    states = set(Complaint.objects.values_list("state", flat=True))
    assert states == {"received", "acknowledged", "in_review", "decided", "closed", "withdrawn"}
    assert not ComplaintClock.objects.filter(state=ClockState.MET, met_at__gt=F("due_at")).exists()
    # Under review for 17 days: the 15-day reply is breached and escalated by the sweep.
    late = Complaint.objects.get(state="in_review")
    assert late.clocks.get(kind="reply").state == ClockState.BREACHED and late.escalation_level == 1
    appealed = Complaint.objects.get(state="closed")
    reviewers = list(appealed.decisions.values_list("reviewer__name", flat=True))
    assert reviewers == ["周法制", "吴法制"]
    for complaint in Complaint.objects.exclude(reviewer=None):
        assert complaint.reviewer_id not in chain_of_command(complaint.officer)
    assert community_work.on_time_reply_rate(Slice(date(2020, 1, 1), date(2030, 12, 31)))["replies_due"] >= 3
